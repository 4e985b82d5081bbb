/**
 * The smallest change a comparison would flag with a given power: from the noise of the cell
 * (the standard deviation of log(value), pooled over BASE and NEW), the repeats on each side and
 * the significance level that the first step of Holm's correction asks of one test (α / tests):
 *
 *   shift = (t(1 − α′/2; df) + t(power; df)) · σ · √(1/n + 1/m) · efficiency factor
 *
 * the usual two-sided power approximation of the t-test on the logs (df = n + m − 2). It is a
 * shift of log(value), reported as the size of a drop, 1 − e^(−shift). The verdict also needs the
 * whole interval beyond --threshold; this figure is only what noise and repeats allow.
 */
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import type { TwoSampleTest } from "./two-sample-test.js";

export const DETECTABLE_POWER = 0.8;
/** Repeats beyond this are not searched for. */
const MAX_REPEATS = 10_000;
/**
 * Repeats beyond this are not advice anyone takes (100 repeats of a 10 s cell is 17 minutes per
 * cell and side): past it the answer is less noise, not more repeats (docs/decisions.md).
 */
export const SENSIBLE_REPEATS = 100;

/** "run both with --repeat 11 or more", or, past SENSIBLE_REPEATS (or none found) that the noise is too large. */
export function repeatAdvice(needed: number | undefined, who: "both" | "it"): string {
  if (needed !== undefined && needed <= SENSIBLE_REPEATS) return `run ${who} with --repeat ${needed} or more`;
  // Said after "cannot see a 5% change with 3 repeats" (or under a verdict that says the threshold): not again here.
  return `the cell's noise is too large for more repeats to help; see tcpsweep calibrate, or the nightly history`;
}

export interface Sensitivity {
  /** Smallest drop, in percent, flagged with DETECTABLE_POWER; Infinity when no drop can be. */
  detectablePct: number;
  /** Repeats per side at which a change of `thresholdPct` becomes detectable; undefined beyond 10,000. */
  repeatsToSee?: number;
}

/** The detectable shift of log(value) with n and m repeats. */
export function detectableShift(sigma: number, n: number, m: number, alpha: number, power = DETECTABLE_POWER): number {
  const df = n + m - 2;
  if (!(df > 0) || !(sigma >= 0)) return Number.POSITIVE_INFINITY;
  return (tQuantile(1 - alpha / 2, df) + tQuantile(power, df)) * sigma * Math.sqrt(1 / n + 1 / m);
}

export const shiftToDropPct = (shift: number) => (1 - Math.exp(-shift)) * 100;
export const dropPctToShift = (pct: number) => -Math.log(1 - Math.min(pct, 99.999) / 100);

/** What `test` can see in this cell, with the corrected α of one test of the family. */
export function sensitivity(
  test: TwoSampleTest,
  base: readonly number[],
  next: readonly number[],
  alpha: number,
  thresholdPct: number,
): Sensitivity {
  const { sigma, efficiencyFactor } = test.noise(base, next);
  const at = (n: number, m: number) =>
    test.canReach(n, m, alpha) ? detectableShift(sigma, n, m, alpha) * efficiencyFactor : Number.POSITIVE_INFINITY;
  const shift = at(base.length, next.length);
  const detectablePct = Number.isFinite(shift) ? shiftToDropPct(shift) : Number.POSITIVE_INFINITY;
  const wanted = dropPctToShift(thresholdPct);
  // The detectable shift falls as repeats grow: bisect for the first repeat count that sees `wanted`.
  const sees = (repeats: number) => at(repeats, repeats) <= wanted;
  if (!sees(MAX_REPEATS)) return { detectablePct };
  let low = 1;
  let high = MAX_REPEATS;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (sees(middle)) high = middle;
    else low = middle;
  }
  return { detectablePct, repeatsToSee: high };
}
