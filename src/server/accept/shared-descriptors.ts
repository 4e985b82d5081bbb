import type { Server, Socket } from "node:net";
import { isMessage, listenersPerWorker, openConnections, type AcceptStrategy } from "./strategy.js";

/** Supervisor → worker: a duplicate of the listening socket comes with this message. */
interface ListenerMessage {
  kind: "listener";
}

/**
 * Every worker accepts on duplicates of the supervisor's one listening socket, passed over IPC
 * (SCM_RIGHTS): one accept queue, and whichever loop polls first takes a connection. Works on every
 * Node; every descriptor wakes on every new connection, and all but one find none.
 */
export const sharedDescriptors: AcceptStrategy = {
  name: "shared-descriptors",
  supervisorListen: {},
  // Each send passes a duplicate descriptor, not the socket's only one.
  handOut(worker, server, _port, threads) {
    for (let i = 0; i < listenersPerWorker(threads); i++) worker.send({ kind: "listener" } satisfies ListenerMessage, server);
  },
  accept({ threads, connectionLimit, onConnection, onReady }) {
    const listeners: Server[] = [];
    const open = openConnections(connectionLimit, ["close"]);
    const take = (socket: Socket) => {
      open.add(socket);
      onConnection(socket);
      // Full: stop accepting, so the other workers take the next connections. Only this process's
      // duplicates close; the listening socket lives on in theirs (at the limit libuv would accept and drop them).
      if (open.full) for (const listening of listeners.splice(0)) listening.close();
    };
    process.on("message", (message: unknown, listener: unknown) => {
      if (!isMessage<ListenerMessage>(message, "listener") || !listener) return;
      const server = listener as Server;
      server.on("connection", take);
      listeners.push(server);
      if (listeners.length === listenersPerWorker(threads)) onReady();
    });
    return listeners;
  },
};
