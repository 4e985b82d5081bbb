/**
 * Opening connections: a sliding window (a slow connect never holds up the others), retries of a
 * refused connect within the retry time, and the client's report of both. Real sockets on 127.0.0.1;
 * the scheduler's own test drives attempts the test finishes itself, so it can hold one back.
 */
import { connect, createServer, type Server } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { connectFailure, openConnections, type AttemptEvents } from "../src/client/connect-window.js";
import { freePort as kernelFreePort } from "../src/process/ports.js";
import { HOST, killRunningChildren, runClientJson, startRealServer } from "./helpers/fake-servers.js";

afterAll(async () => {
  await killRunningChildren();
});

describe("connect window", () => {
  it("keeps at most `window` attempts in flight and starts the next as soon as any finishes, not after the slowest", async () => {
    const pending: AttemptEvents[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const opened = openConnections(50, { window: 4, retryForMs: 0 }, (events) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push(events);
    });
    const slow = pending.shift()!; // held back until every other connection is through
    let admitted = 0;
    while (pending.length > 0) {
      const next = pending.shift()!;
      inFlight--;
      admitted++;
      next.admitted(); // synchronously starts the next attempt (pushed onto `pending`)
    }
    // Batches of 4 would have waited for `slow` after the first 3: the window slid past it.
    expect(admitted).toBe(49);
    expect(maxInFlight).toBe(4);
    slow.admitted();
    expect(await opened).toEqual({ failed: 0, retries: 0, errors: { refused: 0, timed_out: 0, other: 0 } });
  });

  it("paces attempts to ratePerS", async () => {
    const started: number[] = [];
    const opened = openConnections(6, { window: 100, ratePerS: 50, retryForMs: 0 }, (events) => {
      started.push(performance.now());
      events.admitted();
    });
    await opened;
    // 6 attempts at 50/s: the last starts at least 5 intervals (100 ms) after the first (timers never fire early).
    expect(started.at(-1)! - started[0]!).toBeGreaterThanOrEqual(99);
  });

  it("retries a refused connect until the server listens, within the retry time", async () => {
    const port = await kernelFreePort(HOST);
    let server: Server | undefined;
    const refusals: string[] = [];
    const outcome = await openConnections(3, { window: 3, retryForMs: 20_000 }, (events) => {
      const socket = connect({ host: HOST, port });
      socket.once("connect", () => {
        socket.destroy();
        events.admitted();
      });
      socket.once("error", (error) => {
        const failure = connectFailure(error, 1000, `${HOST}:${port}`);
        refusals.push(failure.kind);
        // The first refusal is the event that starts the server: the retries after it find it listening.
        server ??= createServer((s) => s.destroy()).listen({ host: HOST, port });
        events.failed(failure);
      });
    });
    await new Promise((resolve) => server!.close(resolve));
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(new Set(refusals)).toEqual(new Set(["refused"]));
    expect(outcome.failed).toBe(0);
    expect(outcome.retries).toBe(refusals.length);
  });

  it("does not retry past the retry time: the failure is counted by kind", async () => {
    const port = await kernelFreePort(HOST);
    const outcome = await openConnections(2, { window: 2, retryForMs: 0 }, (events) => {
      const socket = connect({ host: HOST, port });
      socket.once("error", (error) => events.failed(connectFailure(error, 1000, `${HOST}:${port}`)));
    });
    expect(outcome).toMatchObject({ failed: 2, retries: 0, errors: { refused: 2, timed_out: 0, other: 0 } });
    expect(outcome.firstError).toContain("ECONNREFUSED");
  });
});

describe("client connect report", () => {
  it("reports connect_s, no retries and no connect errors when every connection is made", async () => {
    const server = await startRealServer(["--host", HOST, "--threads", "2"]);
    try {
      const { report } = await runClientJson(["-a", `${HOST}:${server.port}`, "-c", "300", "-t", "0.5", "--warmup", "0.2"], {
        timeoutMs: 60_000,
      });
      expect(report.connections.established).toBe(300);
      expect(report.connections.served).toBe(300);
      expect(report.connect_s).toBeGreaterThan(0);
      expect(report.connect_errors).toEqual({ refused: 0, timed_out: 0, other: 0 });
      expect(report.connect_retries).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
