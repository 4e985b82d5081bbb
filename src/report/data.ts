/**
 * `tcpsweep report`, the data side: reads a results CSV (and `<name>.syscalls.csv` beside it),
 * picks one run, and summarises each cell over its repeats — the figures the charts and the
 * table show. Nothing here renders.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { cellFigures, type CellFigures } from "../output/cell-figures.js";
import { FIGURE_COLUMNS, HEADLINE_COLUMNS, IDENTITY_COLUMNS, type Row } from "../output/columns.js";
import { cellMarks, markText, measuredRows } from "../output/marks.js";
import { columnMedian, median, numeric, repeatStats } from "../output/stats.js";
import { BadInputError } from "../model/bad-input.js";
import { readCsvTable, readResultsCsv } from "../rundir/results-csv.js";
import { metaPath, readMetaJson, syscallsCsvPath } from "../rundir/run-dir.js";
import { chooseRun, runsOf, type CsvRun } from "../rundir/runs.js";
import { cellValidity, secondSeries, type CellValidity, type SecondSeries } from "./validity-data.js";

/** A problem with the input that the user can act on: one line, exit status 2. */
export type SyscallTarget = "server" | "client";
export const SYSCALL_TARGETS: readonly SyscallTarget[] = ["server", "client"];

/** One cell of the chosen run, summarised over its repeats. */
export interface CellSummary {
  cell: string;
  /** Matrix key → value, as written in the CSV. */
  keys: Record<string, string>;
  /** Rows of this cell in the run (all statuses) and how many were ok. */
  runs: number;
  ok: number;
  /** "ok", "ok 2/3 (timeout)", or the failed status when no repeat was ok. */
  status: string;
  /** resp/s over the ok repeats. */
  respPerS?: { median: number; min: number; max: number };
  /** Median p99 latency (µs) over the ok repeats. */
  p99Us?: number;
  /** Median success rate (%) over every repeat that reported one, ok or not. */
  successPct?: number;
  /** Median syscalls per request over the ok repeats, per target (traced pass). */
  syscallsPerRequest: Partial<Record<SyscallTarget, number>>;
  /** Served connections, fairness, degraded reasons, syscall note. */
  validity: CellValidity;
  /** No repeat was ok: resp/s and p99 are the degraded repeats'. */
  fromDegraded?: boolean;
  /** The pivot's marks of this cell (output/marks.ts), e.g. "* s40/100". */
  marks?: string;
  /** The summary CSV's row for this cell (spread, CV, served %): one function computes it for the report, the summary CSV and run --json. */
  figures?: CellFigures;
}

/** One bar segment of the top-syscalls chart: a syscall's calls per request in a cell, median over ok repeats. */
export interface SyscallShare {
  cell: string;
  target: SyscallTarget;
  /** A syscall name, or "other" for everything outside the top ones. */
  syscall: string;
  perRequest: number;
}

export interface RunInfo {
  runId: string;
  spec: string;
  rows: number;
  ok: number;
  firstStarted?: string;
  lastStarted?: string;
}

/** A few fields of the run's meta.json (written by `tcpsweep run` beside the CSV), when it exists. */
export interface RunMetaSummary {
  file: string;
  cpu?: string;
  node?: string;
  tcpsweep?: string;
  governor?: string;
}

export interface ReportData {
  csvFile: string;
  meta?: RunMetaSummary;
  /** The syscall table beside the CSV, when it exists. */
  syscallsFile?: string;
  matrixKeys: string[];
  /** The charts' x axis (connections when the matrix has it), their series (threads) and the keys that facet them. */
  xKey?: string;
  xNumeric: boolean;
  seriesKey?: string;
  facetKeys: string[];
  run: RunInfo;
  /** Every run in the CSV, oldest first. */
  runs: RunInfo[];
  hostnames: string[];
  kernels: string[];
  durationsS: number[];
  cells: CellSummary[];
  /** Top syscalls per cell (empty when there is no syscall table for this run). */
  syscallShares: SyscallShare[];
  /** The syscalls shown by name, biggest first ("other" is not among them). */
  topSyscalls: string[];
  /** Why the syscall table is not charted, when it exists but cannot be. */
  syscallsNote?: string;
  /** The chosen run's rows (all statuses), for charts that shape their own data (load-curve.ts). */
  runRows: Row[];
  /** Per-second responses of the cells asked for (`--series`) and of the degraded ones. */
  seconds: SecondSeries[];
  /** Cell runs whose series was wanted but whose raw output no longer has it. */
  secondsMissing: string[];
}

