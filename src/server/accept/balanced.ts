import type { ChildProcess } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { FD_HEADROOM, readOpenFileLimit, readSomaxconn } from "../../process/limits.js";
import { isMessage, listenersPerWorker, openConnections, type AcceptStrategy, type WorkerAcceptParams } from "./strategy.js";

/** Worker → supervisor: how many connections it holds, and how many of them it got from the supervisor so far. */
interface OpenMessage {
  kind: "open";
  open: number;
  received: number;
  /** Open connections it can hold under its open-file limit. */
  limit: number;
}
/** Supervisor → worker: a connection the supervisor accepted (unread) comes with this message. */
interface ConnectionMessage {
  kind: "connection";
}
/**
 * Supervisor → worker: a duplicate of the listening socket comes with this message as a bare handle,
 * held unpolled until {@link RaceMessage}: so the supervisor can stop accepting at once when it switches.
 */
interface StandbyMessage {
  kind: "standby";
}
/** Supervisor → worker: accept on the descriptors held in standby; the supervisor has stopped accepting. */
interface RaceMessage {
  kind: "race";
}
/** Supervisor → worker: send one listening descriptor back, then close them all. */
interface LendMessage {
  kind: "lend";
}
/** Worker → supervisor: the answer to a lend, with a listening descriptor (or none, if it held none). */
interface LentMessage {
  kind: "lent";
}
/** Supervisor → worker: the supervisor deals again; close every listening descriptor. */
interface StopMessage {
  kind: "stop";
}

/**
 * Connections per worker the supervisor deals out itself; past `threads ×` this many open connections the
 * workers accept directly (shared descriptors) until the count falls back to half of it. Dealing passes
 * each connection over IPC, one in flight per worker (Node waits for the worker's acknowledgement), and a
 * worker busy with k connections takes one per loop round: fine for the small cells, where a race for
 * the accept queue splits a burst of connects 9/81/1/9, too slow for a burst of thousands, whose split
 * by the race evens out (issue 34: 1,000 connections and more stayed above Jain 0.9 with the race alone).
 */
export const DEALT_PER_WORKER = 64;

/** Runs `action` once after the current loop round, however often it is asked to in the round. */
function coalesced(action: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      action();
    });
  };
}

type Mode = "deal" | "race" | "lending";

/**
 * The supervisor deals every new connection to the worker holding the fewest (counting those on their
 * way to it), so a burst of connects is split as evenly as it can be, while the workers hold no listening
 * descriptor. Only one process decides, so the split is exact whatever the burst; counts from the workers
 * (connections that closed) travel over IPC. From {@link DEALT_PER_WORKER} per worker on, the supervisor
 * hands the workers duplicates of its socket as shared descriptors do and closes its own; when the open
 * connections fall to half of that, a worker lends one descriptor back and they all close theirs, and the
 * supervisor deals again. In a sweep each run's connections are dealt afresh on a warm server.
 */
