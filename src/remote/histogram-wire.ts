/**
 * Latency histograms on the wire between a remote load host and the sweep. Percentiles cannot be
 * averaged across hosts; the histograms themselves must travel and be added. HdrHistogram's own V2
 * compressed encoding (deflate + base64, one JSON string) is lossless bucket for bucket and a few
 * hundred bytes for a whole run, and any HdrHistogram tool can read it. What travels are bucket
 * counts: percentiles, mean and count are exact after merging; the raw minimum and maximum come
 * back as the bottom and top of their buckets (within the histogram's 0.1 % resolution).
 *
 * Only `JsHistogram.encoding` is loaded, not the package index or its `encoding` module: those
 * pull in the WebAssembly build (see src/client/histogram.ts for why the client avoids it).
 */
import encodingModule from "hdr-histogram-js/dist/JsHistogram.encoding.js";
import { newLatencyHistogram, type LatencyHistogram } from "../client/histogram.js";

// A CommonJS module: its exports object is the default import. Loading it also adds
// `encodeIntoCompressedBase64` to every JsHistogram (our Int32Histogram included).
const { decompress, doDecode } = encodingModule;

/** One line of base64 (HdrHistogram V2 compressed); lossless. */
export function encodeHistogram(histogram: LatencyHistogram): string {
  return histogram.encodeIntoCompressedBase64();
}

/**
 * The histogram `encoded` describes. `source` names where it came from (e.g. `host load2`) for the
 * error when it is not an encoded histogram (a truncated line, a different tool version...).
 */
export function decodeHistogram(encoded: string, source = "input"): LatencyHistogram {
  try {
    const bytes = Buffer.from(encoded.trim(), "base64");
    if (bytes.length < 8) throw new Error(`only ${bytes.length} bytes`);
    const histogram = newLatencyHistogram();
    histogram.add(doDecode(decompress(bytes), 32));
    return histogram;
  } catch (error) {
    throw new Error(
      `latency histogram from ${source} is not an encoded HdrHistogram (${(error as Error).message}); ` +
        "is tcpsweep the same version on every host?",
      { cause: error },
    );
  }
}

/** Every histogram's counts added into one (a fresh histogram; the inputs are not changed). */
export function mergeHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  const merged = newLatencyHistogram();
  for (const histogram of histograms) merged.add(histogram);
  return merged;
}

/** Decodes and merges the histograms several hosts sent, keyed by host name. */
export function mergeEncodedHistograms(encodedByHost: Readonly<Record<string, string>>): LatencyHistogram {
  return mergeHistograms(Object.entries(encodedByHost).map(([host, encoded]) => decodeHistogram(encoded, `host ${host}`)));
}
