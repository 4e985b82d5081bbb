import { fork, type ChildProcess } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { formatAddress } from "../process/address.js";
import type { ProtocolName } from "../protocol/index.js";
import { acceptStrategy, hasReusePort, isMessage, type AcceptChoice, type AcceptStrategy } from "./accept/index.js";
import { FD_HEADROOM, readOpenFileLimit, readSomaxconn } from "../process/limits.js";
import { serveConnection, type ReplyMode } from "./connection.js";

export interface ServerOptions {
  host: string;
  port: number;
  threads: number;
  protocol: ProtocolName;
  reply: ReplyMode;
  /** How workers take in connections (src/server/accept/); default `auto`: by what this Node offers. */
  accept?: AcceptChoice;
  /** Microseconds of CPU work before each reply (--work-us): a server slowed by a known cost per request. */
  workUs?: number;
}

/** A worker's place among the workers (0 … threads-1), for strategies that number them. */
const WORKER_INDEX_ENV = "TCPSWEEP_SERVER_WORKER";

/** Workers must be gone this long after SIGTERM/SIGINT, or they are killed. */
const SHUTDOWN_LIMIT_MS = 1500;

/** Worker → supervisor: all its listeners are in place. */
interface ReadyMessage {
  kind: "ready";
}

/**
 * Starts the reference server (chat or echo): N worker processes (one event loop each, N = --threads) under
 * this process as supervisor. The supervisor listens (which fixes the port), has every worker set up its
 * listeners by the accept strategy, closes its own socket (or lets the strategy keep it) and prints `listening on HOST:PORT` once
 * every worker accepts.
 */
export async function runServer(options: ServerOptions): Promise<void> {
  if (options.accept === "reuse-port" && !hasReusePort(process.version)) {
    throw new Error(`--accept reuse-port needs Node 22.12 or later (this is ${process.version}); use --accept auto or shared-descriptors`);
  }
  const strategy = acceptStrategy(options.accept);
  // Nobody knows the port before the announcement; a connection that still reaches the supervisor
  // (a fixed --port dialled too early) is refused rather than left unserved.
  const server = await listen(options, strategy, (socket) => socket.destroy());
  const address = server.address();
  const port = address && typeof address === "object" ? address.port : options.port;
  let workers: ChildProcess[];
  try {
    workers = await startWorkers({ ...options, accept: strategy.name }, strategy, server, port);
  } catch (error) {
    server.close();
    throw error;
  }
  if (strategy.supervise) strategy.supervise(workers, server, options.threads);
  else server.close();
  announce(options.host, port);
}

function announce(host: string, port: number): void {
  process.stdout.write(`listening on ${formatAddress(host, port)}\n`);
}

function listen(options: ServerOptions, strategy: AcceptStrategy, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // As long an accept queue as the kernel allows: thousands of connections may arrive at once.
    const listenOptions = { host: options.host, port: options.port, backlog: readSomaxconn(), ...strategy.supervisorListen };
    server.listen(listenOptions, () => resolve(server));
  });
}

function stopOnSignals(stop: () => void): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** Forks the workers, hands each its listeners, resolves when all are ready; supervises them from then on. */
async function startWorkers(options: ServerOptions, strategy: AcceptStrategy, server: Server, port: number): Promise<ChildProcess[]> {
  // child_process, not node:cluster: a cluster worker would route its listen() back through the supervisor.
  const workerPath = fileURLToPath(new URL("./worker-process.js", import.meta.url));
  const env = { ...process.env, TCPSWEEP_SERVER_OPTIONS: JSON.stringify(options) };
  const workers = Array.from({ length: options.threads }, (_, index) =>
    fork(workerPath, [], { env: { ...env, [WORKER_INDEX_ENV]: String(index) }, stdio: "inherit" }),
  );
  const isDead = (worker: ChildProcess) => worker.exitCode !== null || worker.signalCode !== null;
  let started = false;
  let stopping = false;
  const ready = workers.map(
    (worker) =>
      new Promise<void>((resolve, reject) => {
        worker.on("message", (message: unknown) => isMessage<ReadyMessage>(message, "ready") && resolve());
        worker.once("exit", (code, signal) => {
          reject(new Error(`server worker ${worker.pid} stopped before accepting (${signal ?? `exit ${code}`})`));
          if (stopping || !started) return; // before every worker is ready, the rejection reports it
          // A dead worker means the measured server is no longer what the user asked for: fail loudly.
          process.stderr.write(`tcpsweep server: worker ${worker.pid} died (${signal ?? `exit ${code}`}); stopping\n`);
          void shutdown(1);
        });
        strategy.handOut(worker, server, port, options.threads);
      }),
  );
  /** SIGTERM to every worker, SIGKILL to those still alive after SHUTDOWN_LIMIT_MS; resolves when all are gone. */
  const stopWorkers = () => {
    stopping = true;
    for (const worker of workers) if (!isDead(worker)) worker.kill("SIGTERM");
    return new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        for (const worker of workers) if (!isDead(worker)) worker.kill("SIGKILL");
      }, SHUTDOWN_LIMIT_MS);
      void Promise.all(workers.filter((worker) => !isDead(worker)).map((worker) => new Promise((r) => worker.once("exit", r)))).then(() => {
        clearTimeout(deadline);
        resolve();
      });
    });
  };
  const shutdown = (exitCode: number) => stopWorkers().then(() => process.exit(exitCode));
  stopOnSignals(() => void shutdown(0));
  try {
    await Promise.all(ready);
  } catch (error) {
    await stopWorkers();
    throw error;
  }
  started = true;
  return workers;
}

/** Entry of a worker process: accept on the listeners the supervisor passes, serve until told to stop or orphaned. */
export function runServerWorker(options: ServerOptions): void {
  const sockets = new Set<Socket>();
  const connectionLimit = readOpenFileLimit().soft - FD_HEADROOM;
  const strategy = acceptStrategy(options.accept);
  const listeners = strategy.accept({
    host: options.host,
    threads: options.threads,
    index: Number(process.env[WORKER_INDEX_ENV] ?? 0),
    connectionLimit,
    onConnection: (socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      serveConnection(socket, options.protocol, options.reply, options.workUs);
    },
    onReady: () => process.send?.({ kind: "ready" } satisfies ReadyMessage),
    onError: (error) => {
      process.stderr.write(
        `tcpsweep server worker ${process.pid}: cannot listen on ${formatAddress(options.host, options.port)}: ${error.message}\n`,
      );
      process.exit(1);
    },
  });
  stopOnSignals(() => {
    for (const server of listeners) server.close();
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  });
  // If the supervisor dies without telling us (SIGKILL), do not linger holding the port.
  process.on("disconnect", () => process.exit(0));
}
