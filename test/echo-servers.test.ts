/**
 * The echo protocol against servers nobody here wrote: socat (fork per connection, PIPE back) and
 * xinetd's internal echo service, swept with `tcpsweep run` at 1, 10 and 100 connections and
 * lengths 1, 1024 and 16384; socat without nodelay, where Nagle and delayed ACKs show in the
 * figures; the built-in server with `protocol` as a matrix key; and what one echo request costs
 * socat in system calls, counted by strace.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { socatEchoCommand, startXinetdEcho } from "./helpers/echo-servers.js";
import { startFakeServer } from "./helpers/fake-servers.js";
import { killRunningClis, leftoverProcesses, makeTempDir, readCsv, removeTempDirs, runCli, waitFor, writeSpec } from "./helpers/sweep.js";
import { requireTool } from "./helpers/system-tools.js";
import { parseStraceSummary, StraceParseError } from "../src/profile/strace-summary.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const MATRIX = { connections: [1, 10, 100], length: [1, 1024, 16384] };
/** Short windows; a timeout long enough for a fork per connection on a busy machine. */
const WINDOWS = { duration: "1s", warmup: "1s" };
const CLIENT = { protocol: "echo", timeout: "10s" };
const SWEEP_LIMIT_MS = 240_000;

/** Runs a sweep, returns its rows; the CLI must exit with `exitCode` (0: every row ok) and leave nothing running. */
async function sweep(
  name: string,
  spec: Record<string, unknown>,
  exitCode = 0,
): Promise<{ rows: Record<string, string>[]; stdout: string; stderr: string }> {
  const dir = makeTempDir();
  const file = writeSpec(dir, { name, ...WINDOWS, ...spec, output: { csv: `out/${name}.csv` } });
  const result = await runCli(["run", file], { cwd: dir, timeoutMs: SWEEP_LIMIT_MS });
  expect(result.code, result.stderr).toBe(exitCode);
  expect(leftoverProcesses(result), "processes left behind").toEqual([]);
  return { rows: readCsv(path.join(dir, `out/${name}.csv`)).rows, stdout: result.stdout, stderr: result.stderr };
}

/** Every row ok, every connection served, no mismatch or error, figures a real server could give. */
function expectServedEveryRow(rows: Record<string, string>[], cells: number): void {
  expect(rows).toHaveLength(cells);
  for (const row of rows) {
    const context = `${row.cell}: ${row.status} ${row.error}`;
    expect(row.status, context).toBe("ok");
    expect(Number(row.connections_served), context).toBe(Number(row.connections));
    expect(Number(row.connections_starved), context).toBe(0);
    expect(Number(row.payload_mismatches), context).toBe(0);
    expect(Number(row.errors), context).toBe(0);
    expect(Number(row.resp_per_s), context).toBeGreaterThan(0);
    expect(Number(row.responses), context).toBe(Number(row.requests));
    const p99 = Number(row.latency_p99_us);
    expect(Number.isFinite(p99) && p99 > 0, `${context}: p99 ${row.latency_p99_us}`).toBe(true);
    expect(Number(row.latency_p50_us), context).toBeLessThanOrEqual(p99);
  }
}

describe("socat TCP-LISTEN,fork,nodelay PIPE: a real echo server, a process per connection", () => {
  it("serves every connection of every cell, byte for byte", async () => {
    const { rows, stderr } = await sweep("socat-echo", {
      matrix: MATRIX,
      server: { command: socatEchoCommand({ nodelay: true }), ready: "port" },
      client: CLIENT,
    });
    expectServedEveryRow(rows, 9);
    expect(stderr).toMatch(/connections \\ length\s+length=1\s+length=1024\s+length=16384/); // the pivot
  });

  it("without nodelay a 16 KiB echo waits on Nagle and delayed ACKs: slow, and shown as slow, not as a failure", async () => {
    const { rows } = await sweep("socat-nagle", {
      matrix: { connections: [1], length: [1024, 16384] },
      server: { command: socatEchoCommand({ nodelay: false }), ready: "port" },
      client: CLIENT,
    });
    expectServedEveryRow(rows, 2);
    const [small, large] = rows;
    // socat moves 8 KiB at a time: the second half waits for the ACK of the first, which the client
    // delays (Linux: at least 40 ms). One piece (1 KiB) does not wait.
    expect(Number(large!.latency_p50_us)).toBeGreaterThanOrEqual(30_000);
    expect(Number(large!.resp_per_s)).toBeLessThan(40);
    expect(Number(small!.latency_p50_us)).toBeLessThan(Number(large!.latency_p50_us) / 2);
  });
});

describe("xinetd's internal echo service (RFC 862), already running at an address", () => {
  it("serves every connection of every cell, byte for byte", async () => {
    const xinetd = await startXinetdEcho(makeTempDir());
    try {
      const { rows } = await sweep("xinetd-echo", { matrix: MATRIX, address: `127.0.0.1:${xinetd.port}`, client: CLIENT });
      expectServedEveryRow(rows, 9);
    } finally {
      await xinetd.stop();
    }
  });
});

describe("the built-in server speaks both protocols", () => {
  it("protocol as a matrix key: one sweep, both protocols, every row ok", async () => {
    const { rows } = await sweep("builtin-both", {
      matrix: { connections: [10], protocol: ["chat", "echo"] },
      server: { builtin: true },
      client: { timeout: "10s" },
    });
    expectServedEveryRow(rows, 2);
    expect(rows.map((row) => row.protocol)).toEqual(["chat", "echo"]);
  });

  it("echo in open loop on two threads (sends on schedule, replies or not): every byte checked", async () => {
    const { rows } = await sweep("builtin-echo-open", {
      matrix: { connections: [20], rate: [2000] },
      server: { builtin: true },
      client: { protocol: "echo", length: 4096, threads: 2, timeout: "10s" },
    });
    expectServedEveryRow(rows, 1);
    expect(rows[0]!.mode).toBe("open");
    expect(Number(rows[0]!.client_threads)).toBe(2);
  });
});

