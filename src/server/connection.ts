import type { Socket } from "node:net";
import { protocolNamed, type ProtocolName, type ServerProtocolOptions } from "../protocol/index.js";

export type ReplyMode = ServerProtocolOptions["reply"];

/**
 * Serves one client connection in `protocol` (src/protocol): every chunk's reply goes out in
 * one write. A bad request closes this connection only. With `workUs`, each reply write costs that
 * much CPU first (a busy loop on the event loop, as a request's own work would be): one write per
 * request while a connection has one whole request in flight at a time, as the built-in client keeps
 * it with frames that arrive in one read (a request split over reads is charged per write).
 */
export function serveConnection(socket: Socket, protocol: ProtocolName, reply: ReplyMode, workUs = 0): void {
  socket.setNoDelay(true);
  const session = protocolNamed(protocol).serverSession({ reply });
  socket.on("data", (chunk: Buffer) => {
    const outcome = session.receive(chunk);
    if (outcome.reply) {
      if (workUs > 0) busyFor(workUs);
      socket.write(outcome.reply);
    }
    if (outcome.error !== undefined) socket.destroy();
  });
  // A peer that vanishes (reset, or killed mid-write) must not take the server down.
  socket.on("error", () => socket.destroy());
}

/**
 * Spins until the process has used `us` more microseconds of CPU: work of a known CPU cost, which a
 * loaded machine stretches in wall time as it would a real request's (a wall-time spin would count
 * the time the worker waited for a core as work).
 */
function busyFor(us: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= us) return;
  }
}
