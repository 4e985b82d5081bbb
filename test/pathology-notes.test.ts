/**
 * The pathology notes' rules over figures (pure logic, fast) and the kernel counters they read
 * (the real /proc/net/netstat, and a file of its format). The notes on real servers: pathology.test.ts.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nagleDelayedAck, pathologyNote } from "../src/pathology/notes.js";
import { RUN_TCP_COUNTERS, tcpCountsRise, tcpExtCounters } from "../src/process/netstat.js";
import type { RunResult } from "../src/record/run-record.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterEach(removeTempDirs);

/** A run that waited for the delayed-ACK timer: p50 41 ms, p99 52 ms, 24 resp/s over 2 s, the server nearly idle. */
const WAITING: RunResult = {
  latency_p50_us: 41_000,
  latency_p99_us: 52_000,
  server_cpu_s: 0.05,
  duration_s: 2,
  resp_per_s: 24,
} as RunResult;

describe("kernel TCP counters", () => {
  it("reads ListenOverflows and DelayedACKs from this machine's /proc/net/netstat", () => {
    const counts = tcpExtCounters();
    for (const name of RUN_TCP_COUNTERS) expect(counts[name], name).toBeGreaterThanOrEqual(0);
  });

  it("reads a file of the kernel's format by name, leaves out a counter it lacks, and gives the rise of each", () => {
    const file = path.join(makeTempDir(), "netstat");
    writeFileSync(file, "TcpExt: SyncookiesSent DelayedACKs ListenOverflows\nTcpExt: 0 17 3\nIpExt: InNoRoutes\nIpExt: 0\n");
    expect(tcpExtCounters(RUN_TCP_COUNTERS, file)).toEqual({ DelayedACKs: 17, ListenOverflows: 3 });
    writeFileSync(file, "TcpExt: DelayedACKs\nTcpExt: 40\n");
    expect(tcpExtCounters(RUN_TCP_COUNTERS, file)).toEqual({ DelayedACKs: 40 });
    expect(tcpCountsRise({ DelayedACKs: 17, ListenOverflows: 3 }, { DelayedACKs: 40 })).toEqual({ DelayedACKs: 23 });
    expect(tcpExtCounters(RUN_TCP_COUNTERS, path.join(path.dirname(file), "absent"))).toEqual({});
  });
});

describe("the delayed-ACK note", () => {
  it("with the kernel's count: named when the timer fired about once per response, with the count", () => {
    expect(nagleDelayedAck(WAITING, 60)).toMatch(
      /fired 60 times in the window \(TcpExt DelayedACKs, host-wide\), 1\.3 per response: likely Nagle/,
    );
  });

  it("with the kernel's count: not named when the timer fired for few responses (the 40 ms come from elsewhere)", () => {
    expect(nagleDelayedAck(WAITING, 5)).toBeUndefined();
    expect(pathologyNote({ row: WAITING, tcpRise: { DelayedACKs: 5, ListenOverflows: 0 } })).toBe("");
  });

  it("without it (a server on another host): named from latency and CPU alone, without a kernel figure", () => {
    const note = nagleDelayedAck(WAITING);
    expect(note).toMatch(/^latency clusters at the 40 ms delayed-ACK timer \(p50 41\.0 ms\)/);
    expect(note).not.toContain("DelayedACKs");
  });

  it("a queue is not the timer: 1,000 connections at p50 51 ms and p99 174 ms, 0.5 expiries per response (measured)", () => {
    const queued = {
      latency_p50_us: 51_455,
      latency_p99_us: 174_207,
      server_cpu_s: 0.62,
      duration_s: 3.05,
      resp_per_s: 15_953,
    } as RunResult;
    expect(nagleDelayedAck(queued, 25_345)).toBeUndefined();
    expect(nagleDelayedAck({ ...queued, latency_p99_us: 60_000 }, 25_345)).toBeUndefined(); // the kernel's count alone
    expect(nagleDelayedAck(queued)).toBeUndefined(); // the p99 alone, where no count was read
  });

  it("a busy server at 40 ms is not Nagle's doing, whatever the kernel counted", () => {
    expect(nagleDelayedAck({ ...WAITING, server_cpu_s: 1.5 }, 60)).toBeUndefined();
  });
});
