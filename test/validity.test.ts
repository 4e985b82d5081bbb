/**
 * Every row tells the truth (issue 10): per-connection accounting, the study's reply rule,
 * starvation in the success rate and the `degraded` status, against real misbehaving servers
 * (test/fixtures/programs/fault-server.mjs) and the built-in pair, all as child processes.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { connectionSpread, jainIndex, mergeSeconds, nearestRank } from "../src/client/connection-stats.js";
import { IO_URING_NOTE, summarize, type SyscallCounts } from "../src/profile/profiler.js";
import { chooseAcceptStrategy } from "../src/server/accept/index.js";
import { parseSpecText } from "../src/sweep/spec.js";
import {
  FAULT_SERVER,
  NODE,
  killRunningClis,
  leftoverProcesses,
  makeTempDir,
  readCsv,
  removeTempDirs,
  runCli,
  writeSpec,
} from "./helpers/sweep.js";
import { specIssueLines } from "./helpers/spec-issues.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

describe("per-connection arithmetic (hand-computed)", () => {
  it("Jain's index: (Σx)² / (n·Σx²)", () => {
    expect(jainIndex([5, 5, 5, 5])).toBe(1);
    expect(jainIndex([10, 0, 0, 0])).toBe(0.25); // 100 / (4·100)
    expect(jainIndex([1, 2, 3])).toBeCloseTo(36 / 42, 12); // 6² / (3·14)
    expect(jainIndex([3, 1])).toBeCloseTo(16 / 20, 12); // 4² / (2·10)
    // 100 served of 500 evenly: (100k)² / (500·100k²) = 0.2
    expect(jainIndex([...Array(100).fill(7), ...Array(400).fill(0)])).toBeCloseTo(0.2, 12);
    expect(jainIndex([0, 0, 0])).toBeUndefined();
    expect(jainIndex([])).toBeUndefined();
  });
  it("nearest-rank percentiles and the spread of counts", () => {
    expect(nearestRank([1, 2, 3, 4], 50)).toBe(2); // rank ceil(0.5·4) = 2
    expect(nearestRank([1, 2, 3, 4, 5], 50)).toBe(3); // rank ceil(2.5) = 3
    expect(nearestRank([9], 50)).toBe(9);
    expect(nearestRank([1, 2, 3, 4], 0)).toBe(1);
    expect(nearestRank([1, 2, 3, 4], 100)).toBe(4);
    expect(nearestRank([], 50)).toBeUndefined();
    expect(connectionSpread([4, 0, 2, 0, 9])).toEqual({ served: 3, jain: 225 / (5 * 101), min: 0, p50: 2, max: 9 });
    expect(connectionSpread([0, 0])).toEqual({ served: 0, min: 0, p50: 0, max: 0 });
  });
  it("per-second series: loops add up element-wise, whole seconds only, zero seconds are stalls", () => {
    expect(
      mergeSeconds(
        [
          [10, 0, 5, 7],
          [1, 0, 2, 3],
        ],
        3,
      ),
    ).toEqual({ series: [11, 0, 7], min: 0, max: 11, stallSeconds: 1 });
    expect(mergeSeconds([[4, 4]], 0)).toEqual({ series: [] });
  });
});

describe("spec keys client.verify and validity.min_served_pct", () => {
  const BASE = "matrix:\n  connections: [1]\nserver:\n  builtin: true\n";
  const opts = { cliEntry: "/x/main.js", cwd: "/base" };
  const issues = (text: string) => specIssueLines(text, "s.yaml", opts);
  it("resolve with their defaults, and verify payload reaches the client's argv", () => {
    const plain = parseSpecText(BASE, "s.yaml", {}, opts);
    expect(plain.client.verify).toBe("type");
    expect(plain.validity).toEqual({ minServedPct: 100 });
    expect(plain.client.argv).not.toContain("--verify");
    const strict = parseSpecText(`${BASE}client:\n  verify: payload\nvalidity:\n  min_served_pct: 90\n`, "s.yaml", {}, opts);
    expect(strict.client.argv.join(" ")).toContain("--verify payload");
    expect(strict.validity).toEqual({ minServedPct: 90 });
  });
  it("bad values are located errors", () => {
    expect(issues(`${BASE}client:\n  verify: bytes\n`)).toEqual(['s.yaml:6 client.verify: expected one of "type", "payload", got "bytes"']);
    expect(issues(`${BASE}validity:\n  min_served_pct: 120\n`)).toEqual([
      "s.yaml:6 validity.min_served_pct: expected a percentage from 0 to 100, got 120",
    ]);
    expect(issues(`${BASE}client:\n  command: [x]\n  parser: json\n  verify: payload\n`)).toEqual([
      "s.yaml:8 client.verify: only applies to the built-in client; pass it in the command instead",
    ]);
  });
});

describe("syscall_note", () => {
  const table = (rows: [string, number][]): SyscallCounts => ({
    source: "strace",
    target: "server",
    rows: rows.map(([syscall, calls]) => ({ syscall, calls })),
    total: { calls: rows.reduce((sum, [, calls]) => sum + calls, 0) },
    rawFile: "x",
  });
  it("says io_uring when io_uring_enter is among the top syscalls, and nothing otherwise", () => {
    expect(
      summarize(
        table([
          ["io_uring_enter", 900],
          ["futex", 40],
        ]),
        1000,
      ).note,
    ).toBe(IO_URING_NOTE);
    expect(
      summarize(
        table([
          ["read", 1000],
          ["write", 1000],
          ["epoll_wait", 300],
          ["futex", 10],
          ["io_uring_enter", 5],
        ]),
        1000,
      ).note,
    ).toBe(IO_URING_NOTE);
    expect(
      summarize(
        table([
          ["read", 1000],
          ["write", 1000],
          ["epoll_wait", 300],
        ]),
        1000,
      ).note,
    ).toBeUndefined();
    // Sixth or lower: a helper thread's ring, not the server's I/O path.
    const sixth = table([
      ["read", 900],
      ["write", 800],
      ["epoll_wait", 700],
      ["futex", 600],
      ["brk", 500],
      ["io_uring_enter", 1],
    ]);
    expect(summarize(sixth, 1000).note).toBeUndefined();
  });
});

type Row = Record<string, string>;

async function sweep(spec: Record<string, unknown>, args: string[] = [], dir = makeTempDir()) {
  const specFile = writeSpec(dir, { name: "truth", output: { csv: "out/truth.csv" }, ...spec });
  const result = await runCli(["run", specFile, ...args], { cwd: dir, timeoutMs: 90_000 });
  expect(leftoverProcesses(result), "processes left behind").toEqual([]);
  const rows = readCsv(path.join(dir, "out/truth.csv")).rows as Row[];
  return { dir, result, rows };
}

const faultServer = (mode: string, ...extra: string[]) => ({
  command: [NODE, FAULT_SERVER, "--mode", mode, "--port", "{port}", ...extra],
  ready: { stdout: "^listening on " },
});

describe("rows that did not run as specified are degraded", () => {
  it("a fixed pool: 100 of 500 connections served → served 100, starved 400, degraded, success < 100 %, exit 1, pivot marker; --resume reruns it", async () => {
    const spec = {
      duration: "2s",
      matrix: { connections: [500] },
      server: faultServer("first-n", "--count", "100"),
      client: { timeout: "2s", threads: 2 },
    };
    const { dir, result, rows } = await sweep(spec);
    expect(result.status, result.stderr).toBe(1);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    const context = JSON.stringify(row);
    expect(row.status, context).toBe("degraded");
    expect(row.connections_requested, context).toBe("500");
    expect(row.connections_established, context).toBe("500");
    expect(row.connections_served, context).toBe("100");
    expect(row.connections_starved, context).toBe("400");
    // The starvation first; a note follows only if the server, busy to the end, took longer than
    // its stop grace to exit (seen once in CI under Node 24: the note says so, it is not starvation).
    expect(row.error, context).toMatch(
      /^served 100 of 500 connections; 400 starved(; server did not stop within 2 s of SIGTERM and was killed)?$/,
    );
    expect(Number(row.success_rate_pct), context).toBeLessThan(100);
    expect(Number(row.success_rate_pct), context).toBeGreaterThan(0);
    // 100 even connections of 500: Jain ≈ 0.2 (each served one answered about equally).
    expect(Number(row.fairness_jain), context).toBeGreaterThan(0.1);
    expect(Number(row.fairness_jain), context).toBeLessThanOrEqual(0.2);
    expect(row.conn_resp_min, context).toBe("0");
    expect(row.conn_resp_p50, context).toBe("0");
    expect(Number(row.conn_resp_max), context).toBeGreaterThan(0);
    expect(Number(row.resp_per_s), context).toBeGreaterThan(0);
    expect(result.stderr).toMatch(new RegExp(`^500\\s+${Math.round(Number(row.resp_per_s))} s100/500$`, "m"));
    expect(result.stderr).toContain("sN/M starved: only N of the M requested connections got a reply in the window (degraded");
    expect(result.stderr).toContain("1 runs, 1 not ok");

    // The report: the cell in amber with its reason, served and fairness columns, the served and per-second charts.
    const report = await runCli(["report", "out/truth.csv"], { cwd: dir });
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/charts: .*served-connections\.svg, per-second\.svg/);
    const html = readFileSync(path.join(dir, "out/truth.report/index.html"), "utf8");
    expect(html).toContain('<tr class="degraded">');
    expect(html).toContain("degraded: served 100 of 500 connections; 400 starved</td>");
    expect(html).toContain("<th>fairness (Jain)</th>");
    expect(html).toContain("<td>100 / 500</td>");
    expect(existsSync(path.join(dir, "out/truth.report/per-second.svg"))).toBe(true);

    const resumed = await sweep(spec, ["--resume"], dir);
    expect(resumed.result.stderr).toMatch(/sweep truth: 1 runs \(resuming run /); // the degraded run is run again under its run_id, not skipped
    expect(resumed.rows).toHaveLength(2);
    expect(resumed.rows[1]!.status).toBe("degraded");
  }, 120_000);

  it("validity.min_served_pct: 20 accepts the same run as ok, still marked in the pivot", async () => {
    const { result, rows } = await sweep({
      duration: "1s",
      matrix: { connections: [50] },
      server: faultServer("first-n", "--count", "10"),
      client: { timeout: "1s", threads: 1 },
      validity: { min_served_pct: 20 },
    });
    expect(rows[0]!.status, JSON.stringify(rows[0])).toBe("ok");
    expect(rows[0]!.connections_served).toBe("10");
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^50\s+\d+ s10\/50$/m);
  }, 60_000);

  it("whole ECHO frames with the wrong payload: counted as responses and as payload_mismatches, degraded; verify: payload → bad_frame, no_responses", async () => {
    const server = faultServer("corrupt-echo");
    const typeRun = await sweep({ duration: "1s", matrix: { connections: [4] }, server, client: { threads: 1 } });
    const row = typeRun.rows[0]!;
    const context = JSON.stringify(row);
    expect(row.status, context).toBe("degraded");
    expect(Number(row.responses), context).toBeGreaterThan(0);
    expect(row.payload_mismatches, context).toBe(row.responses);
    expect(row.errors_bad_frame, context).toBe("0");
    expect(row.connections_served, context).toBe("4");
    expect(row.error, context).toBe(
      `${row.responses} of ${row.responses} responses echoed a payload that differs from the request (verify: type counts them; verify: payload refuses them)`,
    );
    expect(typeRun.result.status).toBe(1);
    expect(typeRun.result.stderr).toMatch(/^4\s+\d+p$/m);
    expect(typeRun.result.stderr).toContain("p payload mismatches");

    const payloadRun = await sweep({ duration: "1s", matrix: { connections: [4] }, server, client: { threads: 1, verify: "payload" } });
    const strict = payloadRun.rows[0]!;
    expect(strict.status, JSON.stringify(strict)).toBe("no_responses");
    expect(Number(strict.errors_bad_frame)).toBe(4);
    expect(strict.payload_mismatches).toBe("0");
    expect(payloadRun.result.status).toBe(1);
  }, 60_000);

  it("a server that stops answering for 2 s mid-window: stall_seconds ≥ 1, degraded", async () => {
    // The first request arrives as warmup (1 s) starts: the stall runs from 0.5 s to 2.5 s into the 5 s window.
    const { result, rows } = await sweep({
      duration: "5s",
      matrix: { connections: [4] },
      server: faultServer("stall", "--after-ms", "1500", "--stall-ms", "2000"),
      client: { threads: 1 },
    });
    const row = rows[0]!;
    const context = JSON.stringify(row);
    expect(row.status, context).toBe("degraded");
    expect(Number(row.stall_seconds), context).toBeGreaterThanOrEqual(1);
    expect(Number(row.stall_seconds), context).toBeLessThanOrEqual(2);
    expect(row.resp_per_s_min_1s, context).toBe("0");
    expect(Number(row.resp_per_s_max_1s), context).toBeGreaterThan(0);
    expect(row.error, context).toBe(`${row.stall_seconds} s without a reply in the window`);
    expect(row.connections_served, context).toBe("4"); // every connection got its replies after the stall
    expect(result.stderr).toMatch(/^4\s+\d+z$/m);
  }, 60_000);
});

describe("a slow server is not a stalled one", () => {
  it("replies 1.2 s after each request, sent at a steady rate: every second of the window has replies, ok", async () => {
    // Replies to the window's own requests only begin 1.2 s into it; those to the warmup's fill its first second.
    const { rows } = await sweep({
      duration: "3s",
      warmup: "1.5s",
      matrix: { connections: [4] },
      server: faultServer("normal", "--delay-ms", "1200"),
      client: { threads: 1, rate: 200, timeout: "5s" },
    });
    const row = rows[0]!;
    const context = JSON.stringify(row);
    expect(Number(row.latency_p50_us), context).toBeGreaterThanOrEqual(1_200_000);
    expect(row.stall_seconds, context).toBe("0");
    expect(Number(row.resp_per_s_min_1s), context).toBeGreaterThan(0);
    expect(row.status, context).toBe("ok");
  }, 60_000);
});

describe("the built-in pair", () => {
  it("at 1000 and 4000 connections (server threads 2): every connection served, fairness_jain ≥ 0.9", async () => {
    const { result, rows } = await sweep({
      duration: "3s",
      matrix: { connections: [1000, 4000], threads: [2] },
      server: { builtin: true },
    });
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const context = JSON.stringify(row);
      expect(row.connections_served, context).toBe(row.connections);
      expect(row.connections_starved, context).toBe("0");
      expect(Number(row.fairness_jain), context).toBeGreaterThanOrEqual(0.9);
      expect(row.status, context).toBe("ok");
    }
    expect(result.status, result.stderr).toBe(0);
  }, 120_000);

  it("the built-in server as it starts by default (balanced accept) at 10 and 100 connections × 2 and 4 workers: every connection served, fairness_jain ≥ 0.9", async () => {
    // Issue 34: the reference server stands for a well-behaved one, so its own accept split must not show.
    expect(chooseAcceptStrategy(process.version)).toBe("balanced");
    const { result, rows } = await sweep({
      duration: "2s",
      warmup: "0.5s",
      matrix: { connections: [100, 10], threads: [4, 2] },
      server: { builtin: true },
      // One client loop: with two on 2 cores, the connections of a client thread and a server worker that
      // happen to share a core are answered up to 2× as often as the rest (seen in 1 run of ~6, with
      // either accept build; docs/server.md), which is the client's spread, not the server's accept.
      client: { threads: 1 },
    });
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const context = JSON.stringify(row);
      expect(row.connections_served, context).toBe(row.connections);
      expect(Number(row.fairness_jain), context).toBeGreaterThanOrEqual(0.9);
      expect(row.status, context).toBe("ok");
    }
    expect(result.status, result.stderr).toBe(0);
  }, 120_000);
});
