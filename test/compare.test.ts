/**
 * `tcpsweep compare` end to end: one tiny real sweep (built-in server, 2 cells, 1 s) in beforeAll,
 * variants of its CSV derived with csv-parse / csv-stringify, the CLI run as a child process.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killRunningClis, makeTempDir, removeTempDirs, runCli, writeSpec, type CliResult } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

type CsvRow = Record<string, string>;

const dir = makeTempDir("tcpsweep-compare-");
const BASE = path.join(dir, "out/base.csv");
let header: string[] = [];
let baseRows: CsvRow[] = [];
let runId = "";

beforeAll(async () => {
  const spec = writeSpec(dir, {
    name: "cmp",
    duration: "1s",
    warmup: "0.2s",
    matrix: { connections: [1, 2] },
    server: { builtin: true },
    output: { csv: "out/base.csv" },
  });
  const result = await runCli(["run", spec], { cwd: dir });
  if (result.code !== 0) throw new Error(`the sweep failed (${result.code}): ${result.stderr}`);
  const text = readFileSync(BASE, "utf8");
  header = (parse(text, { to_line: 1 }) as string[][])[0]!;
  baseRows = parse(text, { columns: true }) as CsvRow[];
  runId = baseRows[0]!.run_id!;
  if (baseRows.length !== 2 || baseRows.some((row) => row.status !== "ok")) throw new Error(`unexpected rows: ${text}`);
});

/** Writes rows under the base header to `name` (in the temp dir, or a path relative to it). */
function writeVariant(name: string, rows: CsvRow[]): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, stringify([header, ...rows.map((row) => header.map((column) => row[column] ?? ""))]));
  return file;
}

/** A copy of the base rows with `edit` applied to the row of `cell`. */
function edited(cell: string, edit: (row: CsvRow) => void): CsvRow[] {
  return baseRows.map((row) => {
    const copy = { ...row };
    if (copy.cell === cell) edit(copy);
    return copy;
  });
}

const scale = (column: string, factor: number) => (row: CsvRow) => {
  row[column] = String(Number(row[column]) * factor);
};

const compare = (...args: string[]): Promise<CliResult> => runCli(["compare", ...args], { cwd: dir, timeoutMs: 20_000 });

/** The table line of a cell in the text output. */
const lineOf = (stdout: string, cell: string) => stdout.split("\n").find((line) => line.startsWith(`${cell} `) || line.startsWith(`| \`${cell}\``));

