/*
 * Latency histograms. Only the plain Int32 HdrHistogram is loaded: the package's index also
 * loads its WebAssembly build and compression codecs, about 16 MB of resident memory that a
 * load client at 4000 connections should not carry.
 */
import int32Module from "hdr-histogram-js/dist/Int32Histogram.js";

// A CommonJS module whose `exports.default` is the class: Node's ESM loader hands us the exports
// object, vitest's loader the class itself (so tests can import this module directly).
type Int32HistogramClass = typeof int32Module.default;
const loaded = int32Module as unknown as Int32HistogramClass | { default: Int32HistogramClass };
const Int32Histogram = typeof loaded === "function" ? loaded : loaded.default;
export type LatencyHistogram = InstanceType<typeof Int32Histogram>;

/** Latencies in microseconds, 1 µs … 60 s before resizing, 3 significant digits. */
export function newLatencyHistogram(): LatencyHistogram {
  const histogram = new Int32Histogram(1, 60_000_000, 3);
  histogram.autoResize = true;
  return histogram;
}

/** A histogram as [value, count] pairs of its non-empty buckets: small, and exact to merge. */
export type HistogramCounts = [number, number][];

export function histogramCounts(histogram: LatencyHistogram): HistogramCounts {
  const counts: HistogramCounts = [];
  for (let index = 0; index < histogram.countsArrayLength; index++) {
    const count = histogram.getCountAtIndex(index);
    if (count > 0) counts.push([histogram.valueFromIndex(index), count]);
  }
  return counts;
}

export function addCounts(histogram: LatencyHistogram, counts: HistogramCounts): void {
  for (const [value, count] of counts) histogram.recordValueWithCount(value, count);
}
