/**
 * What tcpsweep does when the world misbehaves around a sweep: ten runs racing for one stale lock,
 * a full filesystem under the CSV, a raw-output directory that turns read-only mid-run (exit 3, one
 * line, whole rows only), and `--dry-run` refusing what a real run would refuse, with the same words.
 * The filesystems are real: a small tmpfs and a read-only bind mount (the tests run as root).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CsvWriter } from "../src/output/csv.js";
import {
  CLI,
  FAULT_SERVER,
  NODE,
  killRunningClis,
  leftoverProcesses,
  listTree,
  makeTempDir,
  readCsv,
  removeTempDirs,
  runCli,
  startCli,
  waitFor,
  writeSpec,
  type CliResult,
} from "./helpers/sweep.js";

const mounts: string[] = [];

function sh(argv: string[]): void {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(
      `${argv.join(" ")} failed: ${result.stderr || result.error?.message} (these tests mount filesystems: run them as root)`,
    );
}

/** A tmpfs of `size` at `dir` (unmounted after the file's tests). */
function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  sh(["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  mounts.push(dir);
}

/** `dir` made read-only in place (a bind mount over itself, remounted ro): root cannot write there either. */
function makeReadOnly(dir: string): void {
  sh(["mount", "--bind", dir, dir]);
  mounts.push(dir);
  sh(["mount", "-o", "remount,bind,ro", dir]);
}

afterEach(() => killRunningClis());
afterAll(() => {
  for (const dir of mounts.splice(0).reverse()) spawnSync("umount", ["-l", dir]);
  removeTempDirs();
});

function shortSpec(csv: string, connections: number[], extra: Record<string, unknown> = {}) {
  return {
    name: "rel",
    duration: "0.2s",
    warmup: 0,
    matrix: { connections },
    server: { builtin: true },
    client: { builtin: true, threads: 1 },
    output: { csv },
    ...extra,
  };
}

/** The file holds a header and whole rows only (a torn row shows as a record of another length). */
function expectWholeRows(file: string): Record<string, string>[] {
  const csv = readCsv(file);
  expect(csv.header[0]).toBe("run_id");
  for (const record of csv.records) expect(record.length, `torn row: ${record.join(",").slice(0, 200)}`).toBe(csv.header.length);
  expect(csv.text.endsWith("\n"), "the file ends with a whole line").toBe(true);
  return csv.rows;
}

/** Exit 3 with one line saying what and where (no stack without --debug). */
function expectUnexpectedError(result: CliResult, what: RegExp): void {
  expect(result.code, result.stderr).toBe(3);
  const lines = result.stderr.trimEnd().split("\n");
  const last = lines.at(-1)!;
  expect(last, result.stderr).toMatch(/^tcpsweep: unexpected error: /);
  expect(last).toMatch(what);
  expect(result.stderr, "no stack without --debug").not.toMatch(/^\s+at /m);
  expect(last).toContain("--debug");
}

describe("ten runs race for one stale lock", () => {
  it("exactly one runs at a time, rows never interleave, the waiting runs say whom they wait for", { timeout: 240_000 }, async () => {
    const dir = makeTempDir();
    const csvFile = path.join(dir, "race.csv");
    const specFile = writeSpec(dir, shortSpec("race.csv", [1, 2]));
    // A lock left by a run that died: its PID is gone.
    const dead = spawnSync("true");
    expect(dead.pid).toBeGreaterThan(0);
    writeFileSync(`${csvFile}.lock`, `${dead.pid}\n`);

    const racers = Array.from({ length: 10 }, () => startCli(["run", specFile, "--lock-wait", "200s"], { cwd: dir, timeoutMs: 220_000 }));
    const results = await Promise.all(racers.map((racer) => racer.result));
    const pids = new Set(results.map((result) => result.pid));
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      expect(leftoverProcesses(result)).toEqual([]);
    }

    // Each run holds the lock from its "sweep rel:" line to its last row: those intervals never overlap.
    const stamp = (line: string | undefined) => Date.parse(line!.slice(0, 24));
    const intervals = results.map((result) => {
      const lines = result.stderr.split("\n");
      return {
        pid: result.pid,
        from: stamp(lines.find((line) => / sweep rel: 2 runs/.test(line))),
        to: stamp(lines.find((line) => /\[2\/2\] /.test(line))),
      };
    });
    intervals.sort((a, b) => a.from - b.from);
    for (const [i, interval] of intervals.entries()) {
      expect(Number.isFinite(interval.from) && Number.isFinite(interval.to), JSON.stringify(interval)).toBe(true);
      if (i > 0)
        expect(interval.from, `run ${interval.pid} started before ${intervals[i - 1]!.pid} finished`).toBeGreaterThanOrEqual(
          intervals[i - 1]!.to,
        );
    }

    // 20 rows, in blocks of two per run: never one run's row between another's.
    const rows = expectWholeRows(csvFile);
    expect(rows).toHaveLength(20);
    const runOrder = rows.map((row) => row.run_id);
    const blocks = runOrder.filter((runId, i) => i === 0 || runOrder[i - 1] !== runId);
    expect(blocks, `rows interleave: ${runOrder.join(" ")}`).toHaveLength(10);
    expect(new Set(blocks).size).toBe(10);

    // Those that found a live holder said so, naming one of the racers (never the dead PID).
    const waited = results.filter((result) => /waiting up to 200 s for the lock on /.test(result.stderr));
    expect(waited.length, "at least most runs waited").toBeGreaterThanOrEqual(5);
    for (const result of waited) {
      const holder = Number(/held by another tcpsweep run, PID (\d+) \(([^)]*)\)/.exec(result.stderr)?.[1]);
      expect(pids.has(holder) && holder !== result.pid, result.stderr).toBe(true);
      expect(result.stderr).toContain(`${NODE} ${CLI} run`);
    }
    const overlapsMs = intervals.slice(1).map((interval, i) => interval.from - intervals[i]!.to);
    console.log(
      `lock race: 10 runs, ${waited.length} said they waited, ${rows.length} rows in ${blocks.length} blocks, smallest gap between holders ${Math.min(...overlapsMs)} ms`,
    );
    // No lock, claim or temporary file left behind.
    expect(listTree(dir).filter((entry) => /\.lock/.test(entry))).toEqual([]);
  });
});

