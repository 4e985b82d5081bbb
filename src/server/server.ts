import cluster from "node:cluster";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
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
  const shown = host.includes(":") ? `[${host}]` : host;
  process.stdout.write(`listening on ${shown}:${port}\n`);
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

async function runCluster(options: ServerOptions): Promise<void> {
  cluster.setupPrimary({ exec: fileURLToPath(new URL("./cluster-worker.js", import.meta.url)), silent: false });
  const workerEnv = { TCPSWEEP_SERVER_OPTIONS: JSON.stringify(options) };
  const workers = Array.from({ length: options.threads }, () => cluster.fork(workerEnv));
  let stopping = false;
  const listening = workers.map(
    (worker) =>
      new Promise<number>((resolve, reject) => {
        worker.once("listening", (address) => resolve(address.port));
        worker.once("exit", (code) => reject(new Error(`server worker ${worker.process.pid} exited with code ${code} before listening`)));
      }),
  );
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    // A dead worker means the measured server is no longer what the user asked for: fail loudly.
    process.stderr.write(`tcpsweep server: worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); stopping\n`);
    shutdown(1);
  });
  const shutdown = (exitCode: number) => {
    stopping = true;
    for (const worker of workers) worker.process.kill("SIGTERM");
    const deadline = setTimeout(() => {
      for (const worker of workers) worker.process.kill("SIGKILL");
      process.exit(exitCode);
    }, SHUTDOWN_LIMIT_MS);
    Promise.all(workers.map((worker) => (worker.isDead() ? undefined : new Promise((r) => worker.once("exit", r))))).then(() => {
      clearTimeout(deadline);
      process.exit(exitCode);
    });
  };
  stopOnSignals(() => shutdown(0));
  try {
    const ports = await Promise.all(listening);
    announce(options.host, ports[0]!);
  } catch (error) {
    process.stderr.write(`tcpsweep server: ${(error as Error).message}\n`);
    shutdown(1);
  }
}

/** Entry of a cluster worker process: serve until told to stop or orphaned. */
export async function runClusterWorker(options: ServerOptions): Promise<void> {
  const { server, sockets } = await listen(options);
  stopOnSignals(() => closeServer(server, sockets).then(() => process.exit(0)));
  // If the supervisor dies without telling us (SIGKILL), do not linger holding the port.
  process.on("disconnect", () => process.exit(0));
}
