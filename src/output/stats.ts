/**
 * Statistics over a cell's repeats, shared by the end-of-run pivot, `tcpsweep compare` and the
 * report: median, range, coefficient of variation, and the two flags a result can carry —
 * noisy (repeats disagree) and client-bound (the load client, not the server, was the limit).
 */
import { parseCpuList } from "../placement/cpus.js";
import type { Row, RowValue } from "./columns.js";

/** A cell whose repeats' resp/s have a CV above this (5 %) is flagged noisy. */
export const NOISE_CV_THRESHOLD = 0.05;

/** A run is client-bound when the client used more than this share of a core per worker thread (90 %). */
export const CLIENT_BOUND_CORE_SHARE = 0.9;

/**
 * A cell whose Jain's index of per-connection responses (fairness_jain, median of its repeats) is
 * below this is marked uneven: the server answered some connections far more often than others.
 * A finding about the server, not a failed run: the status stays ok.
 */
export const UNEVEN_JAIN_THRESHOLD = 0.9;

/**
 * The median fairness_jain of `rows` when it is below {@link UNEVEN_JAIN_THRESHOLD} and every row
 * served all its connections; else undefined. A starved connection counts as zero in Jain's index,
 * so starvation, which has its own mark, would otherwise be marked twice.
 */
export function unevenJain(rows: readonly Row[]): number | undefined {
  const starved = rows.some((row) => (numeric(row.connections_served) ?? Infinity) < (numeric(row.connections_requested) ?? -Infinity));
  const jain = columnMedian(rows, "fairness_jain");
  return !starved && jain !== undefined && jain < UNEVEN_JAIN_THRESHOLD ? jain : undefined;
}

/** Median; NaN for no values. The median of an even count is the mean of the middle two. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Smallest value; NaN for no values. */
export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => (b < a ? b : a));
}

/** Largest value; NaN for no values. */
export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => (b > a ? b : a));
}

/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1); undefined for fewer than 2 values. */
export function stdev(values: readonly number[]): number | undefined {
  if (values.length < 2) return undefined;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
}

/**
 * Coefficient of variation, stdev / mean, as a fraction (0.05 = 5 %); undefined for fewer than
 * 2 values or a mean of 0.
 */
export function cv(values: readonly number[]): number | undefined {
  const s = stdev(values);
  const m = mean(values);
  return s === undefined || m === 0 ? undefined : s / Math.abs(m);
}

/** A CSV value as a number; undefined for an empty or non-numeric one (Number("") would be 0). */
export function numeric(value: RowValue): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (value.trim() === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** The median of a column over rows that have a number in it; undefined when none has. */
export function columnMedian(rows: readonly Row[], column: string): number | undefined {
  const values = rows.flatMap((row) => numeric(row[column]) ?? []);
  return values.length > 0 ? median(values) : undefined;
}

/**
 * The client's CPU during the window as a share of the cores it could use: client_cpu_s /
 * duration_s / usable cores, where usable cores are its worker threads, or fewer when it was
 * pinned to fewer CPUs (client_cpus). undefined when a figure is missing (older CSVs have no
 * client_threads; an external client reports none).
 */
export function clientCoreShare(row: Row): number | undefined {
  const cpu = numeric(row.client_cpu_s);
  const duration = numeric(row.duration_s);
  const threads = numeric(row.client_threads);
  if (cpu === undefined || !duration || !threads) return undefined;
  const pinnedTo = typeof row.client_cpus === "string" && row.client_cpus !== "" ? parseCpuList(row.client_cpus).length : undefined;
  return cpu / duration / Math.min(threads, pinnedTo ?? threads);
}

/** Whether the client used more than `threshold` of a core per worker thread in this run. */
export function isClientBound(row: Row, threshold = CLIENT_BOUND_CORE_SHARE): boolean {
  const share = clientCoreShare(row);
  // With several load hosts, any one of them at its limit limits the run (their CPU is not pooled).
  if (String(row.client_bound_hosts ?? "").trim() !== "") return true;
  return share !== undefined && share > threshold;
}

export interface RepeatStats {
  /** Rows of the cell, all statuses. */
  runs: number;
  /** Rows with status ok and a value of the metric. */
  ok: number;
  /** The first non-ok status, when no repeat was ok (undefined when ok rows merely lack the metric). */
  failedStatus?: string;
  /** The metric over the ok repeats (undefined when none). */
  median?: number;
  min?: number;
  max?: number;
  /** CV of the ok repeats' metric as a fraction; undefined with fewer than 2 ok repeats. */
  cv?: number;
  /** cv > noise threshold. */
  noisy: boolean;
  /** At least one ok repeat was client-bound. */
  clientBound: boolean;
  /** Some repeats were not ok. */
  someFailed: boolean;
}

export interface RepeatStatsOptions {
  /** The column summarised; default resp_per_s. */
  metric?: string;
  /** CV (fraction) above which a cell is noisy; default {@link NOISE_CV_THRESHOLD}. */
  noiseThreshold?: number;
  /** Client core share per worker thread above which a run is client-bound; default {@link CLIENT_BOUND_CORE_SHARE}. */
  clientBoundThreshold?: number;
}

/** A cell's repeats (its rows of one run) summarised: median, range and CV of the ok repeats' resp/s, and flags. */
export function repeatStats(rows: readonly Row[], options: RepeatStatsOptions = {}): RepeatStats {
  const metric = options.metric ?? "resp_per_s";
  const okRows = rows.filter((row) => row.status === "ok" && numeric(row[metric]) !== undefined);
  const values = okRows.map((row) => numeric(row[metric])!);
  const variation = cv(values);
  const stats: RepeatStats = {
    runs: rows.length,
    ok: okRows.length,
    noisy: variation !== undefined && variation > (options.noiseThreshold ?? NOISE_CV_THRESHOLD),
    clientBound: okRows.some((row) => isClientBound(row, options.clientBoundThreshold)),
    someFailed: okRows.length > 0 && rows.some((row) => row.status !== "ok"),
  };
  if (okRows.length === 0) {
    const failed = rows.find((row) => row.status !== "ok");
    if (failed) stats.failedStatus = String(failed.status ?? "");
    return stats;
  }
  return { ...stats, median: median(values), min: min(values), max: max(values), ...(variation !== undefined ? { cv: variation } : {}) };
}
