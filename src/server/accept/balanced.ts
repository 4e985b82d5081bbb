import type { ChildProcess } from "node:child_process";
import type { Server, Socket } from "node:net";
import { sharedDescriptors } from "./shared-descriptors.js";
import { isMessage, listenersPerWorker, type AcceptStrategy, type WorkerAcceptParams } from "./strategy.js";

/** Worker → supervisor: how many connections it holds, and how many of them it got from the supervisor so far. */
interface OpenMessage {
  kind: "open";
  open: number;
  received: number;
}
/** Supervisor → worker: the fewest connections any worker holds (counting those on their way to it). */
interface FewestMessage {
  kind: "fewest";
  open: number;
  /** Index of a worker that holds that many: it never pauses, so some worker always accepts however stale the counts. */
  worker: number;
}
/** Worker → supervisor, with one of its listeners: no longer ahead, send `missing` more descriptors of it. */
interface ResumeMessage {
  kind: "resume";
  missing: number;
}
/** Supervisor → worker: a connection the supervisor accepted comes with this message. */
interface ConnectionMessage {
  kind: "connection";
}
/** Same message as shared-descriptors' hand-out: a duplicate of the listening socket comes with it. */
interface ListenerMessage {
  kind: "listener";
}

/**
 * Balancing stops once every worker holds this many: from there on the workers race for the accept queue
 * as with shared descriptors. Each pause and resume sends descriptors and stray sockets over IPC, which a
 * burst of thousands of connects cannot afford (balancing all the way, 4,000 connects on 2 workers took
 * 19 s and left a third of the connections unserved), while the race's unevenness is the small cells'
 * problem (issue 34: 10 and 100 connections; 1,000 and more stay above 0.9).
 */
export const BALANCED_UP_TO = 64;

/**
 * How far ahead of the fewest a worker may be before it stops accepting: one connection, as the goal
 * says, up to 8 per worker; then 25 %, as Jain's index forgives a lot (workers 25 % apart still give
 * 0.99: each worker's connections share its CPU), and every pause costs IPC; unlimited from
 * {@link BALANCED_UP_TO} on.
 */
export const aheadAllowed = (fewest: number): number =>
  fewest >= BALANCED_UP_TO ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(fewest / 4));

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

/**
 * Shared descriptors, and every worker accepts at full speed only while it holds no more than its fair
 * share: a worker ahead of the fewest by more than {@link aheadAllowed} closes all but one of its
 * duplicates (libuv accepts one connection per ready descriptor per loop round, so it now takes about
 * one connection per round where the others take dozens) and, once it no longer is, sends that one to the
 * supervisor, which sends it back as many times as it is short. The supervisor closes its own socket
 * once the workers are ready, as with shared descriptors, and holds a lent one only while it sends the
 * copies: an idle supervisor polling a descriptor for good takes most of a burst of connects, and
 * passing thousands of sockets on over IPC is slow (measured: 2,900 of 4,000 connects, 70 % starved).
 * Counts travel over the workers' IPC channels (processes share no memory); the supervisor's view of
 * each worker is what it last reported plus what was passed to it since.
 */
export const balanced: AcceptStrategy = {
  name: "balanced",
  supervisorListen: {},
  handOut: (worker, server, port, threads) => sharedDescriptors.handOut(worker, server, port, threads),
  supervise(workers) {
    const open = workers.map(() => 0);
    const received = workers.map(() => 0);
    const passed = workers.map(() => 0);
    const load = (i: number) => open[i]! + passed[i]! - received[i]!;
    const alive = (worker: ChildProcess) => worker.connected;
    const leastLoaded = () => workers.map((_, i) => i).reduce((best, i) => (load(i) < load(best) ? i : best));
    let announced = { open: 0, worker: 0 };
    const announceFewest = coalesced(() => {
      const worker = leastLoaded();
      const fewest = { open: load(worker), worker };
      if (fewest.open === announced.open && fewest.worker === announced.worker) return;
      announced = fewest;
      for (const each of workers) if (alive(each)) each.send({ kind: "fewest", ...fewest } satisfies FewestMessage);
    });
    /** A connection a lent listener took while the supervisor held it: to the least loaded worker, unread. */
    const passOn = (socket: Socket) => {
      const target = leastLoaded();
      const worker = workers[target]!;
      if (!alive(worker)) return void socket.destroy();
      passed[target]!++;
      worker.send({ kind: "connection" } satisfies ConnectionMessage, socket);
      announceFewest();
    };
    const sendCopies = (worker: ChildProcess, lent: Server, copies: number) => {
      // Node creates the lent server without pauseOnConnect; set it before any connection can arrive (decisions.md).
      (lent as Server & { pauseOnConnect: boolean }).pauseOnConnect = true;
      lent.on("connection", passOn);
      if (copies <= 0 || !alive(worker)) return void lent.close();
      for (let i = 1; i <= copies; i++)
        worker.send({ kind: "listener" } satisfies ListenerMessage, lent, i === copies ? () => lent.close() : undefined);
    };
    workers.forEach((worker, i) =>
      worker.on("message", (message: unknown, handle: unknown) => {
        if (isMessage<OpenMessage>(message, "open")) {
          open[i] = message.open;
          received[i] = message.received;
          announceFewest();
        } else if (isMessage<ResumeMessage>(message, "resume") && handle) sendCopies(worker, handle as Server, message.missing);
      }),
    );
  },
  accept: acceptBalanced,
};

function acceptBalanced({ threads, index, connectionLimit, onConnection, onReady }: WorkerAcceptParams): Server[] {
  const listeners: Server[] = [];
  const perRound = listenersPerWorker(threads);
  let open = 0;
  let received = 0;
  let fewest = 0;
  let fewestIsMe = index === 0;
  /** Descriptors still to come in the current round (the first one, or a resume). */
  let arriving = perRound;
  let ready = false;
  const report = coalesced(() => process.send?.({ kind: "open", open, received } satisfies OpenMessage));
  const ahead = () => open >= connectionLimit || (!fewestIsMe && open > fewest + aheadAllowed(fewest));
  const rebalance = () => {
    if (!ready) return;
    // The one kept listener: what a resume is copied from, and what keeps this worker taking some connections.
    if (ahead()) for (const listener of listeners.splice(1)) listener.close();
    else if (listeners.length < perRound && arriving === 0 && listeners[0]) {
      arriving = perRound - listeners.length;
      process.send?.({ kind: "resume", missing: arriving } satisfies ResumeMessage, listeners[0]);
    }
  };
  const take = (socket: Socket) => {
    open++;
    socket.once("close", () => {
      open--;
      report();
      rebalance();
    });
    onConnection(socket);
    report();
    // Closing here, inside the loop round, also drops this round's other ready events on these descriptors.
    rebalance();
  };
  process.on("message", (message: unknown, handle: unknown) => {
    if (isMessage<ListenerMessage>(message, "listener") && handle) {
      const listener = handle as Server;
      arriving--;
      if (ready && ahead() && listeners.length > 0) listener.close();
      else {
        listener.on("connection", take);
        listeners.push(listener);
      }
      if (arriving === 0 && !ready) {
        ready = true;
        onReady();
      }
      if (arriving === 0) rebalance();
    } else if (isMessage<ConnectionMessage>(message, "connection") && handle) {
      received++;
      take(handle as Socket);
    } else if (isMessage<FewestMessage>(message, "fewest")) {
      fewest = message.open;
      fewestIsMe = message.worker === index;
      rebalance();
    }
  });
  return listeners;
}
