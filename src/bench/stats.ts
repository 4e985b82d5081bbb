/** Medians and ranges of a point's runs, and the A/B ratio of medians. */

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** undefined when no run of the point succeeded. */
export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

export function ratioOfMedians(a: Spread | undefined, b: Spread | undefined): number | undefined {
  return a && b && b.median !== 0 ? a.median / b.median : undefined;
}
