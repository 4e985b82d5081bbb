/**
 * A plain echo (RFC 862 style): a request is `length` bytes, its response the same bytes back,
 * in any number of pieces. Every request of every connection carries different bytes, so a
 * server that answers from the wrong connection, repeats or drops a reply, or corrupts bytes
 * shows up as a mismatch rather than passing.
 */
import { randomInt } from "node:crypto";
import type { ClientSession, Protocol, ServerSession } from "./protocol.js";

export const ECHO_MAX_LENGTH = 64 * 1024;
/**
 * Requests are windows of one shared pattern, at offsets that advance by one per request from a
 * random start per connection: different bytes every time without building a buffer per request
 * (the socket may still hold a handed-out window, and the pattern never changes). Prime, so the
 * cycle of offsets is as long as can be.
 */
export const ECHO_OFFSETS = 65521;

/** Pseudo-random bytes (xorshift32, fixed seed: the same on every host) with no byte equal to the one before it, so consecutive 1-byte requests differ too. */
export function echoPattern(length: number): Buffer {
  const pattern = Buffer.allocUnsafe(length);
  let state = 0x9e3779b9;
  let previous = -1;
  for (let i = 0; i < length; i++) {
    let byte: number;
    do {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      byte = state & 0xff;
    } while (byte === previous);
    pattern[i] = byte;
    previous = byte;
  }
  return pattern;
}

export class EchoClientSession implements ClientSession {
  private sent = 0;
  private answered = 0;
  /** Bytes of the oldest unanswered request's response received so far, and whether any differed. */
  private got = 0;
  private differs = false;

  constructor(
    private readonly pattern: Buffer,
    private readonly length: number,
    /** Where this connection's offsets start (0 … ECHO_OFFSETS-1). */
    private readonly start: number,
  ) {}

  private offsetOf(request: number): number {
    return (this.start + request) % ECHO_OFFSETS;
  }

  nextRequest(): Buffer {
    const offset = this.offsetOf(this.sent++);
    return this.pattern.subarray(offset, offset + this.length);
  }

  receive(chunk: Buffer, onResponse: (matches: boolean) => void): string | undefined {
    for (let position = 0; position < chunk.length;) {
      if (this.answered === this.sent) {
        return `the server sent ${chunk.length - position} byte(s) more than it was sent (an echo returns exactly what it got)`;
      }
      const offset = this.offsetOf(this.answered) + this.got;
      const take = Math.min(this.length - this.got, chunk.length - position);
      // Byte for byte, as memcmp: once a response differs, the rest of it need not be compared.
      if (!this.differs && chunk.compare(this.pattern, offset, offset + take, position, position + take) !== 0) this.differs = true;
      this.got += take;
      position += take;
      if (this.got === this.length) {
        const matches = !this.differs;
        this.answered++;
        this.got = 0;
        this.differs = false;
        onResponse(matches);
      }
    }
    return undefined;
  }
}

/** The built-in server's echo: every chunk goes straight back (a 'data' chunk is a fresh buffer, safe to write). */
const echoServerSession: ServerSession = { receive: (chunk) => ({ reply: chunk }) };

export const echoProtocol: Protocol = {
  name: "echo",
  summary: "any TCP echo server: `length` bytes out, the same bytes back (in any number of pieces)",
  length: { min: 1, max: ECHO_MAX_LENGTH, default: 1024, meaning: "bytes per request, echoed back" },
  client({ length }) {
    const pattern = echoPattern(ECHO_OFFSETS + length);
    return { session: () => new EchoClientSession(pattern, length, randomInt(ECHO_OFFSETS)) };
  },
  serverOptionsProblem: ({ reply }) =>
    reply === "ack" ? "reply ack applies to the chat protocol only: an echo server sends back what it got" : undefined,
  serverSession: () => echoServerSession,
};
