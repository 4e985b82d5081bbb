/**
 * The chat wire protocol: every message is exactly one 1024-byte frame.
 *   byte 0      type (u8)
 *   bytes 1–2   payload length (u16 little-endian, 0…1021)
 *   bytes 3–    payload, zero padded to the end of the frame
 * This module is the only place in tcpsweep that knows this layout.
 */

export const FRAME_SIZE = 1024;
export const HEADER_SIZE = 3;
export const MAX_PAYLOAD = FRAME_SIZE - HEADER_SIZE; // 1021

export const MessageType = {
  CLIENT_CHAT: 0x13,
  CLIENT_INFO: 0x14,
  SERVER_ECHO: 0x05,
  SERVER_ACK: 0x06,
  SERVER_INFO: 0x07,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(MessageType));

/** A response counts as a success when it is a whole frame of one of these types. */
export function isServerReply(type: number): boolean {
  return type === MessageType.SERVER_ECHO || type === MessageType.SERVER_ACK || type === MessageType.SERVER_INFO;
}

export interface Frame {
  type: MessageType;
  /** A view into the frame's bytes (not a copy): valid until the buffer it came from is reused. */
  payload: Buffer;
}

export type FrameErrorKind = "unknown-type" | "bad-length" | "short-frame";

/** Bad input on the wire is a value, never a thrown exception. */
export class FrameError {
  constructor(
    readonly kind: FrameErrorKind,
    readonly message: string,
  ) {}
}

/** Encodes one frame; `into` lets hot paths reuse a buffer instead of allocating. */
export function encodeFrame(type: MessageType, payload: Uint8Array, into?: Buffer): Buffer | FrameError {
  if (payload.length > MAX_PAYLOAD) {
    return new FrameError("bad-length", `payload of ${payload.length} bytes exceeds the ${MAX_PAYLOAD}-byte maximum`);
  }
  const frame = into ?? Buffer.allocUnsafe(FRAME_SIZE);
  frame[0] = type;
  frame.writeUInt16LE(payload.length, 1);
  frame.set(payload, HEADER_SIZE);
  frame.fill(0, HEADER_SIZE + payload.length, FRAME_SIZE);
  return frame;
}

/** Reads the header of a 1024-byte frame and checks it. The payload is a view, not a copy. */
export function decodeFrame(frame: Buffer): Frame | FrameError {
  if (frame.length !== FRAME_SIZE) {
    return new FrameError("short-frame", `frame is ${frame.length} bytes, expected ${FRAME_SIZE}`);
  }
  const type = frame[0]!;
  if (!KNOWN_TYPES.has(type)) {
    return new FrameError("unknown-type", `unknown message type 0x${type.toString(16).padStart(2, "0")}`);
  }
  const length = frame[1]! | (frame[2]! << 8);
  if (length > MAX_PAYLOAD) {
    return new FrameError("bad-length", `payload length ${length} exceeds the ${MAX_PAYLOAD}-byte maximum`);
  }
  return { type: type as MessageType, payload: frame.subarray(HEADER_SIZE, HEADER_SIZE + length) };
}

/**
 * Reassembles frames from TCP chunks of any size. A frame lying wholly inside one chunk
 * is handed out as a view of that chunk; only a frame split across chunks is copied,
 * into one reusable 1024-byte buffer, allocated by the first split (most connections never
 * see one: 1 KiB less per connection on both sides of a load of thousands).
 */
export class FrameDecoder {
  private partialBuffer?: Buffer;
  private partialLength = 0;

  /** Bytes of an incomplete frame held back, waiting for the rest. */
  get pending(): number {
    return this.partialLength;
  }

  /**
   * Feeds one chunk; calls `onFrame` for every whole frame in order. Stops at the first
   * bad frame and returns its error (the stream is out of step after that); else undefined.
   * A frame passed to `onFrame` is only valid during the call.
   */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): FrameError | undefined {
    let offset = 0;
    if (this.partialLength > 0) {
      const take = Math.min(FRAME_SIZE - this.partialLength, chunk.length);
      chunk.copy(this.partialBuffer!, this.partialLength, 0, take);
      this.partialLength += take;
      offset = take;
      if (this.partialLength < FRAME_SIZE) return undefined;
      this.partialLength = 0;
      const decoded = decodeFrame(this.partialBuffer!);
      if (decoded instanceof FrameError) return decoded;
      onFrame(decoded);
    }
    while (chunk.length - offset >= FRAME_SIZE) {
      const decoded = decodeFrame(chunk.subarray(offset, offset + FRAME_SIZE));
      if (decoded instanceof FrameError) return decoded;
      offset += FRAME_SIZE;
      onFrame(decoded);
    }
    if (offset < chunk.length) {
      this.partialBuffer ??= Buffer.allocUnsafe(FRAME_SIZE);
      chunk.copy(this.partialBuffer, 0, offset);
      this.partialLength = chunk.length - offset;
    }
    return undefined;
  }
}
