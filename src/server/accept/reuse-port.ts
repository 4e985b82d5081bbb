import { createServer, type Server } from "node:net";
import { isMessage, type AcceptStrategy } from "./strategy.js";

/** Supervisor → worker: listen on this port with SO_REUSEPORT. */
interface ListenMessage {
  kind: "listen";
  port: number;
}

/**
 * SO_REUSEPORT sockets over all workers. Each has its own accept queue, and the kernel hashes a new
 * connection to one of them; a loop round accepts one connection per ready socket, so a burst of
 * 4000 connects takes as many rounds as the longest queue holds. Unlike duplicated descriptors, a
 * socket wakes only for connections in its own queue, so more sockets cost file descriptors, not
 * wake-ups. 256 rather than 64 to shorten that ramp; measured, it left fewer connections unanswered
 * at 4000 on Node 24 but not on Node 26 (bench/RESULTS.md).
 */
export const REUSE_PORT_SOCKETS_TOTAL = 256;

const socketsPerWorker = (threads: number) => Math.max(1, Math.ceil(REUSE_PORT_SOCKETS_TOTAL / threads));

/**
 * Every worker opens its own listening sockets on the supervisor's port with SO_REUSEPORT (Node ≥
 * 22.12): each socket has its own accept queue and the kernel spreads new connections over them by
 * a hash of the 4-tuple, so no loop wakes for a connection another one takes. A worker holds its
 * share of REUSE_PORT_SOCKETS_TOTAL. It keeps accepting at its descriptor limit: closing a socket would
 * drop the connections in its own queue.
 */
export const reusePort: AcceptStrategy = {
  name: "reuse-port",
  supervisorListen: { reusePort: true },
  handOut(worker, _server, port) {
    worker.send({ kind: "listen", port } satisfies ListenMessage);
  },
  accept({ host, threads, onConnection, onReady, onError }) {
    const listeners: Server[] = [];
    process.once("message", (message: unknown) => {
      if (!isMessage<ListenMessage>(message, "listen")) return;
      let listening = 0;
      for (let i = 0; i < socketsPerWorker(threads); i++) {
        const server = createServer(onConnection);
        server.once("error", onError);
        // `reusePort` is in Node's types from 22.12 on; @types/node stays on the oldest supported line.
        server.listen({ host, port: message.port, backlog: 4096, reusePort: true } as Parameters<Server["listen"]>[0], () => {
          if (++listening === socketsPerWorker(threads)) onReady();
        });
        listeners.push(server);
      }
    });
    return listeners;
  },
};
