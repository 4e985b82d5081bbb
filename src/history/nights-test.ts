/**
 * The test of a split over tcpsweep's own nights, with their repeats: the night is the unit, as in a
 * one-way random-effects model. A night's value is the mean of its repeats' logs; its variance is its
 * repeats' spread over their count (what the repeats know) plus the spread nights show beyond that
 * (what the machine does from night to night, estimated from the nights on each side, pooled).
 * Pooling every repeat as if independent (Welch over all repeats) ignores that second part: on a
 * machine whose nights differ by load, one bad night then looked like a change with p 2e-5.
 * With nights as alike as their repeats say, it is as powerful as Welch over all repeats.
 */
import tCdf from "@stdlib/stats-base-dists-t-cdf";

interface Night {
  mean: number;
  /** Squared standard error of the night's mean from its repeats; undefined with one repeat. */
  within?: number;
}

const average = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

function sampleVariance(values: readonly number[]): number {
  const mean = average(values);
  return values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
}

function night(repeats: readonly number[]): Night {
  const logs = repeats.map(Math.log);
  return { mean: average(logs), ...(logs.length >= 2 ? { within: sampleVariance(logs) / logs.length } : {}) };
}

/** The nights' own spread of their means beyond what their repeats explain, summed with its degrees of freedom. */
function excessSpread(nights: readonly Night[]): { sum: number; df: number } {
  if (nights.length < 2) return { sum: 0, df: 0 };
  const withins = nights.map((n) => n.within).filter((w): w is number => w !== undefined);
  const within = withins.length > 0 ? average(withins) : 0;
  return { sum: (nights.length - 1) * (sampleVariance(nights.map((n) => n.mean)) - within), df: nights.length - 1 };
}

/**
 * Two-sided p of "the nights after differ from the nights before" on the log scale, or undefined
 * when a side has fewer than 2 nights (one night cannot tell a change from a bad night) or a value
 * is not positive.
 */
export function nightsTest(before: readonly (readonly number[])[], after: readonly (readonly number[])[]): number | undefined {
  if (before.length < 2 || after.length < 2) return undefined;
  if ([...before, ...after].some((repeats) => repeats.length === 0 || repeats.some((value) => !(value > 0)))) return undefined;
  const left = before.map(night);
  const right = after.map(night);
  const a = excessSpread(left);
  const b = excessSpread(right);
  const betweenNights = Math.max(0, (a.sum + b.sum) / (a.df + b.df));
  const sideVariance = (nights: readonly Night[]) => {
    const withins = nights.map((n) => n.within).filter((w): w is number => w !== undefined);
    return (betweenNights + (withins.length > 0 ? average(withins) : 0)) / nights.length;
  };
  const se = Math.sqrt(sideVariance(left) + sideVariance(right));
  const difference = average(right.map((n) => n.mean)) - average(left.map((n) => n.mean));
  if (se === 0) return difference === 0 ? 1 : 0;
  return 2 * tCdf(-Math.abs(difference / se), left.length + right.length - 2);
}