export const balanced: AcceptStrategy = {
  name: "balanced",
  supervisorListen: {},
  // Workers start with no descriptor: the supervisor deals from the start.
  handOut: () => {},
  supervise(workers, server, threads) {
    const open = workers.map(() => 0);
    const received = workers.map(() => 0);
    const passed = workers.map(() => 0);
    const limit = workers.map(() => Number.POSITIVE_INFINITY);
    const load = (i: number) => open[i]! + passed[i]! - received[i]!;
    const total = () => workers.reduce((sum, _, i) => sum + load(i), 0);
    const alive = (worker: ChildProcess) => worker.connected;
    /** Whether worker i can take one more: alive and below its descriptor limit. */
    const canTake = (i: number) => alive(workers[i]!) && load(i) < limit[i]!;
    const leastLoaded = () =>
      workers.map((_, i) => i).reduce((best, i) => (!canTake(best) || (canTake(i) && load(i) < load(best)) ? i : best));
    // One worker has no one to be even with: it accepts directly from the start, as with shared descriptors.
    // The supervisor holds each dealt connection until its worker acknowledges it: deal no more than it can hold.
    const raceFrom = threads === 1 ? 0 : Math.min(threads * DEALT_PER_WORKER, Math.max(threads, readOpenFileLimit().soft - FD_HEADROOM));
    let mode: Mode = "deal";
    let dealing: Server | undefined;
    let unwritten = 0; // standby copies not yet written to a worker's channel
    let closeWhenWritten: Server | undefined;

    const deal = (socket: Socket) => {
      const target = leastLoaded();
      const worker = workers[target]!;
      if (!canTake(target)) return void socket.destroy(); // every worker full or gone
      passed[target]!++;
      worker.send({ kind: "connection" } satisfies ConnectionMessage, socket);
      reconsider();
    };
    const startDealing = (listener: Server) => {
      // pauseOnConnect: the connection goes on unread, as Node's docs for subprocess.send(…, socket) ask (decisions.md).
      (listener as Server & { pauseOnConnect: boolean }).pauseOnConnect = true;
      listener.removeAllListeners("connection");
      listener.on("connection", deal);
      dealing = listener;
      mode = "deal";
    };
    const written = () => {
      if (--unwritten > 0 || !closeWhenWritten) return;
      closeWhenWritten.close();
      closeWhenWritten = undefined;
    };
    /** Gives every worker its share of duplicates of `listener`, held unpolled until it is told to race. */
    const arm = (listener: Server) => {
      const handle = handleOf(listener);
      for (const worker of workers.filter(alive))
        for (let copy = 0; copy < listenersPerWorker(threads); copy++) {
          unwritten++;
          worker.send({ kind: "standby" } satisfies StandbyMessage, handle, written);
        }
    };
    const toRace = (listener: Server) => {
      mode = "race";
      dealing = undefined;
      for (const worker of workers.filter(alive)) worker.send({ kind: "race" } satisfies RaceMessage);
      // The workers' copies keep the socket open: the supervisor stops accepting now (or once the copies
      // are written), rather than taking more connections than it can hold while a burst goes on.
      if (unwritten === 0) listener.close();
      else closeWhenWritten = listener;
    };
    /** Asks the workers in turn, from `from` on, for a descriptor (one at its descriptor limit holds none). */
    const askToLend = (from: number) => {
      const lender = workers.findIndex((worker, i) => i >= from && alive(worker));
      if (lender < 0) return void (mode = "race"); // none holds one: ask again when the count next changes
      mode = "lending";
      asked = lender;
      workers[lender]!.send({ kind: "lend" } satisfies LendMessage);
    };
    let asked = 0;
    const toDeal = () => askToLend(0);
    const reconsider = coalesced(() => {
      if (mode === "deal" && dealing && total() >= raceFrom) toRace(dealing);
      else if (mode === "race" && raceFrom > 0 && total() <= raceFrom / 2) toDeal();
    });

    startDealing(server);
    arm(server);
    if (raceFrom === 0) toRace(server);
    workers.forEach((worker, i) =>
      worker.on("message", (message: unknown, handle: unknown) => {
        if (isMessage<OpenMessage>(message, "open")) {
          open[i] = message.open;
          received[i] = message.received;
          limit[i] = message.limit;
          reconsider();
        } else if (isMessage<LentMessage>(message, "lent")) {
          if (!handle) return askToLend(asked + 1);
          startDealing(handle as Server);
          for (const each of workers.filter(alive)) each.send({ kind: "stop" } satisfies StopMessage);
          arm(handle as Server);
        }
      }),
    );
  },
  accept: acceptBalanced,
};

/**
 * The bare handle under a listening server. Sent over IPC it arrives as a handle (Node's `net.Native`), not
 * as a server already polling the socket, so a worker can hold it without accepting.
 */
const handleOf = (server: Server): Server => (server as unknown as { _handle: Server })._handle;

function acceptBalanced({ connectionLimit, onConnection, onReady, onError }: WorkerAcceptParams): Server[] {
  const listeners: Server[] = [];
  const standby: { close(): void }[] = [];
  const backlog = readSomaxconn();
  let received = 0;
  // Counted gone at its end (the peer's FIN), reported before the descriptor closes: the supervisor
  // deals the next run's connections on counts that already hold the last run's closes.
  const open = openConnections(connectionLimit, ["end", "close"], () => report());
  const report = coalesced(() =>
    process.send?.({ kind: "open", open: open.count, received, limit: connectionLimit } satisfies OpenMessage),
  );
  const closeAll = () => {
    for (const listener of listeners.splice(0)) listener.close();
  };
  const take = (socket: Socket) => {
    open.add(socket);
    onConnection(socket);
    // Full: stop accepting, so the other workers take the next connections (at the limit libuv would accept and drop them).
    if (open.full) closeAll();
  };
  const race = () => {
    for (const handle of standby.splice(0)) {
      // A worker already full leaves its copies closed: the others take the rest.
      if (open.full) {
        handle.close();
        continue;
      }
      const listener = createServer(take);
      listener.once("error", onError);
      listener.listen(handle, backlog);
      listeners.push(listener);
    }
  };
  process.on("message", (message: unknown, handle: unknown) => {
    if (isMessage<ConnectionMessage>(message, "connection") && handle) {
      received++;
      take(handle as Socket);
    } else if (isMessage<StandbyMessage>(message, "standby") && handle) standby.push(handle as { close(): void });
    else if (isMessage<RaceMessage>(message, "race")) race();
    else if (isMessage<LendMessage>(message, "lend")) {
      const kept = listeners[0];
      // Closed only once the copy is written: until then the socket's queue stays polled here.
      if (kept) process.send?.({ kind: "lent" } satisfies LentMessage, kept, closeAll);
      else process.send?.({ kind: "lent" } satisfies LentMessage);
    } else if (isMessage<StopMessage>(message, "stop")) closeAll();
  });
  onReady();
  return listeners;
}
