import { fork, type ChildProcess } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { formatAddress } from "../process/address.js";
import { FD_HEADROOM, readOpenFileLimit, readSomaxconn } from "../process/limits.js";
import { serveConnection, type ReplyMode } from "./connection.js";

export interface ServerOptions {
  host: string;
  port: number;
  threads: number;
  reply: ReplyMode;
}

/**
 * Listening descriptors over all event loops. libuv (1.45 on, so Node 20, 22 and 24) accepts one
 * connection per ready listening descriptor per poll round, and a round first serves every ready
 * connection: under load a loop with one descriptor took in ~100 connections/s, so at 1000+
 * connections most of them waited seconds in the accept queue, unanswered, while the first ones
 * ran. Each descriptor is a duplicate of the one listening socket (Node 20 has no SO_REUSEPORT),
 * so a loop's round accepts up to as many connections as it holds descriptors. Spread over the
 * loops, not per loop: every descriptor wakes on every new connection, and all but one find none.
 */
export const LISTENERS_TOTAL = 64;

/** Duplicates of the listening socket each worker accepts on. */
export const listenersPerWorker = (threads: number): number => Math.max(1, Math.ceil(LISTENERS_TOTAL / threads));

/** Workers must be gone this long after SIGTERM/SIGINT, or they are killed. */
const SHUTDOWN_LIMIT_MS = 1500;

/** Supervisor → worker: a duplicate of the listening socket comes with this message. */
interface ListenerMessage {
  kind: "listener";
}
/** Worker → supervisor: all its listeners are in place. */
interface ReadyMessage {
  kind: "ready";
}

const isMessage = <T extends { kind: string }>(message: unknown, kind: T["kind"]): message is T =>
  typeof message === "object" && message !== null && (message as { kind?: unknown }).kind === kind;

/**
 * Starts the reference chat server: N worker processes (one event loop each, N = --threads) under
 * this process as supervisor. The supervisor listens, passes each worker its share of
 * LISTENERS_TOTAL duplicates of the listening socket, closes its own descriptor and prints `listening on HOST:PORT`
 * once every worker accepts.
 */
export async function runServer(options: ServerOptions): Promise<void> {
  // Nobody knows the port before the announcement; a connection that still reaches the supervisor
  // (a fixed --port dialled too early) is refused rather than left unserved.
  const server = await listen(options, (socket) => socket.destroy());
  const address = server.address();
  const port = address && typeof address === "object" ? address.port : options.port;
  try {
    await startWorkers(options, server);
  } finally {
    server.close();
  }
  announce(options.host, port);
}

function announce(host: string, port: number): void {
  process.stdout.write(`listening on ${formatAddress(host, port)}\n`);
}

function listen(options: ServerOptions, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // As long an accept queue as the kernel allows: thousands of connections may arrive at once.
    server.listen({ host: options.host, port: options.port, backlog: readSomaxconn() }, () => resolve(server));
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
async function startWorkers(options: ServerOptions, server: Server): Promise<void> {
  // child_process, not node:cluster: a cluster worker would route its listen() back through the supervisor.
  const workerPath = fileURLToPath(new URL("./worker-process.js", import.meta.url));
  const env = { ...process.env, TCPSWEEP_SERVER_OPTIONS: JSON.stringify(options) };
  const workers = Array.from({ length: options.threads }, () => fork(workerPath, [], { env, stdio: "inherit" }));
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
        sendListeners(worker, server, listenersPerWorker(options.threads));
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
      Promise.all(workers.map((worker) => (isDead(worker) ? undefined : new Promise((r) => worker.once("exit", r))))).then(() => {
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
}

/** Each send passes a duplicate descriptor of the listening socket (SCM_RIGHTS), not the socket's only one. */
function sendListeners(worker: ChildProcess, server: Server, count: number): void {
  for (let i = 0; i < count; i++) worker.send({ kind: "listener" } satisfies ListenerMessage, server);
}

/** Entry of a worker process: accept on the listeners the supervisor passes, serve until told to stop or orphaned. */
export function runServerWorker(options: ServerOptions): void {
  const listeners: Server[] = [];
  const sockets = new Set<Socket>();
  const connectionLimit = readOpenFileLimit().soft - FD_HEADROOM;
  process.on("message", (message: unknown, listener: unknown) => {
    if (!isMessage<ListenerMessage>(message, "listener") || !listener) return;
    const server = listener as Server;
    server.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      serveConnection(socket, options.reply);
      // Full: stop accepting, so the other workers take the next connections. Only this process's
      // duplicates close; the listening socket lives on in theirs. (At the limit libuv would accept and drop them.)
      if (sockets.size >= connectionLimit) for (const listening of listeners) listening.close();
    });
    listeners.push(server);
    if (listeners.length === listenersPerWorker(options.threads)) process.send?.({ kind: "ready" } satisfies ReadyMessage);
  });
  stopOnSignals(() => {
    for (const server of listeners) server.close();
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  });
  // If the supervisor dies without telling us (SIGKILL), do not linger holding the port.
  process.on("disconnect", () => process.exit(0));
}