export interface LoadOptions {
  /** A run_id of the CSV; default the latest. */
  runId?: string;
  /** How many syscalls the stacked bars name; the rest is "other". */
  topSyscalls?: number;
  /** Cells (ids) whose per-second series to draw, besides the degraded ones. */
  seriesCells?: string[];
}

const REQUIRED_COLUMNS = ["run_id", "cell", "status", "resp_per_s"];

/**
 * The matrix keys: the columns that are not tcpsweep's own and come before its last one (a regex
 * client's extra columns come after it). Holds for the verdict-first order and the older one.
 */
export function matrixKeysOf(header: readonly string[]): string[] {
  const standard = new Set<string>([...IDENTITY_COLUMNS, ...FIGURE_COLUMNS]);
  const lastStandard = Math.max(...header.map((column, i) => (standard.has(column) ? i : -1)));
  return header.slice(0, lastStandard + 1).filter((column) => !standard.has(column));
}

const distinct = <T>(values: readonly T[]): T[] => [...new Set(values)];

const isNumericText = (value: string) => numeric(value) !== undefined;

/** Orders a key's values numerically when they all are numbers, else by first appearance. */
export function orderValues(values: readonly string[]): string[] {
  const unique = distinct(values);
  return unique.every(isNumericText) ? unique.sort((a, b) => Number(a) - Number(b)) : unique;
}

function runInfo(run: CsvRun): RunInfo {
  return {
    runId: run.runId,
    spec: run.specs.join(", "),
    rows: run.rows.length,
    ok: run.rows.filter((row) => row.status === "ok").length,
    ...(run.startedAt !== "" ? { firstStarted: run.startedAt, lastStarted: run.lastStartedAt } : {}),
  };
}

/** The axes: connections (or the first numeric key) across, threads (or the next key) as series, the rest as facets; keys that vary first. */
function chooseAxes(matrixKeys: readonly string[], rows: readonly Row[]) {
  const allNumeric = (key: string) => rows.every((row) => isNumericText(String(row[key] ?? "")));
  // A sweep narrowed by --only (connections=100) keeps the key with one value: the axes go to keys that still vary.
  const varies = (key: string) => new Set(rows.map((row) => String(row[key] ?? ""))).size > 1;
  const preferVarying = (keys: readonly string[]) => (keys.some(varies) ? keys.filter(varies) : keys);
  const across = preferVarying(matrixKeys);
  const xKey = across.includes("connections") ? "connections" : (across.find(allNumeric) ?? across[0]);
  const rest = matrixKeys.filter((key) => key !== xKey);
  const lines = preferVarying(rest);
  // Servers (or clients) compared side by side (`servers:`, `clients:`): one line per server in every chart.
  const seriesKey = lines.includes("server")
    ? "server"
    : lines.includes("client")
      ? "client"
      : lines.includes("threads")
        ? "threads"
        : lines[0];
  return {
    xKey,
    xNumeric: xKey !== undefined && allNumeric(xKey),
    seriesKey,
    facetKeys: rest.filter((key) => key !== seriesKey),
  };
}

function summarizeCell(cell: string, rows: Row[], matrixKeys: readonly string[]): CellSummary {
  // With no ok repeat, degraded ones still measured something: chart them, marked as the pivot marks them.
  const { measured, fromDegraded } = measuredRows(rows);
  const stats = repeatStats(measured);
  const marks = markText(cellMarks(rows).marks).trim();
  const okRows = measured.filter((row) => row.status === "ok");
  const failed = distinct(rows.filter((row) => row.status !== "ok").map((row) => String(row.status || "unknown")));
  const status =
    fromDegraded || okRows.length === 0
      ? failed.join(", ")
      : okRows.length === rows.length
        ? "ok"
        : `ok ${okRows.length}/${rows.length} (${failed.join(", ")})`;
  const syscallsPerRequest: Partial<Record<SyscallTarget, number>> = {};
  for (const target of SYSCALL_TARGETS) {
    const value = columnMedian(okRows, `${target}_syscalls_per_request`);
    if (value !== undefined) syscallsPerRequest[target] = value;
  }
  const p99Us = columnMedian(okRows, "latency_p99_us");
  const successPct = columnMedian(rows, "success_rate_pct");
  return {
    cell,
    keys: Object.fromEntries(matrixKeys.map((key) => [key, String(rows[0]?.[key] ?? "")])),
    runs: rows.length,
    ok: fromDegraded ? 0 : okRows.length,
    status,
    validity: cellValidity(rows),
    ...(fromDegraded ? { fromDegraded } : {}),
    ...(marks ? { marks } : {}),
    ...(stats.median !== undefined ? { respPerS: { median: stats.median, min: stats.min!, max: stats.max! } } : {}),
    ...(p99Us !== undefined ? { p99Us } : {}),
    ...(successPct !== undefined ? { successPct } : {}),
    syscallsPerRequest,
  };
}

