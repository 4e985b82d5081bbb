/**
 * The Mann-Whitney U test with its distribution-free interval of NEW ÷ BASE (significance.ts):
 * no assumption on the shape of the repeats, so one wild repeat cannot decide the verdict; but
 * with few repeats its p-value cannot go below 2 / C(n + m, n), whatever the effect.
 */
import { median } from "simple-statistics";
import { mannWhitney, ratioInterval, smallestPValue } from "./significance.js";
import type { TwoSampleTest } from "./two-sample-test.js";
import { pooledLogSd } from "./welch-test.js";

/** MAD of the logs scaled to a standard deviation (1.4826 · MAD), pooled over both sides. */
function pooledRobustLogSd(base: readonly number[], next: readonly number[]): number {
  const scale = (values: readonly number[]) => {
    const x = values.map(Math.log);
    const center = median(x);
    return 1.4826 * median(x.map((v) => Math.abs(v - center)));
  };
  const df = base.length + next.length - 2;
  const pooled = Math.sqrt(((base.length - 1) * scale(base) ** 2 + (next.length - 1) * scale(next) ** 2) / df);
  return pooled > 0 ? pooled : pooledLogSd(base, next);
}

export const rankTest: TwoSampleTest = {
  name: "rank",
  run(base, next, confidence) {
    const interval = ratioInterval(base, next, confidence);
    return { p: mannWhitney(base, next).p, ...(interval ? { interval } : {}) };
  },
  // Robust noise: the rank test is chosen when a repeat is an outlier, which must not inflate it.
  noise: (base, next) => ({ sigma: pooledRobustLogSd(base, next), efficiencyFactor: Math.sqrt(Math.PI / 3) }),
  canReach: (n, m, alpha) => smallestPValue(n, m) < alpha,
};
