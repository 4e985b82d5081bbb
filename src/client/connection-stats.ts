/**
 * Pure arithmetic over per-connection and per-second response counts: how evenly a server
 * served its connections (Jain's index, min / median / max) and how steady the window was.
 */

/**
 * Jain's fairness index (Σx)² / (n·Σx²) of `counts`: 1 when every entry is equal, 1/n when one
 * entry has everything. Undefined when nothing was counted (the index is 0/0 then).
 */
export function jainIndex(counts: readonly number[]): number | undefined {
  let sum = 0;
  let sumOfSquares = 0;
  for (const x of counts) {
    sum += x;
    sumOfSquares += x * x;
  }
  if (counts.length === 0 || sumOfSquares === 0) return undefined;
  return (sum * sum) / (counts.length * sumOfSquares);
}

/** Nearest-rank percentile (the smallest value with at least p % of the entries at or below it). */
export function nearestRank(sorted: readonly number[], percentile: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface ConnectionSpread {
  /** Connections with at least one response. */
  served: number;
  /** Jain's index over all counts; undefined when nothing was answered. */
  jain?: number;
  min?: number;
  p50?: number;
  max?: number;
}

/** The spread of per-connection response counts (one entry per requested connection, zeros included). */
export function connectionSpread(counts: readonly number[]): ConnectionSpread {
  const sorted = [...counts].sort((a, b) => a - b);
  const jain = jainIndex(sorted);
  return {
    served: sorted.filter((x) => x > 0).length,
    ...(jain === undefined ? {} : { jain }),
    ...(sorted.length === 0 ? {} : { min: sorted[0], p50: nearestRank(sorted, 50), max: sorted[sorted.length - 1] }),
  };
}

export interface SecondSeries {
  /** Responses per whole second of the window, in order. */
  series: number[];
  min?: number;
  max?: number;
  /** Whole seconds with no response at all. */
  stallSeconds?: number;
}

/** Adds per-second buckets of several loops element-wise and keeps the window's whole seconds only. */
export function mergeSeconds(perLoop: readonly (readonly number[])[], wholeSeconds: number): SecondSeries {
  const series = Array.from({ length: wholeSeconds }, (_, i) => perLoop.reduce((sum, buckets) => sum + (buckets[i] ?? 0), 0));
  if (series.length === 0) return { series };
  return { series, min: Math.min(...series), max: Math.max(...series), stallSeconds: series.filter((x) => x === 0).length };
}
