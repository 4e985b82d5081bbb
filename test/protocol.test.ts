import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FRAME_SIZE,
  FrameDecoder,
  FrameError,
  HEADER_SIZE,
  MAX_PAYLOAD,
  MessageType,
  decodeFrame,
  encodeFrame,
  isServerReply,
  type FrameErrorKind,
} from "../src/protocol/index.js";

const ALL_TYPES = Object.values(MessageType);
const KNOWN = new Set<number>(ALL_TYPES);
const UNKNOWN_TYPES = Array.from({ length: 256 }, (_, i) => i).filter((t) => !KNOWN.has(t));

interface PlainFrame {
  type: MessageType;
  payload: Uint8Array;
}

function encode(type: MessageType, payload: Uint8Array): Buffer {
  const frame = encodeFrame(type, payload);
  if (frame instanceof FrameError) throw new Error(`unexpected FrameError: ${frame.message}`);
  return frame;
}

function patterned(length: number, seed = 7): Buffer {
  const buffer = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buffer[i] = (i * 31 + seed) & 0xff;
  return buffer;
}

/** Cuts `stream` into chunks whose sizes cycle through `sizes` (0 = an empty chunk, then the next size). */
function cut(stream: Buffer, sizes: readonly number[]): Buffer[] {
  const usable = sizes.some((s) => s > 0) ? sizes : [1];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < stream.length; i++) {
    const size = usable[i % usable.length]!;
    chunks.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** Feeds chunks to a fresh decoder; copies each frame (frames are only valid during the callback). */
function feed(chunks: readonly Buffer[]): {
  frames: { type: number; payload: Buffer }[];
  results: (FrameError | undefined)[];
  decoder: FrameDecoder;
} {
  const decoder = new FrameDecoder();
  const frames: { type: number; payload: Buffer }[] = [];
  const results = chunks.map((chunk) =>
    decoder.push(chunk, (frame) => frames.push({ type: frame.type, payload: Buffer.from(frame.payload) })),
  );
  return { frames, results, decoder };
}

const typeArb = fc.constantFrom(...ALL_TYPES);
const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.uint8Array({ minLength: MAX_PAYLOAD - 4, maxLength: MAX_PAYLOAD }),
  fc.uint8Array({ maxLength: MAX_PAYLOAD }),
);
const frameArb: fc.Arbitrary<PlainFrame> = fc.record({ type: typeArb, payload: payloadArb });
/** Chunk-size cycles: 1-byte chunks, tiny chunks, sizes around the frame size, many frames per chunk. */
const chunkSizesArb = fc.oneof(
  fc.constant([1]),
  fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 8 }),
  fc.array(fc.integer({ min: 0, max: 3 * FRAME_SIZE }), { minLength: 1, maxLength: 10 }),
  fc.array(fc.constantFrom(FRAME_SIZE - 1, FRAME_SIZE, FRAME_SIZE + 1, HEADER_SIZE, 2), { minLength: 1, maxLength: 6 }),
  fc.constant([1 << 20]),
);

