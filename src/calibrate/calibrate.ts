/**
 * What a nightly on this machine can see, from N same-build runs of a spec: every cell's repeats
 * pooled (they differ only by noise), then simulated nights drawn from the pools for each repeat
 * count and test mode (simulate-nights.ts). The result: the false-alarm rate and the power for a
 * drop of `dropPct` in one random cell, against repeat; the smallest repeat with false alarms ≤ 5 %
 * and power ≥ 90 %; and each cell's detectable change at that repeat.
 *
 * Draws are a shrunk smoothed bootstrap on the log scale: a pooled value plus a little normal
 * jitter, scaled back so the spread stays the pool's. Plain resampling of a handful of values
 * would repeat them, and ties look nothing like real repeats to a normality check.
 */
import { mean, median, sampleStandardDeviation } from "simple-statistics";
import { METRICS, type MetricName } from "../compare/compare.js";
import { detectableShift, shiftToDropPct } from "../compare/detectable.js";
import { TEST_MODES, type TestMode } from "../compare/two-sample-test.js";
import type { Row } from "../output/columns.js";
import { numeric } from "../output/stats.js";
import { estimateRates, type Rates, type Sampler } from "./simulate-nights.js";

export const MAX_FALSE_ALARM_RATE = 0.05;
export const MIN_POWER = 0.9;

export interface CalibrationOptions {
  repeats: readonly number[];
  nights: number;
  thresholdPct: number;
  alpha: number;
  dropPct: number;
  /** The mode whose rates choose the recommended repeat (the nightly's: auto). */
  test: TestMode;
  seed: number;
}

export interface CalibrationRow {
  repeat: number;
  rates: Record<TestMode, Rates>;
}

export interface CellNoise {
  cell: string;
  /** Standard deviation of log(value) of each metric's pooled ok repeats. */
  sigma: Partial<Record<MetricName, number>>;
  okValues: number;
  /** Detectable drop (percent, its least sensitive metric) at the recommended repeat. */
  detectablePct?: number;
}

export interface Calibration {
  options: CalibrationOptions;
  cells: CellNoise[];
  metrics: MetricName[];
  table: CalibrationRow[];
  recommendedRepeat?: number;
  /** The repeat the detectable figures are for: the recommended one, else the largest tried. */
  detectableAt: number;
  detectable?: { min: number; median: number; max: number };
}

const qualifies = (row: CalibrationRow, test: TestMode) =>
  row.rates[test].falseAlarmRate <= MAX_FALSE_ALARM_RATE && row.rates[test].power >= MIN_POWER;

/** Standard normal draw (Box-Muller). */
const gauss = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** Draws from each cell's pooled logs, smoothed with Silverman's bandwidth and shrunk back to the pool's spread. */
export function poolSampler(pools: Map<string, Map<string, number[]>>): Sampler {
  const shapes = new Map<string, { logs: number[]; center: number; bandwidth: number; shrink: number }>();
  for (const [cell, columns] of pools) {
    for (const [column, values] of columns) {
      const logs = values.map(Math.log);
      const sd = logs.length > 1 ? sampleStandardDeviation(logs) : 0;
      const bandwidth = 1.06 * sd * logs.length ** -0.2;
      shapes.set(`${cell}\u0000${column}`, {
        logs,
        center: mean(logs),
        bandwidth,
        shrink: sd > 0 ? 1 / Math.sqrt(1 + (bandwidth / sd) ** 2) : 1,
      });
    }
  }
  return (cell, column, count, random) => {
    const shape = shapes.get(`${cell}\u0000${column}`)!;
    return Array.from({ length: count }, () => {
      const drawn = shape.logs[Math.floor(random() * shape.logs.length)]!;
      return Math.exp(shape.center + (drawn - shape.center + shape.bandwidth * gauss(random)) * shape.shrink);
    });
  };
}

/** Each cell's ok values per metric column, from the rows of every calibration run. */
export function poolRows(rows: readonly Row[]): { pools: Map<string, Map<string, number[]>>; metrics: MetricName[] } {
  const pools = new Map<string, Map<string, number[]>>();
  const metrics = METRICS.filter((metric) => rows.some((row) => row.status === "ok" && (numeric(row[metric.column]) ?? 0) > 0));
  for (const row of rows) {
    if (row.status !== "ok") continue;
    const cell = String(row.cell ?? "");
    const columns = pools.get(cell) ?? new Map<string, number[]>();
    for (const metric of metrics) {
      const value = numeric(row[metric.column]);
      if (value !== undefined && value > 0) columns.set(metric.column, [...(columns.get(metric.column) ?? []), value]);
    }
    pools.set(cell, columns);
  }
  // A cell needs every metric with at least three ok values to be simulated.
  for (const [cell, columns] of pools) if (metrics.some((metric) => (columns.get(metric.column)?.length ?? 0) < 3)) pools.delete(cell);
  return { pools, metrics: metrics.map((metric) => metric.name) };
}

export function calibrate(rows: readonly Row[], options: CalibrationOptions): Calibration {
  const { pools, metrics } = poolRows(rows);
  const columns = METRICS.filter((metric) => metrics.includes(metric.name)).map((metric) => metric.column);
  const cells = [...pools.keys()];
  const sample = poolSampler(pools);
  const table: CalibrationRow[] = [];
  if (cells.length > 0) {
    for (const repeat of options.repeats) {
      // Two repeat counts past the first that qualifies show the trend; more only cost time.
      const firstGood = table.findIndex((row) => qualifies(row, options.test));
      if (firstGood >= 0 && table.length - firstGood > 2) break;
      const plan = { cells, columns, repeat, thresholdPct: options.thresholdPct, alpha: options.alpha };
      const rates = Object.fromEntries(
        TEST_MODES.map((test) => [
          test,
          estimateRates({ ...plan, test }, sample, options.nights, 1 - options.dropPct / 100, options.seed + repeat),
        ]),
      ) as Record<TestMode, Rates>;
      table.push({ repeat, rates });
    }
  }
  const good = table.find((row) => qualifies(row, options.test));
  const detectableAt = good?.repeat ?? Math.max(...options.repeats);
  const tests = cells.length * metrics.length;
  const noise: CellNoise[] = [...pools].map(([cell, byColumn]) => {
    const sigma: Partial<Record<MetricName, number>> = {};
    for (const metric of METRICS) {
      const values = byColumn.get(metric.column);
      if (values && metrics.includes(metric.name)) sigma[metric.name] = sampleStandardDeviation(values.map(Math.log));
    }
    const worst = Math.max(...Object.values(sigma));
    const detectablePct = shiftToDropPct(detectableShift(worst, detectableAt, detectableAt, options.alpha / Math.max(1, tests)));
    return { cell, sigma, okValues: byColumn.get(columns[0]!)?.length ?? 0, detectablePct };
  });
  const figures = noise.flatMap((cell) => cell.detectablePct ?? []);
  return {
    options,
    cells: noise,
    metrics,
    table,
    ...(good ? { recommendedRepeat: good.repeat } : {}),
    detectableAt,
    ...(figures.length > 0 ? { detectable: { min: Math.min(...figures), median: median(figures), max: Math.max(...figures) } } : {}),
  };
}
