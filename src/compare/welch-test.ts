/**
 * Welch's t-test on the logarithms: a change of a benchmark figure is a ratio, and the spread of
 * repeats on a shared machine is roughly proportional to the figure, so on the log scale the two
 * samples are closer to normal with comparable variances; Welch's form does not assume equal ones.
 * The interval of the mean log difference, exponentiated, is the interval of NEW ÷ BASE (of the
 * geometric means). Its power grows with every repeat, where the rank test's smallest p-value
 * is bounded by the number of ways to split the repeats.
 */
import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { mean, sampleVariance } from "simple-statistics";
import type { TestOutcome, TwoSampleTest } from "./two-sample-test.js";

const logs = (values: readonly number[]) => values.map(Math.log);

/** Standard deviation of log(value) pooled over both sides (n + m − 2 degrees of freedom). */
export function pooledLogSd(base: readonly number[], next: readonly number[]): number {
  const x = logs(base);
  const y = logs(next);
  const df = x.length + y.length - 2;
  if (df <= 0) return Number.NaN;
  const ss = (values: number[]) => (values.length < 2 ? 0 : sampleVariance(values) * (values.length - 1));
  return Math.sqrt((ss(x) + ss(y)) / df);
}

export const welchTest: TwoSampleTest = {
  name: "welch",
  run(base, next, confidence): TestOutcome {
    const x = logs(base);
    const y = logs(next);
    const shift = mean(y) - mean(x);
    const vx = sampleVariance(x) / x.length;
    const vy = sampleVariance(y) / y.length;
    const se = Math.sqrt(vx + vy);
    if (!(se > 1e-12)) {
      // Constant samples (up to rounding): equal ones show no difference; different constants are as clear as data get.
      const ratio = Math.exp(shift);
      return { p: Math.abs(shift) < 1e-12 ? 1 : 0, interval: { low: ratio, high: ratio, confidence } };
    }
    const df = (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1));
    const t = shift / se;
    const p = Math.min(1, 2 * tCdf(-Math.abs(t), df));
    const half = tQuantile(1 - (1 - confidence) / 2, df) * se;
    return { p, interval: { low: Math.exp(shift - half), high: Math.exp(shift + half), confidence } };
  },
  noise: (base, next) => ({ sigma: pooledLogSd(base, next), efficiencyFactor: 1 }),
  canReach: (n, m) => n >= 2 && m >= 2,
};