describe("encodeFrame / decodeFrame", () => {
  it("round-trips every message type at payload lengths 0, 1 and 1021", () => {
    for (const type of ALL_TYPES) {
      for (const length of [0, 1, MAX_PAYLOAD]) {
        const payload = patterned(length, type);
        const frame = encode(type, payload);
        expect(frame.length).toBe(FRAME_SIZE);
        expect(frame[0]).toBe(type);
        expect(frame.readUInt16LE(1)).toBe(length);
        expect(frame.subarray(HEADER_SIZE + length).every((b) => b === 0)).toBe(true);
        const decoded = decodeFrame(frame);
        expect(decoded).not.toBeInstanceOf(FrameError);
        if (decoded instanceof FrameError) continue;
        expect(decoded.type).toBe(type);
        expect(decoded.payload.length).toBe(length);
        expect(Buffer.compare(decoded.payload, payload)).toBe(0);
      }
    }
  });

  it("zero-pads a reused buffer and writes the length little-endian", () => {
    const into = Buffer.alloc(FRAME_SIZE, 0xff);
    const payload = patterned(300);
    const frame = encodeFrame(MessageType.CLIENT_CHAT, payload, into);
    expect(frame).toBe(into);
    expect(into[1]).toBe(300 & 0xff);
    expect(into[2]).toBe(300 >> 8);
    expect(into.subarray(HEADER_SIZE + 300).every((b) => b === 0)).toBe(true);
    expect(Buffer.compare(into.subarray(HEADER_SIZE, HEADER_SIZE + 300), payload)).toBe(0);
  });

  it("round-trips random payloads (property)", () => {
    fc.assert(
      fc.property(frameArb, ({ type, payload }) => {
        const decoded = decodeFrame(encode(type, payload));
        expect(decoded).not.toBeInstanceOf(FrameError);
        if (decoded instanceof FrameError) return;
        expect(decoded.type).toBe(type);
        expect(Buffer.compare(decoded.payload, Buffer.from(payload))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a 1022-byte payload with a bad-length FrameError (and does not write into the buffer)", () => {
    const into = Buffer.alloc(FRAME_SIZE, 0xaa);
    for (const length of [MAX_PAYLOAD + 1, FRAME_SIZE, 70_000]) {
      const result = encodeFrame(MessageType.SERVER_ECHO, Buffer.alloc(length), into);
      expect(result).toBeInstanceOf(FrameError);
      expect((result as FrameError).kind).toBe("bad-length");
      expect((result as FrameError).message).toContain(String(length));
    }
    expect(into.every((b) => b === 0xaa)).toBe(true);
  });

  it("decodeFrame: every unknown type byte is an unknown-type FrameError", () => {
    expect(UNKNOWN_TYPES).toHaveLength(256 - 5);
    for (const type of UNKNOWN_TYPES) {
      const frame = encode(MessageType.CLIENT_CHAT, patterned(10));
      frame[0] = type;
      const result = decodeFrame(frame);
      expect(result).toBeInstanceOf(FrameError);
      expect((result as FrameError).kind).toBe("unknown-type");
    }
  });

  it("decodeFrame: a length field over 1021 is a bad-length FrameError; 1021 is fine", () => {
    for (const length of [MAX_PAYLOAD + 1, FRAME_SIZE, 0x7fff, 0xffff]) {
      const frame = encode(MessageType.SERVER_ECHO, Buffer.alloc(0));
      frame.writeUInt16LE(length, 1);
      const result = decodeFrame(frame);
      expect(result).toBeInstanceOf(FrameError);
      expect((result as FrameError).kind).toBe("bad-length");
      expect((result as FrameError).message).toContain(String(length));
    }
    const edge = encode(MessageType.SERVER_ECHO, Buffer.alloc(0));
    edge.writeUInt16LE(MAX_PAYLOAD, 1);
    const decoded = decodeFrame(edge);
    expect(decoded).not.toBeInstanceOf(FrameError);
    expect((decoded as { payload: Buffer }).payload.length).toBe(MAX_PAYLOAD);
  });

  it("decodeFrame: any size but 1024 is a short-frame FrameError", () => {
    const whole = encode(MessageType.CLIENT_INFO, Buffer.alloc(0));
    for (const size of [0, 1, HEADER_SIZE, FRAME_SIZE - 1, FRAME_SIZE + 1, 2 * FRAME_SIZE]) {
      const buffer = Buffer.alloc(size);
      whole.copy(buffer, 0, 0, Math.min(size, FRAME_SIZE));
      const result = decodeFrame(buffer);
      expect(result).toBeInstanceOf(FrameError);
      expect((result as FrameError).kind).toBe("short-frame");
    }
  });

  it("isServerReply accepts exactly ECHO, ACK and INFO", () => {
    const replies = Array.from({ length: 256 }, (_, t) => t).filter(isServerReply);
    expect(replies).toEqual([MessageType.SERVER_ECHO, MessageType.SERVER_ACK, MessageType.SERVER_INFO]);
  });
});

describe("FrameDecoder", () => {
  it("reassembles a frame split across chunks, holding the partial bytes as pending", () => {
    const payload = patterned(MAX_PAYLOAD, 3);
    const frame = encode(MessageType.SERVER_ECHO, payload);
    for (const splits of [[1], [2], [3], [4], [512], [1023], [1, 2, 1000], [3, 1020]]) {
      const decoder = new FrameDecoder();
      const seen: Buffer[] = [];
      let offset = 0;
      for (const at of splits) {
        expect(decoder.push(frame.subarray(offset, at), (f) => seen.push(Buffer.from(f.payload)))).toBeUndefined();
        offset = at;
        expect(decoder.pending).toBe(at);
        expect(seen).toHaveLength(0);
      }
      expect(decoder.push(frame.subarray(offset), (f) => seen.push(Buffer.from(f.payload)))).toBeUndefined();
      expect(decoder.pending).toBe(0);
      expect(seen).toHaveLength(1);
      expect(Buffer.compare(seen[0]!, payload)).toBe(0);
    }
  });

  it("hands out the tail of a split frame and the frames after it from one chunk, in order", () => {
    const frames = [0, 1, 2, 3].map((i) => encode(MessageType.SERVER_ECHO, patterned(100 + i, i)));
    const stream = Buffer.concat(frames);
    const { frames: seen, results, decoder } = feed([stream.subarray(0, 700), stream.subarray(700, 4000), stream.subarray(4000)]);
    expect(results).toEqual([undefined, undefined, undefined]);
    expect(decoder.pending).toBe(0);
    expect(seen.map((f) => f.payload.length)).toEqual([100, 101, 102, 103]);
    seen.forEach((f, i) => expect(Buffer.compare(f.payload, patterned(100 + i, i))).toBe(0));
  });

  it("yields exactly the frames sent, in order, however the stream is cut (property)", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 0, maxLength: 8 }), chunkSizesArb, (sent, sizes) => {
        const stream = Buffer.concat(sent.map((f) => encode(f.type, f.payload)));
        const { frames, results, decoder } = feed(cut(stream, sizes));
        expect(results.every((r) => r === undefined)).toBe(true);
        expect(decoder.pending).toBe(0);
        expect(frames.map((f) => f.type)).toEqual(sent.map((f) => f.type));
        frames.forEach((f, i) => expect(Buffer.compare(f.payload, Buffer.from(sent[i]!.payload))).toBe(0));
      }),
      { numRuns: 200 },
    );
  });

  it("holds back a trailing partial frame without emitting it (property)", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: FRAME_SIZE - 1 }),
        chunkSizesArb,
        (sent, keep, sizes) => {
          const stream = Buffer.concat(sent.map((f) => encode(f.type, f.payload)));
          const truncated = stream.subarray(0, stream.length - FRAME_SIZE + keep);
          const { frames, results, decoder } = feed(cut(truncated, sizes));
          expect(results.every((r) => r === undefined)).toBe(true);
          expect(frames).toHaveLength(sent.length - 1);
          expect(decoder.pending).toBe(keep);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("stops at a bad frame after exactly the good frames before it, however the stream is cut (property)", () => {
    const badArb = fc.oneof(
      fc.record({ kind: fc.constant<FrameErrorKind>("unknown-type"), byte: fc.constantFrom(...UNKNOWN_TYPES) }),
      fc.record({ kind: fc.constant<FrameErrorKind>("bad-length"), byte: fc.integer({ min: MAX_PAYLOAD + 1, max: 0xffff }) }),
    );
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), fc.nat(), badArb, chunkSizesArb, (sent, pick, bad, sizes) => {
        const index = pick % sent.length;
        const encoded = sent.map((f) => encode(f.type, f.payload));
        const target = encoded[index]!;
        if (bad.kind === "unknown-type") target[0] = bad.byte;
        else target.writeUInt16LE(bad.byte, 1);
        const { frames, results } = feed(cut(Buffer.concat(encoded), sizes));
        const errors = results.filter((r): r is FrameError => r !== undefined);
        expect(errors.length).toBeGreaterThanOrEqual(1);
        expect(errors[0]).toBeInstanceOf(FrameError);
        expect(errors[0]!.kind).toBe(bad.kind);
        // Frames after the bad one may or may not be decoded later (the stream is out of step), but
        // every frame up to the first error is exactly the good prefix.
        const firstErrorAt = results.findIndex((r) => r !== undefined);
        const { frames: beforeError } = feed(cut(Buffer.concat(encoded), sizes).slice(0, firstErrorAt + 1));
        expect(beforeError.map((f) => f.type)).toEqual(sent.slice(0, index).map((f) => f.type));
        expect(frames.length).toBeGreaterThanOrEqual(index);
      }),
      { numRuns: 200 },
    );
  });

  it("never throws on random bytes: every push returns undefined or a FrameError (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3 * FRAME_SIZE }), { maxLength: 12 }), (chunks) => {
        const decoder = new FrameDecoder();
        for (const chunk of chunks) {
          const result = decoder.push(Buffer.from(chunk), (frame) => {
            expect(KNOWN.has(frame.type)).toBe(true);
            expect(frame.payload.length).toBeLessThanOrEqual(MAX_PAYLOAD);
          });
          expect(result === undefined || result instanceof FrameError).toBe(true);
          expect(decoder.pending).toBeGreaterThanOrEqual(0);
          expect(decoder.pending).toBeLessThan(FRAME_SIZE);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on mutated frame streams (property)", () => {
    const mutationArb = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), mutationArb, chunkSizesArb, (sent, mutations, sizes) => {
        const stream = Buffer.concat(sent.map((f) => encode(f.type, f.payload)));
        for (const { at, byte } of mutations) stream[at % stream.length] = byte;
        let mutatedHeaderBad = false;
        for (let offset = 0; offset < stream.length; offset += FRAME_SIZE) {
          if (decodeFrame(stream.subarray(offset, offset + FRAME_SIZE)) instanceof FrameError) mutatedHeaderBad = true;
        }
        const { frames, results } = feed(cut(stream, sizes));
        expect(results.every((r) => r === undefined || r instanceof FrameError)).toBe(true);
        // A stream with a bad header is reported; a stream without one decodes whole.
        expect(results.some((r) => r instanceof FrameError)).toBe(mutatedHeaderBad);
        if (!mutatedHeaderBad) expect(frames).toHaveLength(sent.length);
      }),
      { numRuns: 300 },
    );
  });
});
