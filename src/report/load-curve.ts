/**
 * `tcpsweep report`, the latency-versus-offered-load curve: for a run with a rate dimension
 * (rows with `target_rate`, i.e. the built-in client in open loop), one point per cell and
 * percentile (p50, p99, p99.9) against the target rate, one line per server thread count, and
 * each line's saturation point: the highest target rate the client still achieved within 5 %
 * (see saturationOf).
 * Only the data shaping lives here; charts.ts draws it.
 */
import type { Row } from "../output/columns.js";
import { columnMedian, numeric } from "../output/stats.js";
import { RATE_SHORTFALL } from "../record/run-record.js";

/** The percentiles the curve draws, with the CSV column each comes from. */
export const CURVE_PERCENTILES = [
  { label: "p50", column: "latency_p50_us" },
  { label: "p99", column: "latency_p99_us" },
  { label: "p99.9", column: "latency_p999_us" },
] as const;

export interface CurvePoint {
  /** Target (offered) rate, req/s. */
  rate: number;
  /** The line: "threads=2", or the cell's other varying keys when the matrix has no threads. */
  series: string;
  percentile: (typeof CURVE_PERCENTILES)[number]["label"];
  latencyUs: number;
  /** Median achieved ÷ target over the measured repeats. */
  achievedShare: number;
}

export interface SaturationPoint {
  series: string;
  /** The highest target rate whose achieved rate, and every lower rate's, was within 5 % of its target. */
  rate: number;
  achievedRate: number;
}

export interface LoadCurve {
  points: CurvePoint[];
  saturation: SaturationPoint[];
  /** Series in order (thread counts ascending). */
  series: string[];
}

/**
 * Shapes the chosen run's rows into the curve; undefined when no row has a target rate.
 * Rows beyond saturation are `degraded` (the client fell short of its target): they are the right
 * half of the curve, so ok and degraded rows are both measured here.
 */
export function loadCurve(rows: readonly Row[], matrixKeys: readonly string[]): LoadCurve | undefined {
  const measured = rows.filter((row) => (row.status === "ok" || row.status === "degraded") && (numeric(row.target_rate) ?? 0) > 0);
  if (measured.length === 0) return undefined;
  // Lines are told apart by the keys that vary across the run, except the rate itself (the x axis).
  const varying = matrixKeys.filter((key) => key !== "rate" && new Set(measured.map((row) => row[key])).size > 1);
  const lineKeys = varying.includes("threads") ? ["threads", ...varying.filter((key) => key !== "threads")] : varying;
  const seriesOf = (row: Row) => (lineKeys.length > 0 ? lineKeys.map((key) => `${key}=${row[key] ?? ""}`).join(", ") : "all");

  const groups = new Map<string, { series: string; rate: number; rows: Row[] }>();
  for (const row of measured) {
    const series = seriesOf(row);
    const rate = numeric(row.target_rate)!;
    const key = `${series}\u0000${rate}`;
    const group = groups.get(key) ?? { series, rate, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }

  const points: CurvePoint[] = [];
  const kept: Parameters<typeof saturationOf>[0] = [];
  for (const { series, rate, rows: cellRows } of groups.values()) {
    const achieved = columnMedian(cellRows, "achieved_rate");
    const achievedShare = achieved !== undefined ? achieved / rate : 0;
    for (const { label, column } of CURVE_PERCENTILES) {
      const latencyUs = columnMedian(cellRows, column);
      // A log axis cannot place 0 (a sub-microsecond percentile rounds to 0): leave that point out.
      if (latencyUs !== undefined && latencyUs > 0) points.push({ rate, series, percentile: label, latencyUs, achievedShare });
    }
    if (achieved !== undefined)
      kept.push({ series, rate, achievedRate: achieved, onTarget: Math.abs(achievedShare - 1) <= RATE_SHORTFALL });
  }
  points.sort((a, b) => a.rate - b.rate);
  const series = [...new Set(points.map((point) => point.series))].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return { points, saturation: series.flatMap((name) => saturationOf(kept.filter((cell) => cell.series === name))), series };
}

/**
 * The highest rate of the line's first stretch of rates that were achieved within 5 % of their
 * target, from the lowest rate up. Both ways: a client that fell behind in the warmup catches up
 * in the window with a burst above the target (wrk2's schedule does the same), which is as much a
 * sign of saturation as falling short; a later rate that happens to be on target again is noise.
 */
function saturationOf(cells: { series: string; rate: number; achievedRate: number; onTarget: boolean }[]): SaturationPoint[] {
  let last: SaturationPoint | undefined;
  for (const { series, rate, achievedRate, onTarget } of cells.sort((a, b) => a.rate - b.rate)) {
    if (!onTarget) break;
    last = { series, rate, achievedRate };
  }
  return last ? [last] : [];
}
