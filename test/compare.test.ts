/**
 * `tcpsweep compare`: synthetic CSVs whose repeats are drawn from known distributions with a
 * seeded generator (the statistics must neither cry wolf on noise nor miss a real drop), the
 * other regressions (status, missing cell, success rate), the output forms, and the environment
 * check with a real run's meta.json. The CLI runs as a child process; the 100-trial false-alarm
 * check calls the same compiled code in-process to stay fast.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI, killRunningClis, makeTempDir, removeTempDirs, runCli, writeSpec, type CliResult } from "./helpers/sweep.js";
import { seeded } from "./helpers/seeded.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

type CsvRow = Record<string, string>;
const dir = makeTempDir("tcpsweep-compare-");
/**
 * The text form wraps at 100 columns (issue 30), continuation lines indented: the assertions read it
 * unwrapped, each wrapped line joined back to the line it continues.
 */
const unwrap = (text: string) => text.replace(/\n {4,}/g, " ");
const compare = async (...args: string[]): Promise<CliResult> => {
  const result = await runCli(["compare", ...args], { cwd: dir, timeoutMs: 20_000 });
  return args.includes("--json") || args.includes("--markdown") ? result : { ...result, stdout: unwrap(result.stdout) };
};

/** A log-normal multiplier with the given spread (sigma of the log): 0.3 = "30 % noise". */
function noise(random: () => number, sigma: number): number {
  const gauss = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.exp(sigma * gauss);
}

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

interface RunShape {
  runId: string;
  cells: number[];
  repeats: number;
  sigma: number;
  /** NEW ÷ BASE factor on resp/s (p99 gets the inverse), per cell connections. */
  factor?: (connections: number) => number;
  /** Last edit of each row (status, success rate…). */
  edit?: (row: CsvRow) => void;
}

function runRows(shape: RunShape, random: () => number): CsvRow[] {
  const rows: CsvRow[] = [];
  for (let repeat = 1; repeat <= shape.repeats; repeat++) {
    for (const connections of shape.cells) {
      const factor = shape.factor?.(connections) ?? 1;
      const row: CsvRow = {
        run_id: shape.runId,
        started_at: `2026-01-01T00:00:${String(repeat).padStart(2, "0")}.000Z`,
        spec: "syn",
        cell: `connections=${connections}`,
        repeat: String(repeat),
        connections: String(connections),
        resp_per_s: (20_000 * factor * noise(random, shape.sigma)).toFixed(2),
        success_rate_pct: "100",
        latency_p99_us: String(Math.round((1000 / factor) * noise(random, shape.sigma))),
        connections_served: String(connections),
        status: "ok",
        error: "",
      };
      shape.edit?.(row);
      rows.push(row);
    }
  }
  return rows;
}

function writeCsv(name: string, rows: CsvRow[], header = HEADER): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, stringify([header, ...rows.map((row) => header.map((column) => row[column] ?? ""))]));
  return file;
}

/** BASE and NEW CSVs of one shape each, from one seed. */
function pair(name: string, base: Omit<RunShape, "runId">, next: Omit<RunShape, "runId">, seed = 1): [string, string] {
  const random = seeded(seed);
  return [
    writeCsv(`${name}/base.csv`, runRows({ ...base, runId: "base-run" }, random)),
    writeCsv(`${name}/new.csv`, runRows({ ...next, runId: "new-run" }, random)),
  ];
}

const lineOf = (stdout: string, cell: string) =>
  stdout.split("\n").find((line) => line.startsWith(`${cell} `) || line.startsWith(`| \`${cell}\``)) ?? "";

