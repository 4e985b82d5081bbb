/**
 * `tcpsweep compare FILE`: every run of a spec appends to one CSV, so one file is enough. Its latest
 * run is compared with the finished run before it (an interrupted run, as its meta.json says, is
 * skipped); --base / --new pick runs; a run compared with itself is refused (exit 2, naming it).
 * Real CLI processes on synthetic CSVs whose runs differ by a known factor.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killRunningClis, makeTempDir, removeTempDirs, runCli, type CliResult } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const dir = makeTempDir("tcpsweep-compare-one-");
const compare = (...args: string[]): Promise<CliResult> => runCli(["compare", ...args], { cwd: dir, timeoutMs: 20_000 });
const HEADER = [
  "run_id",
  "started_at",
  "spec",
  "cell",
  "repeat",
  "connections",
  "resp_per_s",
  "success_rate_pct",
  "latency_p99_us",
  "connections_served",
  "status",
  "error",
];

/** One run: 6 repeats of one cell at `respPerS` (±1 % alternating, so the test has spread), started on `day`. */
function run(runId: string, day: number, respPerS: number): string[][] {
  return Array.from({ length: 6 }, (_, i) => {
    const resp = respPerS * (i % 2 === 0 ? 1.01 : 0.99) + i;
    const startedAt = `2026-01-${String(day).padStart(2, "0")}T00:00:0${i}.000Z`;
    return [
      runId,
      startedAt,
      "syn",
      "connections=10",
      String(i + 1),
      "10",
      resp.toFixed(2),
      "100",
      String(Math.round(1e7 / resp)),
      "10",
      "ok",
      "",
    ];
  });
}

function writeResults(name: string, runs: string[][][], unfinished: string[] = [], builds: Record<string, string> = {}): string {
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, stringify([HEADER, ...runs.flat()]));
  // meta.json beside the CSV says whether a run finished (finished_at null: interrupted).
  for (const runRows of runs) {
    const runId = runRows[0]![0]!;
    const build = builds[runId] ?? "tcpsweep 0.2.0 (git 1a2b3c4, node v20.19.0)";
    const meta = {
      run_id: runId,
      finished_at: unfinished.includes(runId) ? null : "2026-01-09T00:00:00.000Z",
      tcpsweep: { version: build },
    };
    writeFileSync(path.join(dir, `syn.${runId}.meta.json`), JSON.stringify(meta));
  }
  return file;
}

describe("compare with one file", () => {
  it("compares the latest run with the finished run before it, skipping an interrupted one", async () => {
    // first (20k) → cut (interrupted, 40k) → latest (10k): the base must be "first", so resp/s halves.
    const file = writeResults("three", [run("first", 1, 20_000), run("cut", 2, 40_000), run("latest", 3, 10_000)], ["cut"]);
    const result = await compare(file, "--json");
    expect(result.code, result.stderr).toBe(1);
    const json = JSON.parse(result.stdout);
    expect([json.base.run_id, json.new.run_id]).toEqual(["first", "latest"]);
    expect(json.summary.regressed).toEqual(["connections=10"]);
  });

  it("--base and --new pick runs by id", async () => {
    const file = writeResults("pick", [run("a", 1, 10_000), run("b", 2, 20_000), run("c", 3, 10_000)]);
    const faster = await compare(file, "--base", "a", "--new", "b", "--json");
    expect(faster.code, faster.stderr).toBe(0);
    expect(JSON.parse(faster.stdout)).toMatchObject({ base: { run_id: "a" }, new: { run_id: "b" } });
    const previousOfB = await compare(file, "--new", "b", "--json");
    expect(JSON.parse(previousOfB.stdout)).toMatchObject({ base: { run_id: "a" }, new: { run_id: "b" } });
    const againstA = await compare(file, "--base", "b", "--json");
    expect(JSON.parse(againstA.stdout)).toMatchObject({ base: { run_id: "b" }, new: { run_id: "c" } });
    expect(againstA.code).toBe(1);
  });

  it("refuses a run compared with itself (exit 2, naming the run), and a file with one run", async () => {
    const file = writeResults("self", [run("only", 1, 10_000)]);
    const twice = await compare(file, file);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("same run only of");
    expect(twice.stderr).toContain(`give the file once: tcpsweep compare ${file}`);
    const picked = await compare(file, "--base", "only", "--new", "only");
    expect(picked.code).toBe(2);
    expect(picked.stderr).toContain("same run only");
    const alone = await compare(file);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/no earlier finished run to compare run only with: it has only run only/);
    expect(alone.stdout).toBe("");
  });

  it("--strict-env compares the whole build string: another commit (or Node) is another build", async () => {
    const same = writeResults("build-same", [run("old", 1, 10_000), run("new", 2, 10_000)]);
    const sameBuild = await compare(same, "--strict-env");
    expect(sameBuild.code, sameBuild.stderr).toBe(0);
    const builds = { old: "tcpsweep 0.2.0 (git 1a2b3c4, node v20.19.0)", new: "tcpsweep 0.2.0 (git 9f8e7d6-dirty, node v20.19.0)" };
    const other = writeResults("build-other", [run("old", 1, 10_000), run("new", 2, 10_000)], [], builds);
    const strict = await compare(other, "--strict-env");
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain(`tcpsweep version: ${builds.old} -> ${builds.new}`);
    expect(strict.stderr).toContain("--strict-env: the runs ran in different environments");
  });
});
