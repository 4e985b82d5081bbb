/**
 * Change points of one history series: E-divisive with Otava's split and merge over the points that
 * have a value (gaps are left out, their nights keep their place), judged by Otava's t-test on the
 * nightly medians, or, with `repeats`, by a test over the repeats of the adjacent segments that keeps
 * the night as its unit (nights-test.ts; docs/decisions.md says when and why), the splits then placed
 * on the logs of the medians. Each change point gets compare's interval of the ratio after ÷ before
 * from the repeats.
 */
import { welchTest } from "../compare/welch-test.js";
import { computeChangePoints, type ChangePoint, type SegmentJudge } from "./e-divisive.js";
import { nightsInterval, nightsSplit, nightsTest } from "./nights-test.js";
import { segmentTest } from "./segment-test.js";
import { allPositive, type HistorySeries } from "./series.js";

export interface HistoryOptions {
  window: number;
  maxPvalue: number;
  minMagnitude: number;
  /** Judge splits by the repeats of each night rather than by the nightly medians alone. */
  repeats: boolean;
}

/**
 * With the repeats, a split must pass a p-value this many times smaller than --p: it keeps false
 * change points at about 1 per 100 series in the simulation (bench/RESULTS.md; docs/decisions.md),
 * where the plain p gives up to 3.
 */
export const REPEATS_STRICTER = 4;

export const effectivePvalue = (options: HistoryOptions) => (options.repeats ? options.maxPvalue / REPEATS_STRICTER : options.maxPvalue);

export const DEFAULT_HISTORY_OPTIONS: HistoryOptions = { window: 50, maxPvalue: 0.001, minMagnitude: 0, repeats: true };

export interface FoundChangePoint {
  /** Position in the series' points (gaps included) of the first point after the change. */
  index: number;
  time: string;
  pvalue: number;
  change_pct: number;
  /** 95 % interval of the change in %, from the repeats either side (absent with fewer than 2 each). */
  change_interval_pct?: [number, number];
  mean_before: number;
  mean_after: number;
  /** The change makes the metric worse (lower resp/s, higher p99 …). */
  regression: boolean;
}

/** Dense view of a series: the values, their repeats, and where each sits among all points. */
export interface DenseSeries {
  values: number[];
  repeats: number[][];
  positions: number[];
}

export function denseOf(series: HistorySeries): DenseSeries {
  const dense: DenseSeries = { values: [], repeats: [], positions: [] };
  series.points.forEach((point, position) => {
    if (point.value === undefined) return;
    dense.values.push(point.value);
    dense.repeats.push(point.repeats.length > 0 ? point.repeats : [point.value]);
    dense.positions.push(position);
  });
  return dense;
}

/**
 * The nights-aware test over the repeats (nights-test.ts). A side of one night is no change (p 1):
 * its repeats cannot tell a change from that night's machine, and one night against the one before
 * is what compare judges; history judges what lasts. Otava's t-test on the medians where the repeats
 * cannot be used (a value that is not positive).
 */
export function repeatsJudge(dense: DenseSeries): SegmentJudge {
  return (from, at, to) => {
    const otava = segmentTest(dense.values.slice(from, at), dense.values.slice(at, to));
    if (at - from < 2 || to - at < 2) return { ...otava, pvalue: 1 };
    const pvalue = nightsTest(dense.repeats.slice(from, at), dense.repeats.slice(at, to));
    return pvalue === undefined ? otava : { ...otava, pvalue };
  };
}

export function judgeFor(dense: DenseSeries, options: HistoryOptions): SegmentJudge | undefined {
  return options.repeats ? repeatsJudge(dense) : undefined;
}

/**
 * The 95 % interval of after ÷ before: from the nights-aware split where it applies (the same
 * standard error as its p), else Welch over the repeats where each side has two.
 */
function changeInterval(before: number[][], after: number[][]): { low: number; high: number } | undefined {
  const split = nightsSplit(before, after);
  if (split) return nightsInterval(split);
  const [left, right] = [before.flat(), after.flat()];
  return left.length >= 2 && right.length >= 2 && allPositive(left) && allPositive(right)
    ? welchTest.run(left, right, 0.95).interval
    : undefined;
}

/** The change points of `dense` as the table and JSON show them. */
export function describeChangePoints(series: HistorySeries, dense: DenseSeries, points: readonly ChangePoint[]): FoundChangePoint[] {
  return points.map((point, i) => {
    const from = i === 0 ? 0 : points[i - 1]!.index;
    const to = points[i + 1]?.index ?? dense.values.length;
    const interval = changeInterval(dense.repeats.slice(from, point.index), dense.repeats.slice(point.index, to));
    const { meanBefore, meanAfter } = point.stats;
    const changePct = meanBefore === 0 ? 0 : (meanAfter / meanBefore - 1) * 100;
    const position = dense.positions[point.index]!;
    return {
      index: position,
      time: series.points[position]!.time,
      pvalue: point.stats.pvalue,
      change_pct: changePct,
      ...(interval ? { change_interval_pct: [(interval.low - 1) * 100, (interval.high - 1) * 100] as [number, number] } : {}),
      mean_before: meanBefore,
      mean_after: meanAfter,
      regression: series.lowerIsBetter ? changePct > 0 : changePct < 0,
    };
  });
}

export interface DetectResult {
  changePoints: ChangePoint[];
  weak: ChangePoint[];
}

/**
 * What E-divisive places the splits on: with the repeats, the logs of the medians. A busy machine's
 * noise is a factor, and the nights-aware judge works on logs: on raw values a night at a quarter of
 * the others' median just before a 30× drop went with the slow nights, and the change was named one
 * night early (a real run of test/history-real-nights.test.ts; docs/decisions.md). Otava's medians
 * (--no-repeats) stay raw, as Otava places them.
 */
const locatedOn = (dense: DenseSeries, options: HistoryOptions) =>
  options.repeats && allPositive(dense.values) ? dense.values.map(Math.log) : dense.values;

/** Detection over a dense series, full or continuing from the weak points of its first `previousLength` values. */
export function detectDense(dense: DenseSeries, options: HistoryOptions, previous?: { length: number; weak: ChangePoint[] }): DetectResult {
  const judge = judgeFor(dense, options);
  return computeChangePoints(locatedOn(dense, options), {
    window: options.window,
    maxPvalue: effectivePvalue(options),
    minMagnitude: options.minMagnitude,
    ...(judge ? { judge } : {}),
    ...(previous ? { newPoints: dense.values.length - previous.length, oldWeak: previous.weak } : {}),
  });
}