describe("tcpsweep compare", () => {
  it("a run against itself: both cells within the threshold, exit 0", async () => {
    const result = await compare(BASE, BASE);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`BASE ${BASE} run ${runId}`);
    expect(result.stdout).toMatch(/^cell\s+resp\/s BASE\s+resp\/s NEW\s+change\s+p99 µs BASE\s+p99 µs NEW\s+change\s+verdict$/m);
    for (const row of baseRows) {
      const line = lineOf(result.stdout, row.cell!);
      expect(line, row.cell).toMatch(/\s\+0\.0%\s.*within 5%$/);
      expect(line).toContain(String(Math.round(Number(row.resp_per_s))));
    }
    expect(result.stdout).toContain("2 cells compared: 0 regressed, 0 improved, 2 within 5%; 0 added, 0 removed");
  });

  it("one cell's resp/s 20% lower: exit 1, that cell named as regressed, the other not", async () => {
    const file = writeVariant("slower.csv", edited("connections=2", scale("resp_per_s", 0.8)));
    const result = await compare(BASE, file);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(lineOf(result.stdout, "connections=2")).toMatch(/-20\.0%.*REGRESSED: resp\/s -20\.0%$/);
    expect(lineOf(result.stdout, "connections=1")).toMatch(/within 5%$/);
    expect(result.stdout).toContain("1 regressed (connections=2)");
  });

  it("one cell's p99 20% higher regresses too; resp/s 20% higher is an improvement, not a regression", async () => {
    const slower = await compare(BASE, writeVariant("p99.csv", edited("connections=1", scale("latency_p99_us", 1.2))));
    expect(slower.code, slower.stdout + slower.stderr).toBe(1);
    expect(lineOf(slower.stdout, "connections=1")).toMatch(/REGRESSED: p99 \+20\.0%$/);

    const faster = await compare(BASE, writeVariant("faster.csv", edited("connections=1", scale("resp_per_s", 1.2))));
    expect(faster.code, faster.stdout + faster.stderr).toBe(0);
    expect(lineOf(faster.stdout, "connections=1")).toMatch(/\+20\.0%.*improved beyond 5%$/);
  });

  it("server syscalls/request are compared when present", async () => {
    const withSyscalls = (factor: number) => (row: CsvRow) => void (row.server_syscalls_per_request = String(4 * factor));
    const base = writeVariant("sys-base.csv", edited("connections=1", withSyscalls(1)));
    const next = writeVariant("sys-new.csv", edited("connections=1", withSyscalls(1.1)));
    const result = await compare(base, next);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/syscalls\/req BASE\s+syscalls\/req NEW/);
    expect(lineOf(result.stdout, "connections=1")).toMatch(/4\.00\s+4\.40\s+\+10\.0%\s+REGRESSED: syscalls\/req \+10\.0%$/);
  });

  it("--threshold takes 5%, 5 and 0.5% (all percent)", async () => {
    const slower = writeVariant("slower8.csv", edited("connections=2", scale("resp_per_s", 0.92))); // -8 %
    expect((await compare(BASE, slower, "--threshold", "10%")).code).toBe(0);
    expect((await compare(BASE, slower, "--threshold", "10")).code).toBe(0);
    expect((await compare(BASE, slower, "--threshold", "5")).code).toBe(1);
    const slightly = writeVariant("slower1.csv", edited("connections=2", scale("resp_per_s", 0.99))); // -1 %
    expect((await compare(BASE, slightly)).code).toBe(0);
    const strict = await compare(BASE, slightly, "--threshold", "0.5%");
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("threshold 0.5%");
    expect(lineOf(strict.stdout, "connections=2")).toMatch(/REGRESSED: resp\/s -1\.0%$/);
  });

  it("a bad threshold exits 2 with one line", async () => {
    for (const bad of ["abc", "-5%", "5%%", "", "five"]) {
      const result = await compare(BASE, BASE, "--threshold", bad);
      expect(result.code, `--threshold ${JSON.stringify(bad)}: ${result.stderr}`).toBe(2);
      expect(result.stderr.trim().split("\n"), bad).toHaveLength(1);
      expect(result.stderr).toContain("--threshold");
      expect(result.stdout).toBe("");
    }
  });

  it("--markdown prints a GitHub-flavoured table", async () => {
    const file = writeVariant("slower-md.csv", edited("connections=2", scale("resp_per_s", 0.8)));
    const result = await compare(BASE, file, "--markdown");
    expect(result.code).toBe(1);
    const table = result.stdout.split("\n").filter((line) => line.startsWith("|"));
    expect(table).toHaveLength(4); // header, separator, 2 cells
    expect(table[0]).toBe("| cell | resp/s BASE | resp/s NEW | change | p99 µs BASE | p99 µs NEW | change | verdict |");
    expect(table[1]).toMatch(/^\| --- \|( ---: \|){6} --- \|$/);
    for (const line of table) expect(line.match(/(?<!\\)\|/g), line).toHaveLength(9);
    expect(lineOf(result.stdout, "connections=2")).toContain("**-20.0%**");
    expect(lineOf(result.stdout, "connections=2")).toContain("**REGRESSED: resp/s -20.0%**");
    expect(result.stdout).toContain("**BASE**");
  });

  it("cells only in one file are listed as added / removed, not regressions", async () => {
    const rows = baseRows.filter((row) => row.cell !== "connections=1").map((row) => ({ ...row }));
    rows.push({ ...rows[0]!, cell: "connections=4", connections: "4", resp_per_s: "1" });
    const result = await compare(BASE, writeVariant("changed-cells.csv", rows));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(lineOf(result.stdout, "connections=1")).toMatch(/removed \(only in BASE\)$/);
    expect(lineOf(result.stdout, "connections=4")).toMatch(/added \(only in NEW\)$/);
    expect(result.stdout).toContain("1 cell compared: 0 regressed");
    expect(result.stdout).toContain("1 added, 1 removed");
  });

  it("a cell with no ok repeat any more is a regression", async () => {
    const file = writeVariant(
      "failed.csv",
      edited("connections=1", (row) => {
        row.status = "server_exited";
        row.resp_per_s = "";
      }),
    );
    const result = await compare(BASE, file);
    expect(result.code).toBe(1);
    expect(lineOf(result.stdout, "connections=1")).toMatch(/REGRESSED: no ok repeat \(server_exited\)$/);
  });

  it("ok → degraded is a regression, with the reason, even at the same resp/s", async () => {
    const file = writeVariant(
      "degraded.csv",
      edited("connections=1", (row) => {
        row.status = "degraded";
        row.error = "served 1 of 2 connections; 1 starved";
      }),
    );
    const result = await compare(BASE, file);
    expect(result.code).toBe(1);
    expect(lineOf(result.stdout, "connections=1")).toMatch(/REGRESSED: no ok repeat \(degraded: served 1 of 2 connections; 1 starved\)$/);
  });

  it("takes the latest run of each file by started_at; --base-run / --new-run pick others", async () => {
    const later = new Date(Date.parse(baseRows[0]!.started_at!) + 3_600_000).toISOString();
    const newer = baseRows.map((row) => ({ ...row, run_id: "later-run", started_at: later, resp_per_s: String(Number(row.resp_per_s) * 0.5) }));
    // The later run first in the file: "latest" goes by started_at, not by position.
    const file = writeVariant("two-runs.csv", [...newer, ...baseRows]);
    const latest = await compare(BASE, file);
    expect(latest.code).toBe(1);
    expect(latest.stdout).toContain(`NEW  ${file} run later-run`);
    const picked = await compare(BASE, file, "--new-run", runId);
    expect(picked.code, picked.stdout).toBe(0);
    const both = await compare(file, file, "--base-run", runId, "--new-run", "later-run");
    expect(both.code).toBe(1);
    expect(both.stdout).toContain(`BASE ${file} run ${runId}`);
    const unknown = await compare(BASE, file, "--new-run", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`has no run nope; its runs: ${runId}, later-run`);
  });

  it("bad input exits 2 with one line: missing file, not a tcpsweep CSV, no common cells", async () => {
    const notCsv = path.join(dir, "spec.yaml");
    const foreign = path.join(dir, "foreign.csv");
    writeFileSync(foreign, "a,b\n1,2\n");
    const disjoint = writeVariant(
      "disjoint.csv",
      baseRows.map((row) => ({ ...row, cell: `connections=${Number(row.connections) * 10}` })),
    );
    const cases: [string[], RegExp][] = [
      [[path.join(dir, "missing.csv"), BASE], /BASE .*missing\.csv: no such file/],
      [[BASE, notCsv], /NEW .*spec\.yaml is not a tcpsweep CSV/],
      [[BASE, foreign], /NEW .*foreign\.csv is not a tcpsweep CSV: no run_id, started_at, spec, cell, repeat, resp_per_s, status columns/],
      [[BASE, disjoint], /no cell in common/],
    ];
    for (const [args, message] of cases) {
      const result = await compare(...args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("warns on stderr when the runs' meta.json say their environments differ", async () => {
    const metaName = `cmp.${runId}.meta.json`;
    const baseMeta = path.join(dir, "out", metaName);
    const meta = JSON.parse(readFileSync(baseMeta, "utf8")) as Record<string, any>;
    expect(meta.run_id).toBe(runId);
    expect(meta.server.builtin).toBe(true);

    // The same environment: no warning.
    mkdirSync(path.join(dir, "same"), { recursive: true });
    copyFileSync(BASE, path.join(dir, "same/new.csv"));
    copyFileSync(baseMeta, path.join(dir, "same", metaName));
    const same = await compare(BASE, path.join(dir, "same/new.csv"));
    expect(same.code).toBe(0);
    expect(same.stderr).toBe("");

    // Another kernel, node and nofile limit.
    mkdirSync(path.join(dir, "other"), { recursive: true });
    copyFileSync(BASE, path.join(dir, "other/new.csv"));
    meta.host.kernel = "9.9.9-test";
    meta.node = "v99.0.0";
    meta.limits.nofile.soft = 1024;
    writeFileSync(path.join(dir, "other", metaName), JSON.stringify(meta));
    const other = await compare(BASE, path.join(dir, "other/new.csv"));
    expect(other.code, other.stderr).toBe(0); // a warning, not a failure
    expect(other.stderr).toMatch(/^warning: BASE and NEW ran in different environments/);
    expect(other.stderr).toContain(`kernel: ${JSON.parse(readFileSync(baseMeta, "utf8")).host.kernel} -> 9.9.9-test`);
    expect(other.stderr).toContain(`node: ${process.version} -> v99.0.0`);
    expect(other.stderr).toMatch(/nofile soft limit: \S+ -> 1024/);
    expect(other.stderr).not.toContain("CPU model");
  });
});
