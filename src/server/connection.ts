import type { Socket } from "node:net";
import { protocolNamed, type ProtocolName, type ServerProtocolOptions } from "../protocol/index.js";

export type ReplyMode = ServerProtocolOptions["reply"];

/**
 * Serves one client connection in `protocol` (src/protocol): every chunk's reply goes out in
 * one write. A bad request closes this connection only. With `workUs`, each reply costs that much
 * CPU first (a busy loop on the event loop, as a request's own work would be): one reply per request
 * while a connection has one request in flight, as the built-in client keeps it.
 */
export function serveConnection(socket: Socket, protocol: ProtocolName, reply: ReplyMode, workUs = 0): void {
  socket.setNoDelay(true);
  const session = protocolNamed(protocol).serverSession({ reply });
  socket.on("data", (chunk: Buffer) => {
    const outcome = session.receive(chunk);
    if (outcome.reply && workUs > 0) busyFor(workUs);
    if (outcome.reply) socket.write(outcome.reply);
    if (outcome.error !== undefined) socket.destroy();
  });
  // A peer that vanishes (reset, or killed mid-write) must not take the server down.
  socket.on("error", () => socket.destroy());
}

/** Spins for `us` microseconds of wall time (on a core of its own, CPU time alike). */
function busyFor(us: number): void {
  const until = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < until) {
    // the work a slower server would do
  }
}