describe("compare: statistics on synthetic repeats", () => {
  it("same distribution, 30% noise: no slower/faster verdict in at least 95 of 100 seeded trials", async () => {
    const { compareRuns, selectRun } = (await import(
      path.join(path.dirname(CLI), "../compare/compare.js")
    )) as typeof import("../src/compare/compare.js");
    let alarms = 0;
    let significantRaw = 0;
    for (let trial = 1; trial <= 100; trial++) {
      const shape = { cells: [10, 100], repeats: 8, sigma: 0.3 };
      const [baseFile, newFile] = pair(`same/${trial}`, shape, shape, 1000 + trial);
      const comparison = compareRuns(selectRun(baseFile, "BASE"), selectRun(newFile, "NEW"), 5, 0.05);
      const metrics = comparison.cells.flatMap((cell) => cell.metrics);
      expect(metrics.every((metric) => metric.baseN === 8 && metric.newN === 8 && metric.p !== undefined)).toBe(true);
      if (comparison.cells.some((cell) => cell.verdict === "slower" || cell.verdict === "faster" || cell.regressions.length > 0)) alarms++;
      significantRaw += metrics.filter((metric) => metric.p! < 0.05).length;
    }
    expect(alarms).toBeLessThanOrEqual(5);
    // The raw tests do reject now and then (about 5 % of 400): the correction and the interval are what keep the alarms away.
    expect(significantRaw).toBeGreaterThan(0);
  });

  it("a true 20% drop with 5 repeats and 5% noise is slower: exit 1, the cell named with its change, interval and p", async () => {
    const [baseFile, newFile] = pair(
      "drop",
      { cells: [100], repeats: 5, sigma: 0.05 },
      { cells: [100], repeats: 5, sigma: 0.05, factor: () => 0.8 },
      7,
    );
    const result = await compare(baseFile, newFile);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const line = lineOf(result.stdout, "connections=100");
    expect(line).toMatch(/REGRESSED: resp\/s −\d+\.\d% \[−\d+\.\d%, −\d+\.\d%\] p=(0\.0\d\d|\de-\d)/);
    expect(line).toContain("5/5 5/5");
    const json = JSON.parse((await compare(baseFile, newFile, "--json")).stdout);
    const resp = json.cells[0].metrics["resp/s"];
    expect(resp.verdict).toBe("slower");
    expect(resp.change_pct).toBeGreaterThan(-30);
    expect(resp.change_pct).toBeLessThan(-10);
    expect(resp.ci_pct[1]).toBeLessThan(-5); // the whole interval beyond the threshold
    expect(resp.p_adjusted).toBeLessThan(0.05);
    expect(json.cells[0].verdict).toBe("slower");
    expect(json.exit_status).toBe(1);
    expect(result.stdout).toContain("1 slower");
  });

  it("the same 20% drop with 2 repeats: too few repeats, exit 0, and the summary says how many are needed", async () => {
    const [baseFile, newFile] = pair(
      "two",
      { cells: [100], repeats: 2, sigma: 0.05 },
      { cells: [100], repeats: 2, sigma: 0.05, factor: () => 0.8 },
      7,
    );
    const result = await compare(baseFile, newFile);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(lineOf(result.stdout, "connections=100")).toMatch(/too few repeats$/);
    // Two tests (resp/s, p99) at α = 0.05 with Holm: the first needs p < 0.025; 4 vs 4 reaches 0.029 at best, 5 vs 5 0.008.
    expect(result.stdout).toContain("only with at least 5 ok repeats per side; some cell here has 2. Run both with --repeat 5 or more.");
    expect(result.stdout).toContain("1 too few repeats");
  });
});

