import type { ChildProcess } from "node:child_process";
import type { Server, Socket } from "node:net";

/**
 * How the reference server's workers take in connections: the one seam between the supervisor's
 * listening socket and the workers' accept loops. One file per variant; {@link chooseAcceptStrategy}
 * picks one by what the running Node offers.
 */
export interface AcceptStrategy {
  readonly name: AcceptStrategyName;
  /** Extra `listen()` options of the supervisor's socket (which fixes the port before the workers start). */
  readonly supervisorListen: { reusePort?: boolean };
  /** Supervisor side: gives one worker what it needs to accept on `port` (the supervisor's bound port). */
  handOut(worker: ChildProcess, server: Server, port: number, threads: number): void;
  /**
   * Supervisor side, for strategies that coordinate the workers while they serve: called once every worker
   * is ready, with the supervisor's listening socket, which the strategy then owns (without `supervise`
   * the supervisor closes it, as the workers hold their own descriptors).
   */
  supervise?(workers: readonly ChildProcess[], server: Server, threads: number): void;
  /**
   * Worker side: accepts on what the supervisor handed out, calls `onConnection` for every new socket and
   * `onReady` once every listener of this worker is in place. Returns the worker's listeners, for closing.
   */
  accept(params: WorkerAcceptParams): Server[];
}

export interface WorkerAcceptParams {
  host: string;
  threads: number;
  /** This worker's place among the workers (0 … threads-1), as the supervisor numbers them. */
  index: number;
  /**
   * Open connections this worker can hold under its open-file limit. A strategy whose listening socket
   * lives on in the other workers stops accepting here, so they take the next connections (at the limit
   * libuv would accept and drop them).
   */
  connectionLimit: number;
  onConnection: (socket: Socket) => void;
  onReady: () => void;
  /** A listener could not be set up: the worker cannot serve as asked. */
  onError: (error: Error) => void;
}

export const ACCEPT_STRATEGY_NAMES = ["reuse-port", "shared-descriptors", "balanced"] as const;
export type AcceptStrategyName = (typeof ACCEPT_STRATEGY_NAMES)[number];
/** `--accept` of `tcpsweep server`: a strategy, or `auto` = {@link chooseAcceptStrategy}'s pick. */
export type AcceptChoice = AcceptStrategyName | "auto";

/**
 * Listening sockets over all event loops. libuv (1.45 on, so Node 20, 22 and 24) accepts one
 * connection per ready listening descriptor per poll round, and a round first serves every ready
 * connection: under load a loop with one descriptor took in ~100 connections/s, so at 1000+
 * connections most of them waited seconds in the accept queue, unanswered, while the first ones
 * ran. So a loop holds several, and a round accepts up to as many connections as it holds. Spread
 * over the loops, not per loop.
 */
export const LISTENERS_TOTAL = 64;

/** Listening sockets (or descriptors) each worker accepts on. */
export const listenersPerWorker = (threads: number): number => Math.max(1, Math.ceil(LISTENERS_TOTAL / threads));

/** The first Node versions with `listen({ reusePort: true })`: 22.12 and 23.1 (and everything from 24). */
export function hasReusePort(nodeVersion: string): boolean {
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, "").split(".").map(Number);
  if (major === 22) return minor >= 12;
  if (major === 23) return minor >= 1;
  return major >= 24;
}

/**
 * Whether `--accept auto` takes reuse-port where this Node and system have it. Measured side by side
 * on Node 24 and 26 (bench/RESULTS.md, "Accept strategies of the reference server"): reuse-port
 * served connections more evenly (Jain below 0.9 in 3 of 148 ok runs against 14 of 160) but left
 * connections unanswered at 4000 more often (20 of 48 runs against 8 of 48), with no throughput
 * difference; shared descriptors (and `balanced`, built on them) keep more runs ok, so reuse-port is not the default.
 * Flip this after a measurement that says otherwise.
 */
const AUTO_PREFERS_REUSE_PORT = false;

/**
 * The strategy a server started with `--accept auto` uses on `nodeVersion` (`process.version`) and
 * `platform`: reuse-port only where preferred, Node has it and the kernel spreads connections over
 * SO_REUSEPORT sockets (Linux; on BSDs and macOS the last socket takes them all); else `balanced`,
 * which every Node has. Measured side by side with shared descriptors on every cell of
 * `sweeps/full.yaml` (bench/RESULTS.md, "Even accept, second round"): 1 cell below Jain 0.9 against 7.
 */
export function chooseAcceptStrategy(
  nodeVersion: string,
  platform: NodeJS.Platform = process.platform,
  prefersReusePort = AUTO_PREFERS_REUSE_PORT,
): AcceptStrategyName {
  return prefersReusePort && hasReusePort(nodeVersion) && platform === "linux" ? "reuse-port" : "balanced";
}

/**
 * A worker's open connections against its `limit` (its open-file budget). Each connection counts as gone
 * once, at the first of `goneAt`'s socket events; `onChange` hears every change.
 */
export function openConnections(limit: number, goneAt: readonly ("end" | "close")[], onChange: () => void = () => {}) {
  let open = 0;
  return {
    get count() {
      return open;
    },
    /** At the limit: a strategy whose socket lives on elsewhere stops accepting (libuv would accept and drop). */
    get full() {
      return open >= limit;
    },
    add(socket: Socket) {
      open++;
      let gone = false;
      const leave = () => {
        if (gone) return;
        gone = true;
        open--;
        onChange();
      };
      for (const event of goneAt) socket.once(event, leave);
      onChange();
    },
  };
}

export const isMessage = <T extends { kind: string }>(message: unknown, kind: T["kind"]): message is T =>
  typeof message === "object" && message !== null && (message as { kind?: unknown }).kind === kind;
