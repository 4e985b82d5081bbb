/**
 * The k-th smallest of the n·m pairwise differences y[j] − x[i] of two sorted samples, without
 * building them: the selection algorithm of Johnson & Mitchell (1978) / Monahan (1984) for the
 * Hodges-Lehmann interval. The differences form a matrix whose rows rise with j and whose columns
 * fall with i, so the number of differences ≤ any pivot is counted in one O(n + m) staircase walk.
 * Each round keeps, per row, the column range still in play, picks a random remaining difference
 * as pivot and narrows every row to the side that holds the k-th: expected O(log(n·m)) rounds,
 * O((n + m) log(n·m)) time and O(n + m) memory in all.
 */
import { seededRandom } from "./seeded-random.js";

/** Below this many candidates left, they are collected and sorted. */
const SMALL = 4096;

/**
 * The k-th smallest (1-based, 1 ≤ k ≤ n·m) of y[j] − x[i] over all i, j; `x` and `y` sorted
 * ascending. Differences are computed the same way everywhere (y[j] − x[i]), and IEEE rounding is
 * monotone, so the staircase counts are exact for floating-point values too.
 */
export function kthPairwiseDifference(x: Float64Array, y: Float64Array, k: number): number {
  const n = x.length;
  const m = y.length;
  if (!(k >= 1 && k <= n * m)) throw new RangeError(`k = ${k} outside 1 … ${n * m}`);
  // Row i's candidates are columns low[i] … high[i] − 1; `below` differences are known to rank lower.
  const low = new Int32Array(n);
  const high = new Int32Array(n).fill(m);
  const countLess = new Int32Array(n);
  const countUpTo = new Int32Array(n);
  // Seeded: the result never depends on the pivots, only the work does, and that should repeat too.
  const random = seededRandom(n * 31 + m * 17 + k);
  let below = 0;
  for (;;) {
    let left = 0;
    for (let i = 0; i < n; i++) left += high[i]! - low[i]!;
    if (left <= SMALL) {
      const rest: number[] = [];
      for (let i = 0; i < n; i++) for (let j = low[i]!; j < high[i]!; j++) rest.push(y[j]! - x[i]!);
      rest.sort((a, b) => a - b);
      return rest[k - below - 1]!;
    }
    // A uniformly random remaining difference as the pivot.
    let pick = Math.floor(random() * left);
    let row = 0;
    while (pick >= high[row]! - low[row]!) {
      pick -= high[row]! - low[row]!;
      row++;
    }
    const pivot = y[low[row]! + pick]! - x[row]!;
    // Staircase: as i grows, x[i] grows, so the columns with y[j] − x[i] ≤ pivot only grow.
    let jLess = 0;
    let jUpTo = 0;
    let totalLess = 0;
    let totalUpTo = 0;
    for (let i = 0; i < n; i++) {
      while (jLess < m && y[jLess]! - x[i]! < pivot) jLess++;
      while (jUpTo < m && y[jUpTo]! - x[i]! <= pivot) jUpTo++;
      countLess[i] = jLess;
      countUpTo[i] = jUpTo;
      totalLess += jLess;
      totalUpTo += jUpTo;
    }
    if (k > totalLess && k <= totalUpTo) return pivot;
    if (k <= totalLess) {
      for (let i = 0; i < n; i++) high[i] = Math.min(high[i]!, countLess[i]!);
    } else {
      for (let i = 0; i < n; i++) low[i] = Math.max(low[i]!, countUpTo[i]!);
    }
    below = 0;
    for (let i = 0; i < n; i++) below += low[i]!;
  }
}
