/**
 * The divergence E-divisive means maximises (Matteson & James 2014, power 1), as Apache Otava's
 * PairDistanceCalculator computes it: for a slice series[start:stop), every split X = [start, τ),
 * Y = [τ, κ) with start < τ < κ ≤ stop is scored
 *
 *   Q(τ, κ) = 2/(m+n)·Σ|X−Y| − 2m/((m+n)(n−1))·Σ_{pairs in X}|Xi−Xk| − 2n/((m+n)(m−1))·Σ_{pairs in Y}|Yj−Yk|
 *
 * (a within-side term is 0 when that side has one point). Otava takes numpy's argmax over a square
 * matrix whose entries below the diagonal are 0; to give its very indices we pick the same way: the
 * first largest value in row-major order (row τ, column κ), those zeros included.
 * O(L²) per slice through running sums, where Otava builds the same matrix with cumulative sums.
 */

export interface Candidate {
  /** The first index of the right part (Otava's τ). */
  index: number;
  /** The largest Q. */
  qhat: number;
}

/** The best split of series[start:stop) (stop − start ≥ 2). */
export function bestSplit(series: readonly number[], start: number, stop: number): Candidate {
  if (stop - start < 2) throw new RangeError(`bestSplit needs at least 2 points, got ${stop - start}`);
  // toColumn[k − start][t − start] = Σ_{u=start}^{t−1} |series[u] − series[k]|: the distances of point k to a prefix.
  const toColumn: Float64Array[] = [];
  for (let k = start; k < stop; k++) {
    const sums = new Float64Array(k - start + 1);
    for (let u = start; u < k; u++) sums[u - start + 1] = sums[u - start]! + Math.abs(series[u]! - series[k]!);
    toColumn.push(sums);
  }
  let best: Candidate = { index: start + 1, qhat: Number.NEGATIVE_INFINITY };
  let withinLeft = 0; // Σ of pairs inside [start, τ)
  for (let tau = start + 1; tau < stop; tau++) {
    const row = tau - start - 1;
    withinLeft += toColumn[tau - 1 - start]![tau - 1 - start]!;
    // Row-major order: this row's zeros below the diagonal come before its scored entries.
    if (row >= 1 && 0 > best.qhat) best = { index: tau, qhat: 0 };
    const n = tau - start;
    let cross = 0; // Σ |X − Y| for Y = [τ, κ)
    let withinRight = 0;
    for (let kappa = tau + 1; kappa <= stop; kappa++) {
      const last = kappa - 1; // the point Y just gained
      const column = toColumn[last - start]!;
      cross += column[tau - start]!;
      withinRight += column[last - start]! - column[tau - start]!;
      const m = kappa - tau;
      const total = kappa - start;
      const a = (2 / total) * cross;
      const b = n > 1 ? ((2 * m) / (total * (n - 1))) * withinLeft : 0;
      const c = m > 1 ? ((2 * n) / (total * (m - 1))) * withinRight : 0;
      const q = a - b - c;
      if (q > best.qhat) best = { index: tau, qhat: q };
    }
  }
  return best;
}