describe("compare: regressions other than timing", () => {
  const shape = { cells: [10, 100], repeats: 3, sigma: 0.02 };
  const onCell = (cell: string, edit: (row: CsvRow) => void) => (row: CsvRow) => row.cell === cell && edit(row);

  it("ok → degraded, ok → failed, a missing cell, a success-rate drop, fewer served connections: each exit 1 with its reason", async () => {
    const cases: [string, Partial<RunShape>, RegExp][] = [
      [
        "degraded",
        { edit: onCell("connections=100", (row) => ((row.status = "degraded"), (row.error = "served 60 of 100 connections"))) },
        /ok in BASE, degraded in 3 of 3 repeats \(served 60 of 100 connections\) in NEW/,
      ],
      [
        "failed",
        { edit: onCell("connections=100", (row) => row.repeat === "2" && ((row.status = "server_exited"), (row.error = "exit 3"))) },
        /ok in BASE, server_exited in 1 of 3 repeats \(exit 3\) in NEW/,
      ],
      ["missing", { cells: [10] }, /missing in NEW/],
      ["success", { edit: onCell("connections=100", (row) => (row.success_rate_pct = "90")) }, /success rate 100 → 90 \(−10\.0%\)/],
      ["served", { edit: onCell("connections=100", (row) => (row.connections_served = "80")) }, /served connections 100 → 80 \(−20\.0%\)/],
    ];
    for (const [name, change, reason] of cases) {
      const [baseFile, newFile] = pair(`reg/${name}`, shape, { ...shape, ...change }, 3);
      const result = await compare(baseFile, newFile);
      expect(result.code, `${name}: ${result.stdout}${result.stderr}`).toBe(1);
      expect(lineOf(result.stdout, "connections=100"), name).toMatch(reason);
      expect(lineOf(result.stdout, "connections=10"), name).not.toContain("REGRESSED");
      expect(result.stdout, name).toMatch(/REGRESSED: connections=100 \(/);
    }
  });

  it("a success-rate dip within the threshold and CSVs without connections_served are no regression", async () => {
    const header = HEADER.filter((column) => column !== "connections_served");
    const random = seeded(5);
    const baseFile = writeCsv("old/base.csv", runRows({ ...shape, runId: "b" }, random), header);
    const newFile = writeCsv(
      "old/new.csv",
      runRows({ ...shape, runId: "n", edit: (row) => (row.success_rate_pct = "97") }, random),
      header,
    );
    const result = await compare(baseFile, newFile);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain("no regression");
  });

  it("a failed row that --resume ran again counts as its later ok row", async () => {
    const random = seeded(9);
    const base = runRows({ ...shape, runId: "b" }, random);
    const next = runRows({ ...shape, runId: "n" }, random);
    const retried = { ...next[1]!, status: "server_exited", error: "exit 3" };
    const baseFile = writeCsv("retry/base.csv", base);
    const newFile = writeCsv("retry/new.csv", [retried, ...next]);
    const result = await compare(baseFile, newFile);
    expect(result.code, result.stdout).toBe(0);
    expect(lineOf(result.stdout, "connections=100")).toContain("3/3 3/3");
  });
});

describe("compare: output forms, run selection and bad input", () => {
  it("--markdown prints a GitHub-flavoured table; --json one object; both exit like the text form", async () => {
    const [baseFile, newFile] = pair("forms", { cells: [10, 100], repeats: 3, sigma: 0.02 }, { cells: [10], repeats: 3, sigma: 0.02 }, 11);
    const md = await compare(baseFile, newFile, "--markdown");
    expect(md.code).toBe(1);
    const table = md.stdout.split("\n").filter((line) => line.startsWith("|"));
    expect(table[0]).toBe(
      "| cell | resp/s BASE | resp/s NEW | change [CI] | p (test) | detectable ±% | p99 µs BASE | p99 µs NEW | change [CI] | p (test) | detectable ±% | n BASE/NEW | verdict |",
    );
    expect(table[1]).toMatch(/^\| --- \|( ---: \|){11} --- \|$/);
    expect(md.stdout).toContain("| connections=100 |");
    expect(md.stdout).toContain("**REGRESSED: missing in NEW**");
    const json = await compare(baseFile, newFile, "--json");
    expect(json.code).toBe(1);
    const object = JSON.parse(json.stdout);
    expect(object.summary.missing_in_new).toBe(1);
    expect(object.summary.regressed).toEqual(["connections=100"]);
    expect(object.cells.map((cell: { verdict: string }) => cell.verdict)).toEqual(["~", "regressed"]);
    expect(object.environment.compared).toBe(false);
  });

  it("takes the latest run by started_at (one file: the run before it as base); --base-run / --new-run pick others", async () => {
    const random = seeded(13);
    const shape = { cells: [10], repeats: 5, sigma: 0.02 };
    const slow = runRows({ ...shape, runId: "slow", factor: () => 0.5 }, random).map((row) => ({
      ...row,
      started_at: row.started_at.replace("01T", "02T"),
    }));
    const fast = runRows({ ...shape, runId: "fast" }, random);
    const file = writeCsv("runs/both.csv", [...slow, ...fast]);
    const latest = await compare(file);
    expect(latest.stdout).toContain("run slow");
    expect(latest.stdout).toContain("run fast");
    expect(latest.code, "fast then slow: a regression").toBe(1);
    const picked = await compare(file, file, "--base-run", "fast", "--new-run", "slow");
    expect(picked.code, picked.stdout).toBe(1);
    expect(picked.stdout).toMatch(/REGRESSED: resp\/s −(4|5)\d\.\d% \[.*p99 \+\d+\.\d%/);
    const unknown = await compare(file, file, "--base-run", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/has no run nope; its runs: fast, slow/);
  });

  it("bad input exits 2 with one line: missing file, not a tcpsweep CSV, bad threshold or alpha", async () => {
    const [baseFile] = pair("bad", { cells: [10], repeats: 3, sigma: 0.02 }, { cells: [10], repeats: 3, sigma: 0.02 });
    const foreign = path.join(dir, "foreign.csv");
    writeFileSync(foreign, "a,b\n1,2\n");
    const cases: [string[], RegExp][] = [
      [[baseFile, path.join(dir, "nope.csv")], /NEW .*nope\.csv: no such file/],
      [[baseFile, foreign], /not a tcpsweep CSV: no run_id/],
      [[baseFile, baseFile, "--threshold", "five"], /--threshold: expected a percentage/],
      [[baseFile, baseFile, "--alpha", "5"], /--alpha: expected a significance level between 0 and 1/],
    ];
    for (const [args, message] of cases) {
      const result = await compare(...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("compare: environments from a real run's meta.json", () => {
  let csv = "";
  let runId = "";
  beforeAll(async () => {
    const spec = writeSpec(dir, {
      name: "env",
      duration: "0.5s",
      warmup: "0.2s",
      repeat: 3,
      matrix: { connections: [1] },
      server: { builtin: true },
      output: { csv: "env/base.csv" },
    });
    const result = await runCli(["run", spec], { cwd: dir });
    if (result.code !== 0) throw new Error(`the sweep failed (${result.code}): ${result.stderr}`);
    csv = path.join(dir, "env/base.csv");
    runId = (parse(readFileSync(csv, "utf8"), { columns: true }) as CsvRow[])[0]!.run_id!;
  });

  it("prints differences before the table; --strict-env exits 2 on another kernel, and when meta.json is missing", async () => {
    const metaName = `env.${runId}.meta.json`;
    const meta = JSON.parse(readFileSync(path.join(dir, "env", metaName), "utf8"));
    expect(meta.finished_at).toMatch(/^\d{4}-/);
    mkdirSync(path.join(dir, "env2"), { recursive: true });
    copyFileSync(csv, path.join(dir, "env2/new.csv"));
    copyFileSync(path.join(dir, "env", metaName), path.join(dir, "env2", metaName));
    const same = await compare(csv, path.join(dir, "env2/new.csv"), "--strict-env");
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).not.toContain("ENVIRONMENT");

    meta.host.kernel = "9.9.9-test";
    writeFileSync(path.join(dir, "env2", metaName), JSON.stringify(meta));
    const loose = await compare(csv, path.join(dir, "env2/new.csv"));
    expect(loose.code).toBe(0);
    expect(loose.stdout.split("\n")[0]).toBe("ENVIRONMENT DIFFERS (from the runs' meta.json), so differences may not be the server's:");
    expect(loose.stdout).toMatch(/^ {2}kernel: \S+ -> 9\.9\.9-test$/m);
    expect(loose.stdout.indexOf("kernel:")).toBeLessThan(loose.stdout.indexOf("cell "));
    const strict = await compare(csv, path.join(dir, "env2/new.csv"), "--strict-env");
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain("--strict-env: the runs ran in different environments");

    const bare = writeCsv(
      "env3/new.csv",
      parse(readFileSync(csv, "utf8"), { columns: true }) as CsvRow[],
      (parse(readFileSync(csv, "utf8"), { to_line: 1 }) as string[][])[0]!,
    );
    expect((await compare(csv, bare)).stdout).toContain("environment: not compared (a run has no meta.json beside its CSV)");
    expect((await compare(csv, bare, "--strict-env")).code).toBe(2);
  });
});