/** The requests a traced pass answered: total syscalls / syscalls per request of the row, else its responses. */
function tracedResponses(row: Row, target: SyscallTarget): number | undefined {
  const total = numeric(row[`${target}_syscalls_total`]);
  const perRequest = numeric(row[`${target}_syscalls_per_request`]);
  if (total !== undefined && perRequest) return total / perRequest;
  const responses = numeric(row.responses);
  return responses ? responses : undefined;
}

/**
 * Calls per request of each syscall in each cell (median over the ok repeats that have a table),
 * the `top` syscalls by calls per request named and the rest summed as "other".
 */
function syscallShares(
  file: string,
  runId: string,
  mainRows: readonly Row[],
  top: number,
): { shares: SyscallShare[]; topSyscalls: string[]; note?: string } {
  let table: ReturnType<typeof readCsvTable>;
  try {
    table = readCsvTable(file, { what: "syscall table" });
  } catch (error) {
    // The main figures can still be charted without it.
    if (error instanceof BadInputError) return { shares: [], topSyscalls: [], note: `${error.message}; not charted` };
    throw error;
  }
  const { header, rows } = table;
  const missing = ["run_id", "cell", "repeat", "target", "syscall", "calls"].filter((column) => !header.includes(column));
  if (missing.length > 0)
    return { shares: [], topSyscalls: [], note: `${path.basename(file)} has no ${missing.join("/")} column; not charted` };
  const okRow = new Map(mainRows.filter((row) => row.status === "ok").map((row) => [`${String(row.cell)}#${String(row.repeat)}`, row]));
  // cell → target → syscall → per-request values (one per repeat)
  const values = new Map<string, Map<string, number[]>>();
  let skipped = 0;
  for (const row of rows) {
    if (row.run_id !== runId) continue;
    const target = row.target as SyscallTarget;
    const main = okRow.get(`${row.cell}#${row.repeat}`);
    const calls = numeric(row.calls);
    const responses = main && SYSCALL_TARGETS.includes(target) ? tracedResponses(main, target) : undefined;
    if (!main || calls === undefined || !responses || !row.syscall) {
      skipped++;
      continue;
    }
    const key = `${row.cell}\u0000${target}`;
    const perSyscall = values.get(key) ?? new Map<string, number[]>();
    perSyscall.set(row.syscall, [...(perSyscall.get(row.syscall) ?? []), calls / responses]);
    values.set(key, perSyscall);
  }
  if (values.size === 0) {
    const note = skipped > 0 ? "its rows for this run belong to no ok run of the CSV" : "it has no rows for this run";
    return { shares: [], topSyscalls: [], note: `${path.basename(file)}: ${note}; not charted` };
  }
  const medians: SyscallShare[] = [];
  for (const [key, perSyscall] of values) {
    const [cell, target] = key.split("\u0000") as [string, SyscallTarget];
    for (const [syscall, list] of perSyscall) medians.push({ cell, target, syscall, perRequest: median(list) });
  }
  const weight = new Map<string, number>();
  for (const share of medians) weight.set(share.syscall, (weight.get(share.syscall) ?? 0) + share.perRequest);
  const ranked = [...weight].sort((a, b) => b[1] - a[1]).map(([syscall]) => syscall);
  // Naming all but one leaves a lone "other" segment; name it instead.
  const topSyscalls = ranked.length <= top + 1 ? ranked : ranked.slice(0, top);
  const named = new Set(topSyscalls);
  const shares = new Map<string, SyscallShare>();
  for (const share of medians) {
    const syscall = named.has(share.syscall) ? share.syscall : "other";
    const key = `${share.cell}\u0000${share.target}\u0000${syscall}`;
    const existing = shares.get(key);
    if (existing) existing.perRequest += share.perRequest;
    else shares.set(key, { ...share, syscall });
  }
  return { shares: [...shares.values()], topSyscalls };
}

/**
 * `<csv dir>/<spec>.<run_id>.meta.json`, read loosely: the report shows a few of its fields and
 * never fails over it (an older run has none; a newer meta version may move fields).
 */
