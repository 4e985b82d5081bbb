/**
 * The verdict-first CSV and the summary CSV beside it: a real sweep's header order, one summary row
 * per cell with the figures `run --json` shows, a CSV in the older column order still appended to
 * (in its own order) and still read by the report, and the statistics behind the summary.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { FIGURE_COLUMNS, HEADLINE_COLUMNS, IDENTITY_COLUMNS } from "../src/output/columns.js";
import { CELL_FIGURE_COLUMNS, cellFigures, medianInterval, worstStatus } from "../src/output/cell-figures.js";
import { csvExists, killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli, startCli, waitFor, writeSpec } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

/** C(n, k) as a float, for the coverage of an order-statistic interval computed independently. */
const choose = (n: number, k: number) => {
  let value = 1;
  for (let i = 1; i <= k; i++) value = (value * (n - k + i)) / i;
  return value;
};
/** Coverage of (x(k), x(n+1−k)) for the median: 1 − 2·P(Binomial(n, ½) ≤ k − 1). */
const coverage = (n: number, k: number) => 1 - (2 * Array.from({ length: k }, (_, i) => choose(n, i)).reduce((a, b) => a + b, 0)) / 2 ** n;

describe("the statistics of a summary row", () => {
  it("the median's 95 % interval: none below 9 repeats (min–max is all there is), then the narrowest pair that still covers 95 %", () => {
    for (let n = 1; n <= 8; n++) expect(medianInterval(Array.from({ length: n }, (_, i) => i)), `n=${n}`).toBeUndefined();
    for (const n of [9, 12, 20, 40]) {
      const values = Array.from({ length: n }, (_, i) => 1000 - i * 7); // unsorted input on purpose
      const sorted = [...values].sort((a, b) => a - b);
      const interval = medianInterval(values)!;
      const k = sorted.indexOf(interval.low) + 1;
      expect(interval.high, `n=${n}: symmetric order statistics`).toBe(sorted[n - k]);
      expect(k).toBeGreaterThan(1);
      expect(coverage(n, k), `n=${n}, k=${k} covers 95 %`).toBeGreaterThanOrEqual(0.95);
      expect(coverage(n, k + 1), `n=${n}, k+1 would not`).toBeLessThan(0.95);
    }
  });

  it("the worst status: a failure over degraded over ok, an unknown (newer) one worst of all", () => {
    expect(worstStatus(["ok", "ok"])).toBe("ok");
    expect(worstStatus(["ok", "degraded", "ok"])).toBe("degraded");
    expect(worstStatus(["timeout", "degraded", "server_failed"])).toBe("server_failed");
    expect(worstStatus(["ok", "from_the_future", "server_failed"])).toBe("from_the_future");
  });

  it("figures are the ok repeats' medians (success: every repeat's); runs, runs ok and the worst status count every repeat; a rerun repeat counts once", () => {
    const row = (repeat: number, status: string, resp: number, served = 10, success = 100) => ({
      cell: "connections=10",
      connections: "10",
      repeat: String(repeat),
      status,
      resp_per_s: String(resp),
      success_rate_pct: String(success),
      latency_p99_us: String(resp / 10),
      connections_requested: "10",
      connections_served: String(served),
      server_syscalls_per_request: "",
    });
    const rows = [
      row(1, "ok", 100, 10, 99),
      row(2, "timeout", 5, 10, 0),
      row(2, "ok", 300, 5, 98),
      row(3, "ok", 200, 10, 97),
      row(4, "degraded", 1, 1, 10),
    ];
    const figures = cellFigures(rows, ["connections"]);
    expect(figures).toHaveLength(1);
    expect(figures[0]).toEqual({
      cell: "connections=10",
      values: { connections: 10 },
      runs: 4,
      runs_ok: 3,
      worst_status: "degraded",
      resp_per_s_median: 200,
      resp_per_s_low: 100,
      resp_per_s_high: 300,
      resp_per_s_spread: "min-max",
      resp_per_s_cv_pct: 50,
      success_rate_pct: 97.5, // over every repeat, the degraded one's 10 % included (the rerun's timeout is replaced)
      latency_p99_us: 20,
      served_pct: 100,
      marks: "*~ s1/10", // as the pivot prints it: a repeat not ok, noisy, the degraded one served 1 of 10
    });
  });
});

