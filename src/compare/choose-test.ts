/**
 * `--test auto`: Welch's t on the logarithms when both sides look log-normal, the rank test
 * otherwise. "Look log-normal" means: every value positive, no outlier among the logs by the
 * modified z-score (> 3.5), and Shapiro-Wilk does not reject normality of the logs at 1 %.
 * Shapiro-Wilk at 1 % rather than 5 %: with normal data a 5 % check would send one pair in ten
 * to the rank test, which at 5 repeats cannot flag anything; with outliers (the case that hurts
 * Welch) the outlier rule decides. Beyond 5000 values Shapiro-Wilk is not defined, and the mean
 * of the logs is normal enough by the central limit theorem: only the outlier rule applies.
 */
import { outliers, shapiroWilk } from "./normality.js";
import { rankTest } from "./rank-test.js";
import type { TestMode, TwoSampleTest } from "./two-sample-test.js";
import { welchTest } from "./welch-test.js";

export const NORMALITY_ALPHA = 0.01;

export interface TestChoice {
  test: TwoSampleTest;
  /** Why auto (or a forced welch) fell back to the rank test; absent when the mode was followed. */
  reason?: string;
}

/** Why the logs of `values` do not look normal, or undefined when they do. */
function notLogNormal(values: readonly number[]): string | undefined {
  const x = values.map(Math.log);
  const wild = outliers(x);
  if (wild.length > 0) return `outlier ${+Math.exp(wild[0]!).toPrecision(4)}`;
  const check = shapiroWilk(x);
  if (check && check.p < NORMALITY_ALPHA) return `not log-normal (Shapiro-Wilk p=${check.p.toPrecision(2)})`;
  return undefined;
}

export function chooseTest(mode: TestMode, base: readonly number[], next: readonly number[]): TestChoice {
  if (mode === "rank") return { test: rankTest };
  if ([...base, ...next].some((value) => !(value > 0))) return { test: rankTest, reason: "a value ≤ 0 has no logarithm" };
  if (base.length < 2 || next.length < 2) return { test: rankTest, reason: "fewer than 2 values on a side" };
  if (mode === "welch") return { test: welchTest };
  const reason = notLogNormal(base) ?? notLogNormal(next);
  return reason ? { test: rankTest, reason } : { test: welchTest };
}
