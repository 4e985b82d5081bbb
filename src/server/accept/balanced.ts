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
}
/** Worker → supervisor: no longer ahead, send listening descriptors again. */
interface ResumeMessage {
  kind: "resume";
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
 * How far ahead of the fewest a worker may be before it stops accepting: one connection, as the goal
 * says, up to 50 per worker; then 2 %. A pause costs a round of descriptors over IPC to resume, and at
 * thousands of connections per worker one connection more is no unevenness anyone can see
 * (2 % ahead moves Jain's index by less than 0.001).
 */
export const aheadAllowed = (fewest: number): number => Math.max(1, Math.floor(fewest / 50));

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
 * Shared descriptors, and every worker accepts only while it holds no more than its fair share: a worker
 * ahead of the fewest by more than {@link aheadAllowed} closes its duplicates (the others take the next
 * connections from the one accept queue) and asks for new ones once it no longer is. The supervisor keeps
 * its own socket (created with pauseOnConnect, so it never reads) and passes what it accepts to the worker
 * with the fewest connections: while every worker is ahead of a stale count, connections still get served.
 * Counts travel over the workers' IPC channels (processes share no memory); the supervisor's view of
 * each worker is what it last reported plus what was passed to it since.
 */
export const balanced: AcceptStrategy = {
  name: "balanced",
  supervisorListen: {},
  handOut: (worker, server, port, threads) => sharedDescriptors.handOut(worker, server, port, threads),
  supervise(workers, server, port, threads) {
    const open = workers.map(() => 0);
    const received = workers.map(() => 0);
    const passed = workers.map(() => 0);
    const load = (i: number) => open[i]! + passed[i]! - received[i]!;
    const alive = (worker: ChildProcess) => worker.connected;
    let announced = 0;
    const announceFewest = coalesced(() => {
      const fewest = Math.min(...workers.map((_, i) => load(i)));
      if (fewest === announced) return;
      announced = fewest;
      for (const worker of workers) if (alive(worker)) worker.send({ kind: "fewest", open: fewest } satisfies FewestMessage);
    });
    workers.forEach((worker, i) =>
      worker.on("message", (message: unknown) => {
        if (isMessage<OpenMessage>(message, "open")) {
          open[i] = message.open;
          received[i] = message.received;
          announceFewest();
        } else if (isMessage<ResumeMessage>(message, "resume") && alive(worker)) sharedDescriptors.handOut(worker, server, port, threads);
      }),
    );
    return (socket: Socket) => {
      const target = workers.map((_, i) => i).reduce((best, i) => (load(i) < load(best) ? i : best));
      const worker = workers[target]!;
      if (!alive(worker)) return void socket.destroy();
      passed[target]!++;
      worker.send({ kind: "connection" } satisfies ConnectionMessage, socket);
      announceFewest();
    };
  },
  accept: acceptBalanced,
};

function acceptBalanced({ threads, connectionLimit, onConnection, onReady }: WorkerAcceptParams): Server[] {
  const listeners: Server[] = [];
  const perRound = listenersPerWorker(threads);
  let open = 0;
  let received = 0;
  let fewest = 0;
  /** Descriptors still to come in the current round (the first one, or a resume). */
  let arriving = perRound;
  let ready = false;
  const report = coalesced(() => process.send?.({ kind: "open", open, received } satisfies OpenMessage));
  const ahead = () => open > fewest + aheadAllowed(fewest) || open >= connectionLimit;
  const rebalance = () => {
    if (!ready) return;
    if (ahead()) for (const listener of listeners.splice(0)) listener.close();
    else if (listeners.length === 0 && arriving === 0) {
      arriving = perRound;
      process.send?.({ kind: "resume" } satisfies ResumeMessage);
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
      if (ready && ahead()) listener.close();
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
      rebalance();
    }
  });
  return listeners;
}
