/**
 * `compare --by` through the command line on a synthetic two-server CSV: it takes compare's flags
 * (--test, --markdown, --json) or refuses them with exit 2, never ignoring one; and compare's text
 * as a person reads it: within 100 columns, a summary CSV named as such, nothing judged said first.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDirs, runCli } from "./helpers/sweep.js";
import { seeded } from "./helpers/seeded.js";

afterAll(() => removeTempDirs());
const dir = makeTempDir("tcpsweep-compare-by-");
const cli = (...args: string[]) => runCli(["compare", ...args], { cwd: dir, timeoutMs: 30_000 });

const HEADER =
  "run_id,started_at,spec,cell,repeat,connections,server,resp_per_s,latency_p99_us,success_rate_pct,connections_served,status,error";

/** One run of two servers at two connection counts; `fast` serves `ratio` times the resp/s of `slow`, with 3 % noise. */
function twoServerCsv(name: string, repeats: number, ratio: number, runs = ["r1"]): string {
  const random = seeded(5);
  const lines = [HEADER];
  runs.forEach((runId, r) => {
    for (let repeat = 1; repeat <= repeats; repeat++)
      for (const connections of [10, 100])
        for (const [server, factor] of [
          ["fast", ratio],
          ["slow", 1],
        ] as const) {
          const resp = 10_000 * factor * (1 + (random() - 0.5) * 0.06);
          const started = `2026-01-0${r + 1}T00:00:${String(repeat).padStart(2, "0")}Z`;
          lines.push(
            `${runId},${started},duo,"connections=${connections},server=${server}",${repeat},${connections},${server},${resp.toFixed(1)},${Math.round(1000 / factor)},100,${connections},ok,`,
          );
        }
  });
  const file = path.join(dir, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

describe("compare --by takes every flag of compare, or refuses it", () => {
  const file = twoServerCsv("duo.csv", 6, 1.5);

  it("--test welch --markdown: a markdown table of Welch verdicts", async () => {
    const result = await cli(file, "--by", "server", "--test", "welch", "--markdown");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Welch's t on the logs (--test welch)");
    expect(result.stdout).toContain("| cell | metric | better | worse | ratio [CI] | p (test) | repeats | verdict |");
    expect(result.stdout).toMatch(
      /^\| connections=10 \| resp\/s \| fast \| slow \| 1\.\d\d× \[1\.\d\d, 1\.\d\d\] \| \S+ welch \| 6\/6 \| \*\*fast wins\*\* \|$/m,
    );
    expect(result.stdout).toContain("- **fast won every cell**");
  });

  it("--test rank names the rank test on every pair; --json carries the mode and the one family count", async () => {
    const rank = await cli(file, "--by", "server", "--test", "rank");
    expect(rank.code, rank.stderr).toBe(0);
    expect(rank.stdout).toMatch(/fast ran 1\.\d\d× \[.+\] the resp\/s of slow at connections=10 \(rank p=/);
    const json = JSON.parse((await cli(file, "--by", "server", "--test", "welch", "--json")).stdout);
    expect(json).toMatchObject({ key: "server", testMode: "welch", tests: 4, plannedTests: 4, overall: "fast", exit_status: 0 });
    expect(json.pairs.every((pair: { test: string }) => pair.test === "welch")).toBe(true);
  });

  it("refuses --base, --strict-env, --calibration and a bad --test with exit 2, all at once, saying why", async () => {
    const refused = await cli(file, "--by", "server", "--base", "r1", "--strict-env", "--calibration", "x.json");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--base does not apply with --by");
    expect(refused.stderr).toContain("--strict-env does not apply with --by");
    expect(refused.stderr).toContain("--calibration does not apply with --by");
    const badTest = await cli(file, "--by", "server", "--test", "t", "--json");
    expect(badTest.code).toBe(2);
    expect(JSON.parse(badTest.stdout)).toEqual({ error: '--test: expected one of auto, rank, welch, got "t"', exit_status: 2 });
  });
});

describe("compare as a person reads it", () => {
  it("every line of the text form fits 100 columns", async () => {
    const file = twoServerCsv("two-runs.csv", 5, 1, ["r1", "r2"]);
    const result = await cli(file);
    expect([0, 1]).toContain(result.code);
    const wide = result.stdout.split("\n").filter((line) => [...line].length > 100);
    expect(wide, result.stdout).toEqual([]);
    expect(result.stdout).toMatch(/^cell +resp\/s +p99 +n BASE NEW +verdict$/m);
  });

  it("with too few repeats to test anything the summary starts NOTHING JUDGED, and one Holm count is given", async () => {
    const file = twoServerCsv("few.csv", 2, 1, ["r1", "r2"]);
    const result = await cli(file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^NOTHING JUDGED \(too few repeats in every cell\): 4 cells compared/m);
    expect(result.stdout.replace(/\n {4,}/g, " ")).toContain("Holm over 0 of 8 tests planned");
    expect(result.stdout).not.toContain("over 8 tests");
  });

  it("a summary CSV is named as such, with the results CSV to give instead (exit 2)", async () => {
    const summary = path.join(dir, "smoke.summary.csv");
    writeFileSync(summary, "run_id,cell,runs\nr1,connections=10,3\n");
    const result = await cli(summary);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`is the summary tcpsweep writes beside a results CSV`);
    expect(result.stderr).toContain(`give the results CSV instead: ${path.join(dir, "smoke.csv")}`);
  });
});
