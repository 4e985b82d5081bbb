import type { Socket } from "node:net";
import { protocolNamed, type ProtocolName, type ServerProtocolOptions } from "../protocol/index.js";

export type ReplyMode = ServerProtocolOptions["reply"];

/**
 * Serves one client connection in `protocol` (src/protocol): every chunk's reply goes out in
 * one write. A bad request closes this connection only.
 */
export function serveConnection(socket: Socket, protocol: ProtocolName, reply: ReplyMode): void {
  socket.setNoDelay(true);
  const session = protocolNamed(protocol).serverSession({ reply });
  socket.on("data", (chunk: Buffer) => {
    const outcome = session.receive(chunk);
    if (outcome.reply) socket.write(outcome.reply);
    if (outcome.error !== undefined) socket.destroy();
  });
  // A peer that vanishes (reset, or killed mid-write) must not take the server down.
  socket.on("error", () => socket.destroy());
}
