/**
 * `server.lifetime: warm` (the built-in server's default): a server is kept for the next run with
 * the same command line, and handed over only from a clean state: every connection of the run
 * before closed, its peak RSS reset. Real servers, real connections, real /proc.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LocalLauncher } from "../src/launch/local.js";
import { openConnections, resetPeakRss } from "../src/process/sockets.js";
import { expandCells } from "../src/sweep/matrix.js";
import { planJobs } from "../src/sweep/runner.js";
import { ServerPool, type RunningServer } from "../src/sweep/servers.js";
import { cellTemplateValues, parseSpecText } from "../src/sweep/spec.js";
import {
  CLI,
  NODE,
  killRunningClis,
  leftoverProcesses,
  makeTempDir,
  readCsv,
  removeTempDirs,
  runCli,
  waitFor,
  writeSpec,
} from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const builtinSpec = (extra = "") =>
  parseSpecText(
    `matrix:\n  connections: [1, 2]\n  threads: [1, 2]\nserver:\n  builtin: true\n${extra}`,
    "warm.yaml",
    {},
    { cliEntry: CLI, cwd: process.cwd() },
  );

const statusKb = (pid: number, key: string) =>
  Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

describe("lifetime: warm", () => {
  it("is the built-in server's default on this machine; any other server, or one on another host, stays fresh per run", () => {
    expect(builtinSpec().server!.lifetime).toBe("warm");
    const external = parseSpecText(
      'matrix: {connections: [1]}\nserver: {command: ["./srv", "-p", "{port}"]}\n',
      "x.yaml",
      {},
      { cliEntry: CLI, cwd: "/" },
    );
    expect(external.server!.lifetime).toBe("cell");
    expect(builtinSpec("  lifetime: cell\n").server!.lifetime).toBe("cell");
  });

  it("orders each repeat's runs by server command line, alternating the groups' order between repeats", () => {
    const spec = { ...builtinSpec(), repeat: 3 };
    const order = planJobs(spec, expandCells(spec)).map((job) => `${job.repeat}:${job.cell.id}`);
    expect(order).toEqual([
      "1:connections=1,threads=1",
      "1:connections=2,threads=1",
      "1:connections=1,threads=2",
      "1:connections=2,threads=2",
      "2:connections=1,threads=2",
      "2:connections=2,threads=2",
      "2:connections=1,threads=1",
      "2:connections=2,threads=1",
      "3:connections=1,threads=1",
      "3:connections=2,threads=1",
      "3:connections=1,threads=2",
      "3:connections=2,threads=2",
    ]);
    // group: each command line's runs together for the whole sweep, repeat-major within it.
    const grouped = { ...builtinSpec("  lifetime: group\n"), repeat: 2 };
    expect(planJobs(grouped, expandCells(grouped)).map((job) => `${job.repeat}:${job.cell.id}`)).toEqual([
      "1:connections=1,threads=1",
      "1:connections=2,threads=1",
      "2:connections=1,threads=1",
      "2:connections=2,threads=1",
      "1:connections=1,threads=2",
      "1:connections=2,threads=2",
      "2:connections=1,threads=2",
      "2:connections=2,threads=2",
    ]);
    const fresh = { ...builtinSpec("  lifetime: cell\n"), repeat: 2 };
    expect(
      planJobs(fresh, expandCells(fresh))
        .map((job) => job.cell.id)
        .slice(0, 4),
    ).toEqual(expandCells(fresh).map((cell) => cell.id));
  });

  it("hands the same server to the next run once its connections are closed; one still open gets a fresh server", async () => {
    const spec = builtinSpec();
    const pool = new ServerPool(new LocalLauncher(), spec.server!, "127.0.0.1", 400);
    const cells = expandCells(spec);
    const valuesFor = (threads: number) => (port: number) =>
      cellTemplateValues(
        spec,
        cells.find((cell) => cell.values.threads === threads)!,
        port,
      );
    const abort = new AbortController().signal;
    const servers: RunningServer[] = [];
    try {
      const first = await pool.acquire(valuesFor(1), abort);
      servers.push(first);
      // A run's connection, closed as the run ends: the next run waits for the server to close its side, then gets the same server.
      const socket = net.connect(first.port, "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      expect(await waitFor(() => openConnections(first.child.processIds()) === 1, 10_000), "the server holds the connection").toBe(true);
      await pool.release(first);
      socket.end();
      const second = await pool.acquire(valuesFor(1), abort);
      expect(second).toBe(first);
      expect(openConnections(second.child.processIds())).toBe(0);

      // A connection still open after the drain time: not a clean state, so a fresh server (on a new port) and the old one stopped.
      const held = net.connect(second.port, "127.0.0.1");
      await new Promise((resolve) => held.once("connect", resolve));
      expect(await waitFor(() => openConnections(second.child.processIds()) === 1, 10_000)).toBe(true);
      await pool.release(second);
      const third = await pool.acquire(valuesFor(1), abort);
      servers.push(third);
      held.destroy();
      expect(third).not.toBe(second);
      expect(second.child.hasExited, "the kept server with an open connection was stopped").toBe(true);

      // Another command line (threads 2): the kept server stops, a new one starts.
      await pool.release(third);
      const other = await pool.acquire(valuesFor(2), abort);
      servers.push(other);
      expect(third.child.hasExited).toBe(true);
      expect(other.commandLine).toMatch(/ -t 2 | --threads 2 /);
      await pool.release(other); // kept: stopAll stops it
      expect(other.child.hasExited).toBe(false);
    } finally {
      await pool.stopAll();
    }
    for (const server of servers) expect(server.child.hasExited).toBe(true);
  });

  it("resetPeakRss brings a process's VmHWM back to its current resident set", async () => {
    // Touches 200 MB, frees it (an mmap'd buffer goes back to the kernel), then idles.
    const child = spawn(
      NODE,
      ["--expose-gc", "-e", "let b = Buffer.alloc(200e6, 1); b = null; globalThis.gc(); console.log('freed'); setInterval(() => {}, 1000)"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise((resolve) => child.stdout.once("data", resolve));
      const pid = child.pid!;
      expect(statusKb(pid, "VmHWM")).toBeGreaterThan(190_000);
      expect(statusKb(pid, "VmRSS")).toBeLessThan(150_000);
      expect(resetPeakRss([pid])).toBe(true);
      expect(statusKb(pid, "VmHWM")).toBeLessThan(150_000);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a sweep of the built-in pair starts one server per command line and repeat group, every run ok", { timeout: 90_000 }, async () => {
    const dir = makeTempDir();
    const spec = writeSpec(dir, {
      name: "warm",
      duration: "0.3s",
      warmup: 0,
      repeat: 2,
      matrix: { connections: [1, 2, 3], threads: [1, 2] },
      server: { builtin: true },
      client: { builtin: true, threads: 1 },
      output: { csv: "warm.csv" },
    });
    const result = await runCli(["run", spec], { cwd: dir, timeoutMs: 80_000 });
    expect(result.code, result.stderr).toBe(0);
    const rows = readCsv(path.join(dir, "warm.csv")).rows;
    expect(rows.map((row) => row.status)).toEqual(Array(12).fill("ok"));
    // Supervisors (the `server` command itself, not its workers): threads 1 and 2, the last group of repeat 1 kept for repeat 2's first.
    const supervisors = result.descendants.filter(
      (proc) => / server /.test(proc.cmdline) && !/worker/.test(proc.cmdline) && proc.cmdline.includes(CLI),
    );
    expect(
      supervisors.map((proc) => proc.cmdline.match(/ (?:-t|--threads) (\d+)/)?.[1]),
      JSON.stringify(supervisors.map((p) => p.cmdline)),
    ).toEqual(["1", "2", "1"]);
    expect(leftoverProcesses(result)).toEqual([]);
    // Each run reports its own peak: a run's server RSS is not the sweep's maximum carried over.
    for (const row of rows) expect(Number(row.server_max_rss_kb)).toBeGreaterThan(0);
  });
});
