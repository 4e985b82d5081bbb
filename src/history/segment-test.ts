/**
 * How Otava judges a split: Student's two-sample t-test (equal variances) between the points left
 * and right of it, fed the population standard deviations (numpy's std, ddof 0) as scipy's
 * ttest_ind_from_stats receives them there. Not compare's Welch test on logs (welch-test.ts): this
 * one is kept exactly as Otava computes it, so `--series` gives Otava's p-values; tcpsweep's own
 * nights add the repeats through compare's Welch test (repeats-test.ts).
 */
import tCdf from "@stdlib/stats-base-dists-t-cdf";

export interface SegmentStats {
  pvalue: number;
  meanBefore: number;
  meanAfter: number;
  stdBefore: number;
  stdAfter: number;
}

function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  if (values.length < 2) return { mean, std: 0 };
  const squares = values.reduce((sum, value) => sum + (value - mean) ** 2, 0);
  return { mean, std: Math.sqrt(squares / values.length) };
}

/** Otava's TTestSignificanceTester.compare: p = 1 when there are fewer than 3 points in all. */
export function segmentTest(left: readonly number[], right: readonly number[]): SegmentStats {
  if (left.length === 0 || right.length === 0) throw new RangeError("a side of a change point is empty");
  const a = meanAndStd(left);
  const b = meanAndStd(right);
  const stats = { meanBefore: a.mean, meanAfter: b.mean, stdBefore: a.std, stdAfter: b.std };
  const df = left.length + right.length - 2;
  if (df <= 0) return { pvalue: 1, ...stats };
  const pooled = ((left.length - 1) * a.std ** 2 + (right.length - 1) * b.std ** 2) / df;
  const t = (a.mean - b.mean) / Math.sqrt(pooled * (1 / left.length + 1 / right.length));
  // scipy: a zero spread gives t = ±inf (p 0) for different means, NaN (p NaN) for equal ones.
  const pvalue = Number.isNaN(t) ? Number.NaN : 2 * tCdf(-Math.abs(t), df);
  return { pvalue, ...stats };
}

/** Otava's change_magnitude: the larger of the forward and backward relative changes (0 when a mean is 0). */
export function changeMagnitude(stats: SegmentStats): number {
  const forward = stats.meanBefore === 0 ? 0 : stats.meanAfter / stats.meanBefore - 1;
  const backward = stats.meanAfter === 0 ? 0 : stats.meanBefore / stats.meanAfter - 1;
  return Math.max(Math.abs(forward), Math.abs(backward));
}
