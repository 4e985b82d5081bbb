/**
 * `tcpsweep report`, what a cell's rows say about whether it ran as specified: served
 * connections, fairness, degraded reasons, the syscall note; and the per-second series of
 * chosen cells, read back from the client's JSON in each run's raw output file.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Row } from "../output/columns.js";
import { median, numeric, unevenJain } from "../output/stats.js";
import { rawDirOf, rawDirPath } from "../rundir/run-dir.js";
import { isInside, readConfinedFile } from "../untrusted/files.js";

export interface CellValidity {
  /** The fewest connections served in any repeat, of how many requested (when the client reported it). */
  served?: { served: number; requested: number };
  /** Median Jain's index over the repeats that reported one. */
  fairness?: number;
  /** Median Jain's index of the repeats the figures are of, when below 0.9 with every connection served (see unevenJain). */
  uneven?: number;
  /** Distinct reasons of the degraded repeats ("served 273 of 4000 connections; 3745 starved"). */
  degradedReasons: string[];
  /** syscall_note of any repeat (io_uring). */
  syscallNote?: string;
}

export function cellValidity(rows: readonly Row[]): CellValidity {
  const served = rows
    .map((row) => ({ served: numeric(row.connections_served), requested: numeric(row.connections_requested) }))
    .filter((s): s is { served: number; requested: number } => s.served !== undefined && s.requested !== undefined)
    .sort((a, b) => a.served / a.requested - b.served / b.requested)[0];
  const fairness = rows.map((row) => numeric(row.fairness_jain)).filter((value): value is number => value !== undefined);
  const note = rows.map((row) => String(row.syscall_note ?? "")).find(Boolean);
  // The repeats the cell's figures are of: the ok ones, or the degraded ones where none is ok.
  const okRows = rows.filter((row) => row.status === "ok");
  const uneven = unevenJain(okRows.length > 0 ? okRows : rows.filter((row) => row.status === "degraded"));
  return {
    ...(served ? { served } : {}),
    ...(fairness.length > 0 ? { fairness: median(fairness) } : {}),
    ...(uneven !== undefined ? { uneven } : {}),
    degradedReasons: [...new Set(rows.filter((row) => row.status === "degraded").map((row) => String(row.error ?? "")))],
    ...(note ? { syscallNote: note } : {}),
  };
}

/** Responses per second of one run's window. */
export interface SecondSeries {
  cell: string;
  repeat: string;
  series: number[];
}

/** A raw log is the client's and the server's whole output; far larger than this is not read. */
const MAX_RAW_BYTES = 64 * 1024 * 1024;

/**
 * The raw output file of a row: as recorded (relative to where the sweep ran), else found under
 * `<csv dir>/<csv name>.raw/<run_id>/` by its name (the report may run from another directory).
 * Either way it must lie inside the CSV's raw directory: a CSV's raw_output is data, not a path to trust.
 */
function rawFileOf(csvFile: string, row: Row): string | undefined {
  const recorded = String(row.raw_output ?? "");
  if (!recorded) return undefined;
  const rawRoot = rawDirOf(csvFile);
  if (existsSync(recorded) && isInside(rawRoot, recorded)) return recorded;
  const beside = path.join(rawDirPath(csvFile, String(row.run_id ?? "")), path.basename(recorded));
  return existsSync(beside) && isInside(rawRoot, beside) ? beside : undefined;
}

/** Where the client's stdout ends in a raw log: the file is read only this far (the server's output may be huge). */
const CLIENT_STDOUT_END = "\n--- stderr ---\n";

/** The client's stdout in a raw log (src/sweep/cell.ts writes it first): the server's output can never pose as the client's. */
function clientStdout(log: string): string {
  const start = log.indexOf("--- stdout ---\n", log.startsWith("### client:") ? 0 : log.length);
  if (start < 0) return "";
  const end = log.indexOf(CLIENT_STDOUT_END, start);
  return log.slice(start, end < 0 ? undefined : end);
}

/** The built-in client's resp_per_s_series from its JSON line in a raw output file. */
function seriesIn(csvFile: string, file: string): number[] | undefined {
  let log: string;
  try {
    log = readConfinedFile(file, rawDirOf(csvFile), MAX_RAW_BYTES, CLIENT_STDOUT_END);
  } catch {
    return undefined; // a FIFO, a device, a link out of the run directory: no series
  }
  for (const line of clientStdout(log).split("\n").reverse()) {
    if (!line.startsWith("{") || !line.includes('"resp_per_s_series"')) continue;
    try {
      const series = (JSON.parse(line) as { resp_per_s_series?: unknown }).resp_per_s_series;
      if (Array.isArray(series) && series.length <= 100_000 && series.every((x) => typeof x === "number" && Number.isFinite(x)))
        return series as number[];
    } catch {
      // not the client's JSON after all
    }
  }
  return undefined;
}

/**
 * Per-second series of each repeat of the cells asked for and of every degraded cell, where the raw
 * output still holds them; `unknown` lists asked-for cells the run does not have.
 */
export function secondSeries(
  csvFile: string,
  rows: readonly Row[],
  asked: readonly string[],
): { series: SecondSeries[]; missing: string[]; unknown: string[] } {
  const present = new Set(rows.map((row) => String(row.cell ?? "")));
  const cells = new Set([...asked, ...rows.filter((row) => row.status === "degraded").map((row) => String(row.cell ?? ""))]);
  const series: SecondSeries[] = [];
  const missing: string[] = [];
  const read = new Map<string, number[] | undefined>(); // rows naming one raw log read it once
  const seriesOf = (file: string) => {
    if (!read.has(file)) read.set(file, seriesIn(csvFile, file));
    return read.get(file);
  };
  for (const row of rows) {
    const cell = String(row.cell ?? "");
    if (!cells.has(cell)) continue;
    const file = rawFileOf(csvFile, row);
    const values = file ? seriesOf(path.resolve(file)) : undefined;
    if (values && values.length > 0) series.push({ cell, repeat: String(row.repeat ?? ""), series: values });
    else missing.push(`${cell} #${String(row.repeat ?? "")}`);
  }
  return { series, missing, unknown: asked.filter((cell) => !present.has(cell)) };
}
