/**
 * The study's chat protocol (frames in frame.ts): a request is one CLIENT_CHAT frame, a response
 * one whole ECHO, ACK or INFO frame; an ECHO whose payload is not the request's is a mismatch.
 */
import { FRAME_SIZE, FrameDecoder, FrameError, MAX_PAYLOAD, MessageType, encodeFrame, isServerReply, type Frame } from "./frame.js";
import type { ClientSession, Protocol, ServerProtocolOptions, ServerSession } from "./protocol.js";

const INFO_PAYLOAD = Buffer.from(`tcpsweep reference server, pid ${process.pid}`);
const EMPTY = Buffer.alloc(0);

/** The request payload: printable, so a capture is readable. */
function chatPayload(length: number): Buffer {
  const payload = Buffer.alloc(length);
  for (let i = 0; i < length; i++) payload[i] = 0x20 + (i % 95);
  return payload;
}

class ChatClientSession implements ClientSession {
  private readonly decoder = new FrameDecoder();
  /** The current receive() call's listener and the first wrong type it met (fields, so no closure per read). */
  private onResponse: (matches: boolean) => void = () => undefined;
  private wrongType: number | undefined;
  private readonly onFrame = (frame: Frame): void => {
    if (this.wrongType !== undefined) return;
    if (!isServerReply(frame.type)) {
      this.wrongType = frame.type;
      return;
    }
    this.onResponse(frame.type !== MessageType.SERVER_ECHO || frame.payload.equals(this.payload));
  };

  constructor(
    private readonly request: Buffer,
    private readonly payload: Buffer,
  ) {}

  nextRequest(): Buffer {
    return this.request; // the same frame every time: never changed, so safe to share
  }

  receive(chunk: Buffer, onResponse: (matches: boolean) => void): string | undefined {
    this.onResponse = onResponse;
    this.wrongType = undefined;
    const bad = this.decoder.push(chunk, this.onFrame);
    if (bad) return bad.message;
    const wrongType = this.wrongType as number | undefined;
    if (wrongType !== undefined) return `a server sent message type 0x${wrongType.toString(16).padStart(2, "0")}, not ECHO, ACK or INFO`;
    return undefined;
  }
}

/** Every whole CLIENT_CHAT frame gets an ECHO (same payload) or an ACK, every CLIENT_INFO an INFO; one reply write per chunk. */
class ChatServerSession implements ServerSession {
  private readonly decoder = new FrameDecoder();

  constructor(private readonly reply: ServerProtocolOptions["reply"]) {}

  receive(chunk: Buffer): { reply?: Uint8Array; error?: string } {
    const replies = Buffer.allocUnsafe(Math.ceil((chunk.length + this.decoder.pending) / FRAME_SIZE) * FRAME_SIZE);
    let replyBytes = 0;
    let protocolError: FrameError | undefined;
    const bad = this.decoder.push(chunk, (frame) => {
      const slot = replies.subarray(replyBytes, replyBytes + FRAME_SIZE);
      let encoded: Buffer | FrameError;
      if (frame.type === MessageType.CLIENT_CHAT) {
        encoded =
          this.reply === "echo"
            ? encodeFrame(MessageType.SERVER_ECHO, frame.payload, slot)
            : encodeFrame(MessageType.SERVER_ACK, EMPTY, slot);
      } else if (frame.type === MessageType.CLIENT_INFO) {
        encoded = encodeFrame(MessageType.SERVER_INFO, INFO_PAYLOAD, slot);
      } else {
        protocolError ??= new FrameError("unknown-type", `a client sent server message type 0x${frame.type.toString(16)}`);
        return;
      }
      if (encoded instanceof FrameError) protocolError ??= encoded;
      else replyBytes += FRAME_SIZE;
    });
    const error = bad ?? protocolError;
    return { ...(replyBytes > 0 ? { reply: replies.subarray(0, replyBytes) } : {}), ...(error ? { error: error.message } : {}) };
  }
}

export const chatProtocol: Protocol = {
  name: "chat",
  summary: "the study's 1024-byte frames: CLIENT_CHAT → a whole ECHO, ACK or INFO frame",
  length: { min: 0, max: MAX_PAYLOAD, default: MAX_PAYLOAD, meaning: "CLIENT_CHAT payload bytes" },
  client({ length }) {
    const payload = chatPayload(length);
    const request = encodeFrame(MessageType.CLIENT_CHAT, payload);
    if (request instanceof FrameError) throw new Error(request.message); // lengths are checked against `length` first
    return { session: () => new ChatClientSession(request, payload) };
  },
  serverOptionsProblem: () => undefined,
  serverSession: ({ reply }) => new ChatServerSession(reply),
};
