/**
 * Servers side by side on real processes: the built-in server against a fault server made slower
 * on purpose, the same server under two names, and a server that starves connections in one cell.
 * Short windows; the verdicts come from the run's own end-of-sweep output and from `compare --by`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { FAULT_SERVER, NODE, killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const fault = (...args: string[]) => ({ command: [NODE, FAULT_SERVER, "--port", "{port}", ...args] });
const spec = (name: string, repeat: number, connections: number[], servers: Record<string, unknown>) => ({
  name,
  duration: "0.5s",
  warmup: "0.2s",
  repeat,
  matrix: { connections },
  servers,
  output: { csv: `${name}.csv`, mode: "new" },
});
const verdictLines = (stderr: string) => stderr.slice(stderr.indexOf("verdicts by server")).split("\n");
const LONG = { timeout: 400_000 };

describe("the built-in server against one that holds every reply 2 ms", () => {
  const dir = makeTempDir();
  // A delay well beyond this shared machine's noise (repeats vary by 30-40 % under load), so 6 repeats decide.
  const file = writeSpec(dir, spec("fast-slow", 6, [2, 4], { node: { builtin: true }, slow: fault("--delay-ms", "2") }));

  it("names the built-in server faster in every cell, its interval above 1; runs rotate A B, B A", LONG, async () => {
    const result = await runCli(["run", file], { cwd: dir, timeoutMs: 380_000 });
    expect(result.code, result.stderr).toBe(0);
    const lines = verdictLines(result.stderr);
    for (const cell of ["connections=2", "connections=4"]) {
      const line = lines.find((l) => l.includes(`the resp/s of slow at ${cell} `));
      expect(line, result.stderr).toMatch(/^ {2}node ran \d+\.\d\d× \[(\d+\.\d\d), \d+\.\d\d\] the resp\/s of slow/);
      expect(Number(/\[(\d+\.\d\d),/.exec(line!)![1])).toBeGreaterThan(1);
    }
    expect(lines).toContain("  node won every cell");
    expect(lines.find((l) => l.startsWith("  node: "))).toMatch(/^ {2}node: 2 wins, 0 losses, 0 ties; geometric mean \d+\.\d\d×/);

    // Rotation: in each cell, repeat 1 runs node then slow, repeat 2 slow then node, and so on.
    const rows = readCsv(path.join(dir, "fast-slow.csv")).rows;
    for (const connections of ["2", "4"]) {
      const order = (repeat: number) =>
        rows
          .filter((r) => r.connections === connections && r.repeat === String(repeat))
          .sort((a, b) => a.started_at!.localeCompare(b.started_at!))
          .map((r) => r.server);
      expect([order(1), order(2), order(3)]).toEqual([
        ["node", "slow"],
        ["slow", "node"],
        ["node", "slow"],
      ]);
    }
    // The same verdicts from the CSV afterwards.
    const compared = await runCli(["compare", "fast-slow.csv", "--by", "server"], { cwd: dir });
    expect(compared.code, compared.stderr).toBe(0);
    expect(compared.stdout).toMatch(/node ran \d+\.\d\d× \[\d+\.\d\d, \d+\.\d\d\] the resp\/s of slow at connections=2 /);
    expect(compared.stdout).toContain("node won every cell");
    // The report: one line per server in the throughput chart, and the verdicts.
    const report = await runCli(["report", "fast-slow.csv", "--out", "report"], { cwd: dir });
    expect(report.code, report.stderr).toBe(0);
    const svg = readFileSync(path.join(dir, "report/throughput.svg"), "utf8");
    for (const label of [">server<", ">node<", ">slow<"]) expect(svg).toContain(label);
    expect(readFileSync(path.join(dir, "report/index.html"), "utf8")).toMatch(
      /<h2>Verdicts<\/h2>\n<pre class="verdicts">[^<]*node ran \d+\.\d\d× /,
    );
  });
});

describe("the same server under two names", () => {
  const dir = makeTempDir();
  // 12 repeats: the rank test's smallest p with 6 a side is 0.0022, so at 6 it could never call a win
  // at the strict level below; with 12 it can (below 1e-4), as Welch's can.
  const file = writeSpec(dir, spec("twins", 12, [4], { a: { builtin: true }, b: { builtin: true } }));

  // Twins differ by chance alone, so at the run's 5 % level (Holm over its 2 tests; a win also needs
  // the interval beyond ±5 %) up to 1 run in 20 names a winner: CI once saw p99 0.45× at p = 0.020.
  // The run's printed verdicts must be compare's on the same rows (one engine); "no winner" is
  // asserted at --alpha 0.001, where a false win is at most 1 in 1,000 and a bias between the two
  // names (the order they run in, say) of a few tens of percent still shows.
  it("gives the run's verdicts from compare's engine, and ~ in every cell at a strict level", LONG, async () => {
    const result = await runCli(["run", file], { cwd: dir, timeoutMs: 380_000 });
    expect(result.code, result.stderr).toBe(0);
    const cellLines = (lines: string[]) => lines.filter((l) => / at connections=/.test(l));
    const pairs = cellLines(verdictLines(result.stderr));
    expect(pairs.length, result.stderr).toBe(2); // resp/s and p99

    const compared = await runCli(["compare", "twins.csv", "--by", "server"], { cwd: dir });
    expect(compared.code, compared.stderr).toBe(0);
    expect(cellLines(compared.stdout.split("\n"))).toEqual(pairs);
    const strict = await runCli(["compare", "twins.csv", "--by", "server", "--alpha", "0.001"], { cwd: dir });
    expect(strict.code, strict.stderr).toBe(0);
    const strictPairs = cellLines(strict.stdout.split("\n"));
    expect(strictPairs.length, strict.stdout).toBe(2);
    for (const line of strictPairs) expect(line).toMatch(/^ {2}~ [ab] vs [ab] /);
    expect(strict.stdout.split("\n")).toContain("  no server won every cell");
  });
});

describe("a server that starves connections in one cell", () => {
  const dir = makeTempDir();
  // Serves only the first 2 connections: fine at connections=2, degraded at connections=4.
  const file = writeSpec(dir, spec("starve", 3, [2, 4], { node: { builtin: true }, pool: fault("--mode", "first-n", "--count", "2") }));

  it("names it as degraded in that cell, never as the winner", LONG, async () => {
    const result = await runCli(["run", file], { cwd: dir, timeoutMs: 380_000 });
    expect(result.code, result.stderr).toBe(1); // not every run was ok
    const lines = verdictLines(result.stderr);
    expect(
      lines.find((l) => l.includes("pool at connections=4")),
      result.stderr,
    ).toMatch(/^ {2}! pool at connections=4: degraded in 3 of 3 repeats \(.+\); it cannot win this cell$/);
    expect(lines.some((l) => / at connections=4/.test(l) && /^ {2}pool (ran|had) /.test(l))).toBe(false);
    expect(lines).not.toContain("  pool won every cell");
  });
});
