import cluster from "node:cluster";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { formatAddress } from "../process/address.js";
import { serveConnection, type ReplyMode } from "./connection.js";

export interface ServerOptions {
  host: string;
  port: number;
  threads: number;
  reply: ReplyMode;
}

/** Workers must be gone this long after SIGTERM/SIGINT, or they are killed. */
const SHUTDOWN_LIMIT_MS = 1500;

/**
 * Starts the reference chat server. One thread serves in this process; N > 1 runs N
 * node:cluster worker processes (one event loop each) sharing the listening port, with
 * this process as a supervisor that prints `listening on HOST:PORT` once all of them listen.
 */
export async function runServer(options: ServerOptions): Promise<void> {
  if (options.threads === 1) {
    const { server, sockets } = await listen(options);
    const address = server.address();
    if (address && typeof address === "object") announce(options.host, address.port);
    stopOnSignals(() => closeServer(server, sockets).then(() => process.exit(0)));
    return;
  }
  await runCluster(options);
}

function announce(host: string, port: number): void {
  process.stdout.write(`listening on ${formatAddress(host, port)}\n`);
}

function listen(options: ServerOptions): Promise<{ server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    serveConnection(socket, options.reply);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port, backlog: 4096 }, () => resolve({ server, sockets }));
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
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

/** What a cluster worker tells the supervisor when it cannot listen (so the supervisor reports it once). */
interface ListenFailed {
  kind: "listen-failed";
  message: string;
}

const isListenFailed = (message: unknown): message is ListenFailed =>
  typeof message === "object" && message !== null && (message as { kind?: unknown }).kind === "listen-failed";

async function runCluster(options: ServerOptions): Promise<void> {
  cluster.setupPrimary({ exec: fileURLToPath(new URL("./cluster-worker.js", import.meta.url)), silent: false });
  const workerEnv = { TCPSWEEP_SERVER_OPTIONS: JSON.stringify(options) };
  const workers = Array.from({ length: options.threads }, () => cluster.fork(workerEnv));
  let started = false;
  let stopping = false;
  const listening = workers.map(
    (worker) =>
      new Promise<number>((resolve, reject) => {
        let failure: string | undefined;
        worker.once("listening", (address) => resolve(address.port));
        worker.on("message", (message: unknown) => {
          if (isListenFailed(message)) failure = message.message;
        });
        // "disconnect" comes once the IPC channel is drained, so a failure message sent just before is in.
        worker.once("disconnect", () => reject(new Error(failure ?? `server worker ${worker.process.pid} stopped before listening`)));
      }),
  );
  cluster.on("exit", (worker, code, signal) => {
    if (stopping || !started) return; // before every worker listens, the listening promises report it
    // A dead worker means the measured server is no longer what the user asked for: fail loudly.
    process.stderr.write(`tcpsweep server: worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); stopping\n`);
    void shutdown(1);
  });
  /** SIGTERM to every worker, SIGKILL to those still alive after SHUTDOWN_LIMIT_MS; resolves when all are gone. */
  const stopWorkers = () => {
    stopping = true;
    for (const worker of workers) if (!worker.isDead()) worker.process.kill("SIGTERM");
    return new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        for (const worker of workers) if (!worker.isDead()) worker.process.kill("SIGKILL");
      }, SHUTDOWN_LIMIT_MS);
      Promise.all(workers.map((worker) => (worker.isDead() ? undefined : new Promise((r) => worker.once("exit", r))))).then(() => {
        clearTimeout(deadline);
        resolve();
      });
    });
  };
  const shutdown = (exitCode: number) => stopWorkers().then(() => process.exit(exitCode));
  stopOnSignals(() => void shutdown(0));
  let ports: number[];
  try {
    ports = await Promise.all(listening);
  } catch (error) {
    // Like a one-thread server that cannot listen: the caller reports it and exits 2.
    await stopWorkers();
    throw error;
  }
  started = true;
  announce(options.host, ports[0]!);
}

/** Entry of a cluster worker process: serve until told to stop or orphaned. */
export async function runClusterWorker(options: ServerOptions): Promise<void> {
  let listener: Awaited<ReturnType<typeof listen>>;
  try {
    listener = await listen(options);
  } catch (error) {
    // The supervisor says it once for all workers; exit without an uncaught-error stack trace.
    const failed: ListenFailed = { kind: "listen-failed", message: (error as Error).message };
    if (process.send) process.send(failed, () => process.exit(2));
    else process.exit(2);
    return;
  }
  const { server, sockets } = listener;
  stopOnSignals(() => closeServer(server, sockets).then(() => process.exit(0)));
  // If the supervisor dies without telling us (SIGKILL), do not linger holding the port.
  process.on("disconnect", () => process.exit(0));
}
