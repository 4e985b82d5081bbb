/**
 * The protocol seam (src/protocol): each protocol's client session against its own server
 * session, the echo stream cut into pieces of every size, and the ways a wrong echo is caught.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FRAME_SIZE,
  MessageType,
  PROTOCOLS,
  PROTOCOL_NAMES,
  encodeFrame,
  lengthProblem,
  type ClientSession,
  type ProtocolName,
} from "../src/protocol/index.js";
import { ECHO_MAX_LENGTH } from "../src/protocol/echo.js";

/** Sends `count` requests on a fresh session, returns the session and the bytes it sent, in order. */
function sendRequests(protocol: ProtocolName, length: number, count: number): { session: ClientSession; requests: Buffer[] } {
  const session = PROTOCOLS[protocol].client({ length }).session();
  const requests = Array.from({ length: count }, () => Buffer.from(session.nextRequest()));
  return { session, requests };
}

/** What a server session of `protocol` answers to `stream`, fed whole. */
function serverReply(protocol: ProtocolName, stream: Buffer): Buffer {
  const outcome = PROTOCOLS[protocol].serverSession({ reply: "echo" }).receive(stream);
  expect(outcome.error).toBeUndefined();
  return Buffer.from(outcome.reply ?? []);
}

/** Feeds `stream` to `session` in pieces whose sizes cycle through `sizes`; collects verdicts and the first error. */
function feedInPieces(session: ClientSession, stream: Buffer, sizes: readonly number[]): { verdicts: boolean[]; error?: string } {
  const verdicts: boolean[] = [];
  for (let offset = 0, i = 0; offset < stream.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    const error = session.receive(stream.subarray(offset, offset + size), (matches) => verdicts.push(matches));
    if (error !== undefined) return { verdicts, error };
    offset += size;
  }
  return { verdicts };
}

const lengthArb = fc.oneof(fc.constantFrom(1, 2, 1024, 16384, ECHO_MAX_LENGTH), fc.integer({ min: 1, max: 5000 }));
const piecesArb = fc.oneof(
  fc.constant([1]),
  fc.array(fc.integer({ min: 1, max: 70000 }), { minLength: 1, maxLength: 6 }),
  fc.constant([7, 1, 4096]),
);

describe("echo: a response is the request's bytes back, in any number of pieces", () => {
  it("whole responses cut anywhere all match, one verdict per request, in order", () => {
    fc.assert(
      fc.property(lengthArb, fc.integer({ min: 1, max: 5 }), piecesArb, (length, count, pieces) => {
        const { session, requests } = sendRequests("echo", length, count);
        const result = feedInPieces(session, serverReply("echo", Buffer.concat(requests)), pieces);
        expect(result).toEqual({ verdicts: new Array(count).fill(true) });
      }),
      { numRuns: 60 },
    );
  });

  it("one corrupted byte makes exactly its response a mismatch; the others still match", () => {
    fc.assert(
      fc.property(lengthArb, fc.integer({ min: 2, max: 4 }), fc.nat(), piecesArb, (length, count, where, pieces) => {
        const { session, requests } = sendRequests("echo", length, count);
        const stream = Buffer.concat(requests);
        const at = where % stream.length;
        stream[at] = stream[at]! ^ 0x01;
        const { verdicts, error } = feedInPieces(session, stream, pieces);
        expect(error).toBeUndefined();
        const bad = Math.floor(at / length);
        expect(verdicts).toEqual(Array.from({ length: count }, (_, i) => i !== bad));
      }),
      { numRuns: 60 },
    );
  });

  it("responses swapped in order, or one connection's bytes on another, are mismatches", () => {
    const { session, requests } = sendRequests("echo", 64, 2);
    expect(feedInPieces(session, Buffer.concat([requests[1]!, requests[0]!]), [64]).verdicts).toEqual([false, false]);
    const other = sendRequests("echo", 64, 2);
    const { session: mine } = sendRequests("echo", 64, 2);
    expect(feedInPieces(mine, Buffer.concat(other.requests), [13]).verdicts).toEqual([false, false]);
  });

  it("bytes beyond what was sent are an error (the stream is out of step), not a response", () => {
    const { session, requests } = sendRequests("echo", 10, 1);
    const result = feedInPieces(session, Buffer.concat([requests[0]!, Buffer.from("x")]), [11]);
    expect(result.verdicts).toEqual([true]);
    expect(result.error).toMatch(/1 byte\(s\) more than it was sent/);
  });

  it("a short echo is no response yet: the rest may still come", () => {
    const { session, requests } = sendRequests("echo", 100, 1);
    expect(feedInPieces(session, requests[0]!.subarray(0, 99), [99])).toEqual({ verdicts: [] });
    expect(feedInPieces(session, requests[0]!.subarray(99), [1])).toEqual({ verdicts: [true] });
  });

  it("payloads differ per request (even at 1 byte) and per connection", () => {
    for (const length of [1, 2, 1024]) {
      const { requests } = sendRequests("echo", length, 200);
      for (let i = 1; i < requests.length; i++) expect(requests[i]!.equals(requests[i - 1]!), `length ${length}, request ${i}`).toBe(false);
    }
    const firsts = Array.from({ length: 100 }, () => sendRequests("echo", 16, 1).requests[0]!.toString("hex"));
    expect(new Set(firsts).size).toBeGreaterThan(95); // random starts per connection: a few may coincide, not many
  });

  it("request bytes handed out never change afterwards (the socket may still hold them)", () => {
    const session = PROTOCOLS.echo.client({ length: 32 }).session();
    const first = session.nextRequest();
    const copy = Buffer.from(first);
    for (let i = 0; i < 1000; i++) session.nextRequest();
    expect(Buffer.from(first).equals(copy)).toBe(true);
  });
});

