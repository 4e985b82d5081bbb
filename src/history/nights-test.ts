/**
 * The test of a split over tcpsweep's own nights, with their repeats: the night is the unit, as in a
 * one-way random-effects model on the logs. A night's value is the mean of its repeats' logs; its
 * variance is the repeats' variance (pooled over every night of both sides, as unbalanced one-way
 * ANOVA does, so a night of one repeat carries it too) over its repeat count, plus the spread the
 * nights show beyond that (what the machine does from night to night, pooled over both sides).
 * Pooling every repeat as if independent (Welch over all repeats) ignores that second part: on a
 * machine whose nights differ by load, one bad night then looked like a change with p 2e-5.
 * With nights as alike as their repeats say, it is as powerful as Welch over all repeats.
 */
import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";

/** The split's difference of mean logs (after − before), its standard error, degrees of freedom and p. */
export interface NightsSplit {
  difference: number;
  se: number;
  df: number;
  pvalue: number;
}

const average = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

function sampleVariance(values: readonly number[]): number {
  const mean = average(values);
  return values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
}

/** Differences below this on the log scale are rounding (sums of equal logs that differ in the last bits), not change. */
const ROUNDING = 1e-12;

/**
 * The split's test, or undefined when a side has fewer than 2 nights (one night cannot tell a change
 * from a bad night) or a value is not positive.
 */
export function nightsSplit(before: readonly (readonly number[])[], after: readonly (readonly number[])[]): NightsSplit | undefined {
  if (before.length < 2 || after.length < 2) return undefined;
  const nights = [...before, ...after];
  if (nights.some((repeats) => repeats.length === 0 || repeats.some((value) => !(value > 0)))) return undefined;
  // Logs relative to one of them: means of equal values stay exactly equal.
  const origin = Math.log(nights[0]![0]!);
  const logs = nights.map((repeats) => repeats.map((value) => Math.log(value) - origin));
  const withinDf = logs.reduce((sum, night) => sum + night.length - 1, 0);
  const repeatVariance =
    withinDf > 0 ? logs.reduce((sum, night) => sum + (night.length > 1 ? (night.length - 1) * sampleVariance(night) : 0), 0) / withinDf : 0;
  const sides = [logs.slice(0, before.length), logs.slice(before.length)].map((side) => ({
    means: side.map(average),
    within: side.map((night) => repeatVariance / night.length),
  }));
  // The nights' spread of their means beyond what their repeats explain, pooled over both sides, floored at 0.
  const excess = sides.reduce((sum, side) => sum + (side.means.length - 1) * (sampleVariance(side.means) - average(side.within)), 0);
  const df = nights.length - 2;
  const betweenNights = Math.max(0, excess / df);
  const se = Math.sqrt(sides.reduce((sum, side) => sum + (betweenNights + average(side.within)) / side.means.length, 0));
  const difference = average(sides[1]!.means) - average(sides[0]!.means);
  if (Math.abs(difference) <= ROUNDING) return { difference: 0, se, df, pvalue: 1 };
  const pvalue = se === 0 ? 0 : 2 * tCdf(-Math.abs(difference / se), df);
  return { difference, se, df, pvalue };
}

/** Two-sided p of "the nights after differ from the nights before" on the log scale (see nightsSplit). */
export const nightsTest = (before: readonly (readonly number[])[], after: readonly (readonly number[])[]) =>
  nightsSplit(before, after)?.pvalue;

/** The 95 % interval of after ÷ before, as ratios, from the split's difference and standard error. */
export function nightsInterval(split: NightsSplit, level = 0.95): { low: number; high: number } {
  const half = split.se * tQuantile(1 - (1 - level) / 2, split.df);
  return { low: Math.exp(split.difference - half), high: Math.exp(split.difference + half) };
}