describe("a real sweep's CSV and its summary", () => {
  const dir = makeTempDir("tcpsweep-summary-");
  const spec = {
    name: "sum",
    duration: "0.5s",
    warmup: "0.2s",
    repeat: 2,
    matrix: { connections: [2, 4] },
    server: { builtin: true },
    output: { csv: "out/sum.csv" },
  };
  const specFile = writeSpec(dir, spec);
  const csvFile = path.join(dir, "out/sum.csv");
  const summaryFile = path.join(dir, "out/sum.summary.csv");

  it("the verdict first: identity with the matrix keys, status and error, the headline figures, then the rest", async () => {
    const result = await runCli(["run", specFile, "--json"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const { header, rows } = readCsv(csvFile);
    expect(header.slice(0, 13)).toEqual(["run_id", "spec", "cell", "connections", "repeat", "status", "error", ...HEADLINE_COLUMNS]);
    expect(new Set(header)).toEqual(new Set([...IDENTITY_COLUMNS, "connections", ...FIGURE_COLUMNS]));
    expect(header).toHaveLength(IDENTITY_COLUMNS.length + 1 + FIGURE_COLUMNS.length);
    expect(rows.every((row) => row.status === "ok" && Number(row.resp_per_s) > 0)).toBe(true);

    // One summary row per cell, with the figures run --json shows for it.
    const summary = readCsv(summaryFile);
    expect(summary.header).toEqual(["run_id", "cell", "connections", ...CELL_FIGURE_COLUMNS]);
    const json = JSON.parse(result.stdout);
    expect(
      summary.rows.map((row) => [row.run_id, row.cell, row.connections, row.runs, row.runs_ok, row.worst_status, row.resp_per_s_spread]),
    ).toEqual([
      [json.run_id, "connections=2", "2", "2", "2", "ok", "min-max"],
      [json.run_id, "connections=4", "4", "2", "2", "ok", "min-max"],
    ]);
    json.cells.forEach((cell: { values: Record<string, unknown>; figures: Record<string, unknown> }, i: number) => {
      expect(typeof cell.values.connections, "matrix values stay numbers").toBe("number");
      for (const column of CELL_FIGURE_COLUMNS)
        expect(summary.rows[i]![column], `${column} of ${i}`).toBe(String(cell.figures[column] ?? ""));
    });
    for (const row of summary.rows) {
      const resp = rows.filter((full) => full.cell === row.cell).map((full) => Number(full.resp_per_s));
      // The summary keeps one decimal: within half a unit of it (35400.25 is written 35400.3).
      expect(Math.abs(Number(row.resp_per_s_low) - Math.min(...resp))).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(Math.abs(Number(row.resp_per_s_high) - Math.max(...resp))).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(Number(row.served_pct)).toBe(100);
    }
  });

  it("a CSV in the older column order is appended to in its own order, and the report still reads it", async () => {
    // The file as the previous tcpsweep wrote it: identity, matrix keys, figures in record order.
    const before = readCsv(csvFile);
    const oldHeader = [...IDENTITY_COLUMNS, "connections", ...FIGURE_COLUMNS];
    writeFileSync(csvFile, stringify([oldHeader, ...before.rows.map((row) => oldHeader.map((column) => row[column]))]));
    const firstRun = before.rows[0]!.run_id;

    const again = await runCli(["run", specFile, "--json"], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const after = readCsv(csvFile);
    expect(after.header).toEqual(oldHeader);
    expect(after.records.every((record) => record.length === oldHeader.length)).toBe(true);
    const newRows = after.rows.filter((row) => row.run_id !== firstRun);
    expect(newRows).toHaveLength(4);
    for (const row of newRows) {
      expect(row.status).toBe("ok");
      expect(row.cell).toBe(`connections=${row.connections}`);
      expect(Number(row.resp_per_s)).toBeGreaterThan(0);
    }
    // The summary is of the latest run only.
    const summary = readCsv(summaryFile).rows;
    expect(summary.map((row) => row.run_id)).toEqual([JSON.parse(again.stdout).run_id, JSON.parse(again.stdout).run_id]);

    const report = await runCli(["report", csvFile, "--out", path.join(dir, "report")], { cwd: dir });
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(path.join(dir, "report/index.html"), "utf8");
    expect(html).toContain("<th>connections</th>");
    expect(html).not.toContain("<th>repeat</th>");
  });
});

describe("the summary of an interrupted and resumed run", () => {
  it("interrupted after its first row: that cell only; resumed to the end: every cell, all repeats", { timeout: 120_000 }, async () => {
    const dir = makeTempDir("tcpsweep-summary-");
    const specFile = writeSpec(dir, {
      name: "res",
      duration: "0.5s",
      warmup: "0.2s",
      repeat: 2,
      matrix: { connections: [1, 2] },
      server: { builtin: true },
      output: { csv: "out/res.csv" },
    });
    const csvFile = path.join(dir, "out/res.csv");
    const summaryFile = path.join(dir, "out/res.summary.csv");
    const first = startCli(["run", specFile], { cwd: dir, timeoutMs: 60_000 });
    expect(await waitFor(() => csvExists(csvFile) && readCsv(csvFile).rows.length >= 1, 60_000), "the first row is written").toBe(true);
    process.kill(first.pid, "SIGINT");
    const interrupted = await first.result;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const rowsThen = readCsv(csvFile).rows;
    const partial = readCsv(summaryFile).rows;
    expect(partial.map((row) => row.cell)).toEqual([...new Set(rowsThen.map((row) => row.cell))]);
    expect(partial.reduce((sum, row) => sum + Number(row.runs), 0)).toBe(rowsThen.length);

    const resumed = await runCli(["run", specFile, "--resume"], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = readCsv(summaryFile).rows;
    expect(summary.map((row) => [row.run_id, row.cell, row.runs, row.runs_ok, row.worst_status])).toEqual(
      ["connections=1", "connections=2"].map((cell) => [rowsThen[0]!.run_id, cell, "2", "2", "ok"]),
    );
  });
});
