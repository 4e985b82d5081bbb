/**
 * `tcpsweep run --json`: the run as one JSON object on stdout, so scripts (nightly.sh) need not
 * scrape stderr. Read back from the CSV, so a resumed run shows every cell, not just the ones
 * run this time; each cell's `figures` are the summary CSV's row.
 */
import { readCsvRows } from "../rundir/results-csv.js";
import { metaPath, readRunMeta } from "../rundir/run-dir.js";
import { groupByCell } from "../rundir/runs.js";
import { figuresOfCell } from "./cell-figures.js";
import { columnMedian } from "./stats.js";

const MEDIANS = ["resp_per_s", "latency_p99_us", "success_rate_pct", "connections_served"] as const;

export interface RunSummaryInput {
  csv: string;
  spec: string;
  matrixKeys: readonly string[];
  runId?: string;
  /** A cell's matrix values as the spec typed them (numbers stay numbers); without it, the CSV's text. */
  cellValues?: (cell: string) => Readonly<Record<string, unknown>> | undefined;
  exitStatus: number;
  error?: string;
}

export function runSummaryJson(input: RunSummaryInput): unknown {
  const rows = input.runId ? readCsvRows(input.csv).filter((row) => row.run_id === input.runId) : [];
  const meta = input.runId ? readRunMeta(metaPath(input.csv, input.spec, input.runId)) : undefined;
  const cells = [...groupByCell(rows).values()].map(({ cell, rows: cellRows }) => {
    const ok = cellRows.filter((row) => row.status === "ok");
    const notOk = cellRows.filter((row) => row.status !== "ok");
    const medians = Object.fromEntries(MEDIANS.map((column) => [column, columnMedian(ok, column) ?? null]));
    const { cell: _cell, values, ...figures } = figuresOfCell(cell, cellRows, input.matrixKeys);
    return {
      cell,
      values: Object.fromEntries(input.matrixKeys.map((key) => [key, input.cellValues?.(cell)?.[key] ?? values[key] ?? null])),
      repeats: cellRows.length,
      ok: ok.length,
      status: notOk.length === 0 ? "ok" : [...new Set(notOk.map((row) => row.status))].join("/"),
      errors: [...new Set(notOk.map((row) => String(row.error ?? "")).filter(Boolean))],
      medians,
      /** The summary CSV's figures for this cell (the same function writes them). */
      figures,
    };
  });
  return {
    run_id: input.runId ?? null,
    spec: input.spec,
    csv: input.csv,
    meta: input.runId ? metaPath(input.csv, input.spec, input.runId) : null,
    started_at: meta?.started_at ?? null,
    finished_at: meta?.finished_at ?? null,
    cells,
    exit_status: input.exitStatus,
    ...(input.error ? { error: input.error } : {}),
  };
}
