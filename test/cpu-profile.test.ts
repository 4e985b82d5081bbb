// profile.cpu on real servers with real perf: the built-in Node server (JavaScript frames named
// through --perf-basic-prof, kernel frames marked) and a stripped native server (addresses and a
// note, not a failure); the folded file beside the raw log, the row's columns, the top-frames CSV
// and the report's flame graph. Also the /proc CPU split (user, system, softirq) every row gets.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parseFolded, totalSamples } from "../src/flame/folded.js";
import { killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";
import { requireTool } from "./helpers/system-tools.js";
import { requireCpuSampling } from "./helpers/flame.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const REPO = path.resolve(import.meta.dirname, "..");

/** The run's folded file, named as the run directory module names it. */
function foldedFiles(dir: string, csvName: string): string[] {
  const rawRoot = path.join(dir, `${csvName}.raw`);
  return readdirSync(rawRoot).flatMap((run) =>
    readdirSync(path.join(rawRoot, run))
      .filter((name) => name.endsWith(".cpu-server.folded"))
      .map((name) => path.join(rawRoot, run, name)),
  );
}

describe("profile.cpu", () => {
  it("samples the built-in server over the window: kernel and named JavaScript frames, kernel share, top frames, a flame graph in the report", async () => {
    requireCpuSampling();
    const dir = makeTempDir();
    const spec = writeSpec(dir, {
      name: "cpu",
      duration: "2s",
      warmup: "0.5s",
      matrix: { connections: [20] },
      server: { builtin: true },
      profile: { cpu: { hz: 499 } },
    });
    const run = await runCli(["run", spec, "--csv", "cpu.csv"], { cwd: dir, timeoutMs: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const row = readCsv(path.join(dir, "cpu.csv")).rows[0]!;
    expect(row.status).toBe("ok");
    const [folded] = foldedFiles(dir, "cpu");
    expect(path.basename(folded!)).toBe("connections=20.r1.cpu-server.folded");
    expect(row.cpu_profile).toBe(path.relative(dir, folded!));
    const stacks = parseFolded(readFileSync(folded!, "utf8"));
    expect(totalSamples(stacks)).toBe(Number(row.cpu_samples));
    expect(Number(row.cpu_samples)).toBeGreaterThan(0);
    const frames = [...stacks.keys()].flatMap((stack) => stack.split(";"));
    expect(frames.some((frame) => frame.endsWith("_[k]"))).toBe(true);
    // --perf-basic-prof: the server's own JavaScript is named (dist/server/*.js), not a bare address.
    expect(frames.some((frame) => /^JS:.*\/dist\/server\/.*\.js:\d+/.test(frame))).toBe(true);
    // …without V8's log: no isolate-*.log left in the directory the sweep ran in.
    expect(readdirSync(dir).filter((name) => name.startsWith("isolate-"))).toEqual([]);
    // …and the maps that named them (one per server process, /tmp/perf-PID.map) are gone with the run.
    const sampled = await execa("perf", ["script", "-i", folded!.replace(/\.folded$/, ".perf.data"), "-F", "pid"]);
    const pids = [...new Set(sampled.stdout.split("\n").map((line) => Number(line.trim())))].filter((pid) => pid > 0);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.filter((pid) => existsSync(`/tmp/perf-${pid}.map`))).toEqual([]);
    const share = Number(row.cpu_kernel_share);
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(1);
    const top = readCsv(path.join(dir, "cpu.cpu-frames.csv")).rows;
    expect(top.length).toBeGreaterThan(0);
    expect(top[0]!.rank).toBe("1");
    expect(Number(top[0]!.self_samples)).toBeGreaterThanOrEqual(Number(top.at(-1)!.self_samples));
    // The /proc split: user + system is the CPU time (each rounded to ms), softirq is measured.
    expect(Math.abs(Number(row.server_cpu_user_s) + Number(row.server_cpu_sys_s) - Number(row.server_cpu_s))).toBeLessThanOrEqual(0.011);
    expect(Number(row.client_cpu_user_s)).toBeGreaterThan(0);
    expect(row.server_cpu_softirq_s).not.toBe("");
    const report = await runCli(["report", "cpu.csv"], { cwd: dir, timeoutMs: 60_000 });
    expect(report.status, report.stderr).toBe(0);
    const svgFile = path.join(dir, "cpu.report", "flame-connections=20.svg");
    expect(existsSync(svgFile)).toBe(true);
    const svg = readFileSync(svgFile, "utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain(`${totalSamples(stacks)} on-CPU samples`);
    expect(readFileSync(path.join(dir, "cpu.report", "index.html"), "utf8")).toContain("CPU flame graphs");
  }, 180_000);

  it("profiles a stripped binary: its frames are addresses, the row says so and stays ok", async () => {
    requireCpuSampling();
    const dir = makeTempDir();
    const binary = path.join(dir, "server");
    // A server whose time goes to its own code: a stripped reference server spends nearly all of it in the kernel, and
    // under a busy CI machine its own frames fell out of the samples. No build id, so perf's cache (~/.debug) cannot name them.
    const flags = ["-O2", "-pthread", "-fno-omit-frame-pointer", "-Wl,--build-id=none"];
    execFileSync(requireTool("gcc"), [...flags, "-o", binary, path.join(REPO, "test/fixtures/programs/busy-echo.c")]);
    execFileSync(requireTool("strip"), [binary]);
    const spec = writeSpec(dir, {
      name: "stripped",
      duration: "2s",
      warmup: "0.5s",
      matrix: { connections: [20] },
      server: { command: [binary, "-t", "1", "-h", "{host}", "-p", "{port}"], ready: { stdout: "^listening on " } },
      profile: { cpu: { hz: 499 } },
    });
    const run = await runCli(["run", spec, "--csv", "s.csv"], { cwd: dir, timeoutMs: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const row = readCsv(path.join(dir, "s.csv")).rows[0]!;
    expect(row.status).toBe("ok");
    const frames = [...parseFolded(readFileSync(foldedFiles(dir, "s")[0]!, "utf8")).keys()].flatMap((stack) => stack.split(";"));
    expect(frames.some((frame) => /^0x[0-9a-f]+ \(server\)$/.test(frame))).toBe(true);
    expect(row.note).toMatch(/% of samples ran through code perf could not name .*shown as addresses/);
  }, 180_000);
});