function readMeta(csvFile: string, run: RunInfo): RunMetaSummary | undefined {
  if (!run.spec || run.spec.includes(",")) return undefined;
  const file = metaPath(csvFile, run.spec, run.runId);
  const meta = readMetaJson(file);
  if (meta === undefined) return undefined;
  const at = (...keys: string[]): unknown =>
    keys.reduce<unknown>((value, key) => (value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined), meta);
  const text = (...keys: string[]) => {
    const value = at(...keys);
    return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
  };
  const cpuModel = text("host", "cpu_model");
  const cpus = text("host", "cpu_count");
  const cpu = cpuModel || cpus ? [cpuModel, cpus ? `${cpus} CPUs` : undefined].filter(Boolean).join(", ") : undefined;
  const version = text("tcpsweep", "version");
  const git = text("tcpsweep", "git_describe");
  // The version string names its commit already (`tcpsweep 0.2.0 (git f54b5ac, node …)`): the commit once.
  const tcpsweep = version ? `${version}${git && !version.includes(git) ? ` (${git})` : ""}` : undefined;
  const node = text("node");
  const governor = text("cpu_governor");
  return { file, ...(cpu ? { cpu } : {}), ...(node ? { node } : {}), ...(tcpsweep ? { tcpsweep } : {}), ...(governor ? { governor } : {}) };
}

/** Loads the CSV and summarises one run of it (the latest unless `runId`). */
export function loadReportData(csvFile: string, options: LoadOptions = {}): ReportData {
  const { header, rows } = readResultsCsv(csvFile, { what: "results CSV", required: REQUIRED_COLUMNS, figures: HEADLINE_COLUMNS });
  const csvRuns = runsOf(rows);
  const runs = csvRuns.map(runInfo);
  const run = runInfo(chooseRun(csvRuns, options.runId, csvFile));
  const runId = run.runId;
  const runRows: Row[] = rows.filter((row) => row.run_id === runId);
  if (run.ok === 0 && !runRows.some((row) => row.status === "degraded")) {
    const statuses = distinct(runRows.map((row) => row.status || "(empty)"));
    throw new BadInputError(`${csvFile}: run ${runId} has no ok rows (statuses: ${statuses.join(", ")}); nothing to chart`);
  }

  const matrixKeys = matrixKeysOf(header);
  const axes = chooseAxes(matrixKeys, runRows);
  const byCell = new Map<string, Row[]>();
  for (const row of runRows) {
    const cell = String(row.cell ?? "");
    byCell.set(cell, [...(byCell.get(cell) ?? []), row]);
  }
  // Cells in matrix order: each key's values numerically (or as first seen), keys in header order.
  const order = matrixKeys.map((key) => orderValues(runRows.map((row) => String(row[key] ?? ""))));
  const rank = (summary: CellSummary) => matrixKeys.map((key, i) => order[i]!.indexOf(summary.keys[key] ?? ""));
  const figures = new Map(cellFigures(runRows, matrixKeys).map((cell) => [cell.cell, cell]));
  const cells = [...byCell]
    .map(([cell, cellRows]) => ({ ...summarizeCell(cell, cellRows, matrixKeys), figures: figures.get(cell) }))
    .sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      const differs = ra.findIndex((value, i) => value !== rb[i]);
      return differs === -1 ? 0 : ra[differs]! - rb[differs]!;
    });

  const syscallsFile = syscallsCsvPath(csvFile);
  const hasSyscalls = existsSync(syscallsFile);
  const syscalls = hasSyscalls ? syscallShares(syscallsFile, runId, runRows, options.topSyscalls ?? 8) : undefined;

  const meta = readMeta(csvFile, run);
  const seconds = secondSeries(csvFile, runRows, options.seriesCells ?? []);
  if (seconds.unknown.length > 0)
    throw new BadInputError(
      `--series ${seconds.unknown.join(", ")}: no such cell in run ${runId}; its cells: ${[...byCell.keys()].join("; ")}`,
    );
  const column = (name: string) => distinct(runRows.map((row) => String(row[name] ?? "")).filter(Boolean));
  return {
    csvFile,
    ...(hasSyscalls ? { syscallsFile } : {}),
    ...(meta ? { meta } : {}),
    matrixKeys,
    ...axes,
    run,
    runs,
    hostnames: column("hostname"),
    kernels: column("kernel"),
    durationsS: column("duration_s").map(Number).filter(Number.isFinite),
    cells,
    syscallShares: syscalls?.shares ?? [],
    topSyscalls: syscalls?.topSyscalls ?? [],
    ...(syscalls?.note ? { syscallsNote: syscalls.note } : {}),
    runRows,
    seconds: seconds.series,
    secondsMissing: seconds.missing,
  };
}
