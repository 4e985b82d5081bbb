/**
 * The statistics behind `tcpsweep compare`: a two-sided Mann-Whitney U test (exact permutation
 * distribution for small samples, ties included; normal approximation with tie correction for
 * large ones), Holm's step-down correction across every test of a comparison, and the
 * distribution-free (Hodges-Lehmann / Bauer) confidence interval of NEW ÷ BASE, computed on the
 * logarithms so that it is an interval of a ratio. None of them assume normal data: repeats of a
 * benchmark on a shared machine are skewed and carry outliers.
 */
import { errorFunction, probit } from "simple-statistics";
import { kthPairwiseDifference } from "./pairwise-selection.js";

/** Above this pooled sample size the exact distribution is replaced by the normal approximation. */
export const EXACT_MAX_TOTAL = 60;

export interface RankTest {
  /** Mann-Whitney U of `next` against `base` (pairs where NEW > BASE, ties ½). */
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: "exact" | "normal";
}

/** Standard normal upper tail, P(Z > z). */
const upperTail = (z: number) => (1 - errorFunction(z / Math.SQRT2)) / 2;

/** Pooled midranks, doubled so they are integers: a tie over ranks i..j gets i + j. */
function doubledMidranks(values: readonly number[]): { ranks: number[]; tieGroups: number[] } {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  const tieGroups: number[] = [];
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end++;
    for (let k = start; k <= end; k++) ranks[order[k]!.index] = start + 1 + (end + 1);
    tieGroups.push(end - start + 1);
    start = end + 1;
  }
  return { ranks, tieGroups };
}

/**
 * How many ways `size` of the `ranks` can be chosen with each possible sum (index = sum): the
 * permutation distribution of the rank sum under "no difference", ties included. Exact integer
 * counts up to C(60, 30) ≈ 1.2e17 lose only the last bits of a double, far below any α.
 */
function rankSumCounts(ranks: readonly number[], size: number): Float64Array[] {
  const maxSum = ranks.reduce((a, b) => a + b, 0);
  let counts = Array.from({ length: size + 1 }, () => new Float64Array(maxSum + 1));
  counts[0]![0] = 1;
  for (const rank of ranks) {
    const next = counts.map((row) => row.slice());
    for (let k = 0; k < size; k++) {
      const from = counts[k]!;
      const to = next[k + 1]!;
      for (let s = 0; s + rank <= maxSum; s++) if (from[s] !== 0) to[s + rank]! += from[s]!;
    }
    counts = next;
  }
  return counts;
}

/** The distribution of the doubled rank sum without ties depends on n and m only: computed once each. */
const untied = new Map<string, Float64Array>();
function untiedCounts(n: number, m: number): Float64Array {
  const key = `${n},${m}`;
  let counts = untied.get(key);
  if (!counts) {
    counts = rankSumCounts(
      Array.from({ length: n + m }, (_, i) => 2 * (i + 1)),
      m,
    )[m]!;
    untied.set(key, counts);
  }
  return counts;
}

/** Two-sided Mann-Whitney U test of `base` against `next`; both need at least one value. */
export function mannWhitney(base: readonly number[], next: readonly number[]): RankTest {
  const n = base.length;
  const m = next.length;
  const total = n + m;
  const { ranks, tieGroups } = doubledMidranks([...base, ...next]);
  const nextRankSum2 = ranks.slice(n).reduce((a, b) => a + b, 0);
  const u = nextRankSum2 / 2 - (m * (m + 1)) / 2;
  if (total <= EXACT_MAX_TOTAL) {
    const counts = tieGroups.length === total ? untiedCounts(n, m) : rankSumCounts(ranks, m)[m]!;
    const center = m * (total + 1); // doubled expected rank sum
    const observed = Math.abs(nextRankSum2 - center);
    let extreme = 0;
    let all = 0;
    counts.forEach((count, sum) => {
      all += count;
      if (Math.abs(sum - center) >= observed) extreme += count;
    });
    return { u, p: Math.min(1, extreme / all), method: "exact" };
  }
  const tieTerm = tieGroups.reduce((sum, t) => sum + t ** 3 - t, 0) / (total * (total - 1));
  const sigma = Math.sqrt(((n * m) / 12) * (total + 1 - tieTerm));
  if (sigma === 0) return { u, p: 1, method: "normal" };
  const z = Math.max(0, Math.abs(u - (n * m) / 2) - 0.5) / sigma; // continuity correction
  return { u, p: Math.min(1, 2 * upperTail(z)), method: "normal" };
}