describe("a row is written whole or not at all", () => {
  it("a CSV on a full tmpfs: the append that does not fit throws and leaves the file as it was", () => {
    const dir = path.join(makeTempDir(), "fs");
    mountTmpfs(dir, "64k");
    const file = path.join(dir, "full.csv");
    const header = ["run_id", "cell", "status", "error"];
    const writer = new CsvWriter(file, header);
    writer.open("new");
    let appended = 0;
    let failure: Error | undefined;
    // ~1.5 KB rows cross page boundaries: the last one only partly fits (a short write), then nothing does.
    for (let i = 0; i < 100 && !failure; i++) {
      const before = statSync(file).size;
      try {
        writer.append({ run_id: `r${i}`, cell: `c=${i}`, status: "ok", error: "x".repeat(1500) });
        appended++;
      } catch (error) {
        failure = error as Error;
        expect(statSync(file).size, "truncated back to its size before the append").toBe(before);
      }
    }
    expect(failure, "64 KiB filled up").toBeDefined();
    expect(failure!.message).toMatch(new RegExp(`^cannot append to ${file}: (ENOSPC|short write).*the row was not written`));
    const rows = expectWholeRows(file);
    expect(rows).toHaveLength(appended);
    expect(rows.at(-1)!.run_id).toBe(`r${appended - 1}`);
    expect(appended).toBeGreaterThan(30);
  });

  it(
    "a sweep whose CSV directory fills up: exit 3, one line, whole rows, no process left, lock released",
    { timeout: 120_000 },
    async () => {
      const dir = makeTempDir();
      const out = path.join(dir, "out");
      mountTmpfs(out, "64k");
      // Leave a few pages free: the header, meta.json and some runs fit, then a write does not.
      writeFileSync(path.join(out, "filler"), Buffer.alloc(44 * 1024));
      const specFile = writeSpec(dir, shortSpec("out/full.csv", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
      const result = await runCli(["run", specFile], { cwd: dir, timeoutMs: 100_000 });
      expectUnexpectedError(result, /ENOSPC|no space|short write/);
      expect(result.stderr).toContain(out); // where
      expect(leftoverProcesses(result)).toEqual([]);
      const rows = expectWholeRows(path.join(out, "full.csv"));
      expect(rows.length, "some runs fitted before the disk was full").toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(12);
      expect(existsSync(path.join(out, "full.csv.lock"))).toBe(false);
    },
  );

  it(
    "the raw-output directory turns read-only mid-run: exit 3 naming the file, the stack with --debug, whole rows",
    { timeout: 120_000 },
    async () => {
      const dir = makeTempDir();
      const specFile = writeSpec(dir, shortSpec("ro.csv", [1, 2, 3, 4, 5, 6, 7, 8]));
      const cli = startCli(["run", specFile, "--debug"], { cwd: dir, timeoutMs: 100_000 });
      expect(await waitFor(() => /\[1\/8\] /.test(cli.stderrSoFar()), 60_000), cli.stderrSoFar()).toBe(true);
      const runId = / run (\S+), writing /.exec(cli.stderrSoFar())![1]!;
      const rawDir = path.join(dir, "ro.raw", runId);
      makeReadOnly(rawDir);
      const result = await cli.result;
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(
        new RegExp(
          `^tcpsweep: unexpected error: run connections=\\d+ #1: EROFS: read-only file system, open '${rawDir}/connections=\\d+\\.r1\\.log'$`,
          "m",
        ),
      );
      expect(result.stderr, "--debug prints the stack").toMatch(/^\s+at .*:\d+:\d+\)?$/m);
      expect(leftoverProcesses(result)).toEqual([]);
      const rows = expectWholeRows(path.join(dir, "ro.csv"));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(8);
      for (const row of rows) expect(row.status).toBe("ok");
      expect(existsSync(path.join(dir, "ro.csv.lock"))).toBe(false);
    },
  );
});

describe("--dry-run runs the preflight", () => {
  /** The stderr of a dry run and of a real run of the same spec: both refuse, with the same lines. */
  async function bothRefuse(dir: string, specFile: string, options: { prefix?: string[] } = {}) {
    const dry = await runCli(["run", specFile, "--dry-run"], { cwd: dir, ...options });
    const real = await runCli(["run", specFile, "--lock-wait", "0.3s"], { cwd: dir, ...options });
    expect(dry.code, dry.stderr).toBe(2);
    expect(real.code, real.stderr).toBe(2);
    expect(dry.descendants, "a dry run starts nothing").toEqual([]);
    const realLine = real.stderr.trim().split("\n").at(-1)!;
    expect(dry.stderr.split("\n"), `dry: ${dry.stderr}\nreal: ${real.stderr}`).toContain(realLine);
    return { dry, real, realLine };
  }

  it("a CSV with another header: same refusal, file untouched", async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, "other.csv"), "a,b,c\n1,2,3\n");
    const specFile = writeSpec(dir, shortSpec("other.csv", [1]));
    const { realLine } = await bothRefuse(dir, specFile);
    expect(realLine).toMatch(
      /other\.csv is not a tcpsweep CSV \(its first line is not a header starting with run_id\); write to another file/,
    );
    expect(readFileSync(path.join(dir, "other.csv"), "utf8")).toBe("a,b,c\n1,2,3\n");
  });

  it("a lock held by a live run: named, and the lock is not taken", async () => {
    const dir = makeTempDir();
    const lockFile = path.join(dir, "held.csv.lock");
    writeFileSync(lockFile, `${process.pid}\n`); // this test process: alive
    const specFile = writeSpec(dir, shortSpec("held.csv", [1]));
    const { realLine } = await bothRefuse(dir, specFile);
    expect(realLine).toContain(`locked by another tcpsweep run (PID ${process.pid}`);
    expect(readFileSync(lockFile, "utf8")).toBe(`${process.pid}\n`);
  });

  it("too few open files for the connections: same refusal", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, shortSpec("nofile.csv", [1, 1000]));
    const { realLine, dry } = await bothRefuse(dir, specFile, { prefix: ["prlimit", "--nofile=200:200"] });
    expect(realLine).toMatch(/1000 connections need about \d+ open files but RLIMIT_NOFILE \(ulimit -n\) is 200/);
    expect(listTree(dir)).toEqual(["spec.yaml"]);
    expect(dry.stdout).toContain("connections=1000 #1");
  });

  it("a profiler that is missing: same refusal", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, shortSpec("prof.csv", [1], { profile: { strace: { target: "server" } } }));
    const env = { PATH: path.join(dir, "empty-path") };
    const dry = await runCli(["run", specFile, "--dry-run"], { cwd: dir, env });
    const real = await runCli(["run", specFile], { cwd: dir, env });
    expect([dry.code, real.code]).toEqual([2, 2]);
    expect(real.stderr).toMatch(/strace is not installed/);
    expect(dry.stderr).toContain(real.stderr.trim());
  });

  it("prints commands a shell reads back as the same words", async () => {
    const dir = makeTempDir();
    const odd = ["it's", "two words", "$HOME", 'a"b', "*"];
    const specFile = writeSpec(dir, {
      ...shortSpec("q.csv", [1]),
      server: { command: [NODE, FAULT_SERVER, "--mode", "normal", "--port", "{port}", ...odd], ready: "port" },
    });
    const dry = await runCli(["run", specFile, "--dry-run"], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    const line = /^ {2}server: (.*)$/m.exec(dry.stdout)![1]!;
    // The shell splits the printed line back into the exact argv (no expansion, no word splitting surprises).
    const words = spawnSync("bash", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" })
      .stdout.split("\0")
      .slice(0, -1);
    expect(words).toEqual([NODE, FAULT_SERVER, "--mode", "normal", "--port", "<port>", ...odd]);
  });
});
