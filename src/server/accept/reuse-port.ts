import { createServer, type Server } from "node:net";
import { isMessage, listenersPerWorker, type AcceptStrategy } from "./strategy.js";

/** Supervisor → worker: listen on this port with SO_REUSEPORT. */
interface ListenMessage {
  kind: "listen";
  port: number;
}

/**
 * Every worker opens its own listening sockets on the supervisor's port with SO_REUSEPORT (Node ≥
 * 22.12): each socket has its own accept queue and the kernel spreads new connections over them by
 * a hash of the 4-tuple, so no loop wakes for a connection another one takes. A worker holds its
 * share of the sockets, so it accepts as many connections per loop round as with shared descriptors.
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
      for (let i = 0; i < listenersPerWorker(threads); i++) {
        const server = createServer(onConnection);
        server.once("error", onError);
        // `reusePort` is in Node's types from 22.12 on; @types/node stays on the oldest supported line.
        server.listen({ host, port: message.port, backlog: 4096, reusePort: true } as Parameters<Server["listen"]>[0], () => {
          if (++listening === listenersPerWorker(threads)) onReady();
        });
        listeners.push(server);
      }
    });
    return listeners;
  },
};