/** Holm's step-down adjusted p-values (same order as given): controls the family-wise error rate. */
export function holm(pValues: readonly number[]): number[] {
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(pValues.length);
  let running = 0;
  order.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * The smallest two-sided p-value an exact Mann-Whitney test of n against m values can reach,
 * 2 / C(n + m, n): below `alpha` no difference, however large, can be significant.
 */
export function smallestPValue(n: number, m = n): number {
  let choose = 1;
  for (let k = 1; k <= Math.min(n, m); k++) choose = (choose * (Math.max(n, m) + k)) / k;
  return Math.min(1, 2 / choose);
}

/** Repeats per side needed so that one test of a family of `tests` can pass Holm's first step at `alpha`. */
export function repeatsNeeded(alpha: number, tests: number): number {
  let n = 1;
  while (smallestPValue(n) >= alpha / Math.max(1, tests) && n < 1000) n++;
  return n;
}

/**
 * How many of the n·m pairwise differences to cut from each end for a `confidence` interval:
 * the largest k with P(U < k) ≤ (1 − confidence) / 2 under the null (no ties). 0 means the
 * samples are too small for any finite interval.
 */
export function intervalCut(n: number, m: number, confidence: number): number {
  const tail = (1 - confidence) / 2;
  if (n + m <= EXACT_MAX_TOTAL) {
    const counts = untiedCounts(n, m);
    const all = counts.reduce((a, b) => a + b, 0);
    const offset = m * (m + 1); // doubled minimal rank sum: U = (sum − offset) / 2
    let below = 0;
    let k = 0;
    for (let u = 0; u <= n * m; u++) {
      below += counts[2 * u + offset]! / all; // P(U ≤ u)
      if (below > tail) break;
      k = u + 1;
    }
    return k;
  }
  const z = -probit(tail); // probit of a lower tail is negative
  const k = Math.floor((n * m) / 2 - z * Math.sqrt((n * m * (n + m + 1)) / 12));
  return Math.max(0, k);
}

export interface RatioInterval {
  /** Lower and upper bound of NEW ÷ BASE (e.g. 0.91 = 9 % lower). */
  low: number;
  high: number;
  confidence: number;
}

/**
 * Distribution-free confidence interval of NEW ÷ BASE: the interval of the shift between
 * log(NEW) and log(BASE) from the ordered pairwise differences (the one that inverts the
 * Mann-Whitney test), exponentiated. The two order statistics are selected without building the
 * n·m differences (pairwise-selection.ts): O((n + m) log(n·m)) time, O(n + m) memory. Undefined
 * when a value is not positive or the samples are too small for a finite interval.
 */
export function ratioInterval(base: readonly number[], next: readonly number[], confidence: number): RatioInterval | undefined {
  if ([...base, ...next].some((value) => !(value > 0))) return undefined;
  const k = intervalCut(base.length, next.length, confidence);
  if (k === 0) return undefined;
  const sortedLogs = (values: readonly number[]) => Float64Array.from(values, Math.log).sort();
  const x = sortedLogs(base);
  const y = sortedLogs(next);
  const all = x.length * y.length;
  return { low: Math.exp(kthPairwiseDifference(x, y, k)), high: Math.exp(kthPairwiseDifference(x, y, all - k + 1)), confidence };
}