describe("chat through the same interface", () => {
  it("an ECHO of the request matches, an ECHO of other bytes is a mismatch, an ACK matches", () => {
    const { session, requests } = sendRequests("chat", 100, 3);
    const wrong = encodeFrame(MessageType.SERVER_ECHO, Buffer.alloc(100, 0x41)) as Buffer;
    const ack = encodeFrame(MessageType.SERVER_ACK, Buffer.alloc(0)) as Buffer;
    const stream = Buffer.concat([serverReply("chat", requests[0]!), wrong, ack]);
    expect(feedInPieces(session, stream, [FRAME_SIZE - 1, 2])).toEqual({ verdicts: [true, false, true] });
  });

  it("a plain echo server's answer (the CLIENT_CHAT frame back) is out of step, as the issue found", () => {
    const { session, requests } = sendRequests("chat", 100, 1);
    const result = feedInPieces(session, serverReply("echo", requests[0]!), [FRAME_SIZE]);
    expect(result.verdicts).toEqual([]);
    expect(result.error).toMatch(/message type 0x13, not ECHO, ACK or INFO/);
  });
});

describe("registry", () => {
  it("lists chat and echo, each with a length range and its default inside it", () => {
    expect(PROTOCOL_NAMES).toEqual(["chat", "echo"]);
    for (const name of PROTOCOL_NAMES) {
      const { min, max, default: fallback } = PROTOCOLS[name].length;
      expect(lengthProblem(name, fallback)).toBeUndefined();
      expect(lengthProblem(name, min - 1)).toMatch(new RegExp(`${name} protocol`));
      expect(lengthProblem(name, max + 1)).toMatch(new RegExp(`${min}…${max}`));
    }
    expect(lengthProblem("echo", 0)).toMatch(/1…65536/);
    expect(lengthProblem("chat", 16384)).toMatch(/0…1021/);
  });

  it("echo refuses the chat-only ack reply; chat takes both", () => {
    expect(PROTOCOLS.echo.serverOptionsProblem({ reply: "ack" })).toMatch(/chat protocol only/);
    expect(PROTOCOLS.echo.serverOptionsProblem({ reply: "echo" })).toBeUndefined();
    expect(PROTOCOLS.chat.serverOptionsProblem({ reply: "ack" })).toBeUndefined();
  });
});
