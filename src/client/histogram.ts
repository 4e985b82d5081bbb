import * as hdr from "hdr-histogram-js";

export type LatencyHistogram = hdr.Histogram;

/** Latencies in microseconds, 1 µs … 60 s before resizing, 3 significant digits. */
export function newLatencyHistogram(): LatencyHistogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

export const encodeHistogram = (histogram: LatencyHistogram): string => hdr.encodeIntoCompressedBase64(histogram);
export const decodeHistogram = (encoded: string): LatencyHistogram => hdr.decodeFromCompressedBase64(encoded);
