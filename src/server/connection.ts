import type { Socket } from "node:net";
import { FRAME_SIZE, FrameDecoder, FrameError, MessageType, encodeFrame } from "../protocol/index.js";

export type ReplyMode = "echo" | "ack";

const INFO_PAYLOAD = Buffer.from(`tcpsweep reference server, pid ${process.pid}`);

/**
 * Serves one client connection: every whole CLIENT_CHAT frame gets an ECHO (same payload)
 * or an ACK, every CLIENT_INFO an INFO. Replies to all frames of one TCP chunk go out in
 * one write. A bad frame closes this connection only.
 */
export function serveConnection(socket: Socket, reply: ReplyMode): void {
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  socket.on("data", (chunk: Buffer) => {
    const replies = Buffer.allocUnsafe(Math.ceil((chunk.length + decoder.pending) / FRAME_SIZE) * FRAME_SIZE);
    let replyBytes = 0;
    let protocolError: FrameError | undefined;
    const bad = decoder.push(chunk, (frame) => {
      const slot = replies.subarray(replyBytes, replyBytes + FRAME_SIZE);
      let encoded: Buffer | FrameError;
      if (frame.type === MessageType.CLIENT_CHAT) {
        encoded = reply === "echo" ? encodeFrame(MessageType.SERVER_ECHO, frame.payload, slot) : encodeFrame(MessageType.SERVER_ACK, EMPTY, slot);
      } else if (frame.type === MessageType.CLIENT_INFO) {
        encoded = encodeFrame(MessageType.SERVER_INFO, INFO_PAYLOAD, slot);
      } else {
        protocolError ??= new FrameError("unknown-type", `a client sent server message type 0x${frame.type.toString(16)}`);
        return;
      }
      if (encoded instanceof FrameError) protocolError ??= encoded;
      else replyBytes += FRAME_SIZE;
    });
    if (replyBytes > 0) socket.write(replies.subarray(0, replyBytes));
    if (bad ?? protocolError) socket.destroy();
  });
  // A peer that vanishes (reset, or killed mid-write) must not take the server down.
  socket.on("error", () => socket.destroy());
}

const EMPTY = Buffer.alloc(0);