describe("an echo server that gets bytes wrong", () => {
  it("every reply with one byte flipped: each counts as a payload mismatch and the row is degraded, not ok", async () => {
    const server = await startFakeServer((socket) => {
      socket.on("data", (chunk: Buffer) => {
        const reply = Buffer.from(chunk);
        reply[reply.length - 1] = reply[reply.length - 1]! ^ 0xff;
        socket.write(reply);
      });
    });
    try {
      const { rows } = await sweep(
        "corrupt-echo",
        { matrix: { connections: [5], length: [100] }, address: `127.0.0.1:${server.port}`, client: CLIENT },
        1,
      );
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row.status).toBe("degraded");
      expect(Number(row.responses)).toBeGreaterThan(0);
      // Each reply chunk's last byte is wrong, and every response ends with some chunk's last byte.
      expect(Number(row.payload_mismatches)).toBe(Number(row.responses));
    } finally {
      await server.close();
    }
  });
});

describe("syscalls of one echo request, counted by strace on socat", () => {
  /** socat under `strace -f -c` for its whole life and one connection of the built-in client: per-syscall calls and the requests sent. */
  async function traceSocat(length: number): Promise<{ calls: (name: string) => number; total: number; requests: number }> {
    const dir = makeTempDir();
    const summaryFile = path.join(dir, "strace.txt");
    // Port 0: the kernel picks a free one, and socat -d -d says which (and its pid) on stderr.
    const argv = socatEchoCommand({ nodelay: true }).map((arg) => arg.replace("{port}", "0").replace("{host}", "127.0.0.1"));
    const tracer = spawn(requireTool("strace"), ["-f", "-c", "-o", summaryFile, argv[0]!, "-d", "-d", ...argv.slice(1)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    tracer.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => tracer.once("exit", () => resolve()));
    const listening = () => /socat\[(\d+)\] N listening on .*:(\d+)/.exec(stderr);
    let socatPid: number | undefined;
    try {
      expect(await waitFor(() => listening() !== null || tracer.exitCode !== null, 20_000), stderr).toBe(true);
      const [, pid, port] = listening() ?? [];
      socatPid = Number(pid);
      const client = await runCli(
        ["client", "-a", `127.0.0.1:${port}`, "--protocol", "echo", "-l", String(length), "-c", "1", "-t", "1", "--warmup", "0", "--json"],
        { cwd: dir, timeoutMs: 60_000 },
      );
      expect(client.code, client.stderr).toBe(0);
      const report = JSON.parse(client.stdout) as { requests: number; responses: number; payload_mismatches: number };
      // Warmup 0 and a closed loop: the server saw exactly these requests, and answered each.
      expect(report.responses).toBe(report.requests);
      expect(report.payload_mismatches).toBe(0);
      // strace runs socat as its child and outlives it: stopping socat ends strace, which then writes the summary.
      process.kill(socatPid, "SIGTERM");
      await exited;
      const summary = parseStraceSummary(readFileSync(summaryFile, "utf8"));
      if (summary instanceof StraceParseError) throw new Error(summary.message);
      const calls = (name: string) => summary.rows.find((row) => row.syscall === name)?.calls ?? 0;
      return { calls, total: summary.total.calls ?? 0, requests: report.requests };
    } finally {
      if (tracer.exitCode === null) {
        if (socatPid) process.kill(socatPid, "SIGKILL");
        tracer.kill("SIGKILL");
      }
    }
  }

  it("1 KiB: one piece each way, so 2 reads and 2 writes per request (socket → pipe → socket)", async () => {
    const { calls, total, requests } = await traceSocat(1024);
    expect(requests).toBeGreaterThan(50);
    // Beyond 2 per request: startup (libraries read), the log lines -d -d writes, the connection's end: a few dozen calls at most.
    expect(calls("read")).toBeGreaterThanOrEqual(2 * requests);
    expect(calls("read")).toBeLessThanOrEqual(2 * requests + 40);
    expect(calls("write")).toBeGreaterThanOrEqual(2 * requests);
    expect(calls("write")).toBeLessThanOrEqual(2 * requests + 40);
    console.info(
      `socat 1 KiB echo: ${requests} requests, ${(total / requests).toFixed(2)} syscalls per request (read ${(calls("read") / requests).toFixed(2)}, write ${(calls("write") / requests).toFixed(2)}, pselect6 ${(calls("pselect6") / requests).toFixed(2)}, recvfrom ${(calls("recvfrom") / requests).toFixed(2)})`,
    );
  });

  it("16 KiB: socat moves 8 KiB at a time, so at least 2 pieces each way: 4 reads and 4 writes per request", async () => {
    const { calls, total, requests } = await traceSocat(16384);
    expect(requests).toBeGreaterThan(10);
    expect(calls("read")).toBeGreaterThanOrEqual(4 * requests);
    expect(calls("write")).toBeGreaterThanOrEqual(4 * requests);
    console.info(
      `socat 16 KiB echo: ${requests} requests, ${(total / requests).toFixed(2)} syscalls per request (read ${(calls("read") / requests).toFixed(2)}, write ${(calls("write") / requests).toFixed(2)}, pselect6 ${(calls("pselect6") / requests).toFixed(2)}, recvfrom ${(calls("recvfrom") / requests).toFixed(2)})`,
    );
  });
});
