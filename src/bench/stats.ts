/** Medians and ranges of a point's runs, and the A/B ratio of medians. */
import { max, median, min } from "../output/stats.js";

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** undefined when no run of the point succeeded. */
export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  return { median: median(values), min: min(values), max: max(values), runs: values.length };
}

export function ratioOfMedians(a: Spread | undefined, b: Spread | undefined): number | undefined {
  return a && b && b.median !== 0 ? a.median / b.median : undefined;
}
