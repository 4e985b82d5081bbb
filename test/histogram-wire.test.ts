/**
 * Latency histograms across hosts: random latency samples split over k histograms, each encoded as
 * a remote host would send it, decoded and merged, must give exactly the histogram (and so the
 * percentiles) of all samples recorded in one place.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { histogramCounts, newLatencyHistogram, type LatencyHistogram } from "../src/client/histogram.js";
import { decodeHistogram, encodeHistogram, mergeEncodedHistograms, mergeHistograms } from "../src/remote/histogram-wire.js";

const PERCENTILES = [0, 50, 90, 99, 99.9, 99.99, 100];

function summary(histogram: LatencyHistogram) {
  return {
    count: histogram.totalCount,
    // The wire carries buckets, not raw values: minimum and maximum come back as the bottom and the
    // top of their buckets (within 0.1 %, the histogram's resolution), as percentiles always are.
    min: histogram.lowestEquivalentValue(histogram.minNonZeroValue),
    max: histogram.highestEquivalentValue(histogram.maxValue),
    mean: histogram.mean,
    percentiles: PERCENTILES.map((p) => histogram.getValueAtPercentile(p)),
  };
}

describe("histogram wire format", () => {
  it("split over k hosts, encoded, decoded and merged equals one histogram of all samples", () => {
    fc.assert(
      fc.property(
        // Latencies in µs: mostly sub-second, some far beyond the initial 60 s range (auto-resize).
        fc.array(fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 2_000_000_000 })), {
          minLength: 1,
          maxLength: 2000,
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.infiniteStream(fc.nat()),
        (samples, k, hostChoice) => {
          const all = newLatencyHistogram();
          const perHost = Array.from({ length: k }, () => newLatencyHistogram());
          const choices = hostChoice.take(samples.length)[Symbol.iterator]();
          for (const sample of samples) {
            all.recordValue(sample);
            perHost[choices.next().value! % k]!.recordValue(sample);
          }
          const wire = Object.fromEntries(perHost.map((h, i) => [`load${i + 1}`, encodeHistogram(h)]));
          for (const text of Object.values(wire)) expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/); // one JSON-safe line
          const merged = mergeEncodedHistograms(wire);
          expect(summary(merged)).toEqual(summary(all));
          expect(histogramCounts(merged)).toEqual(histogramCounts(all)); // bucket for bucket
        },
      ),
      { numRuns: 60 },
    );
  });

  it("an empty histogram survives the trip", () => {
    const decoded = decodeHistogram(encodeHistogram(newLatencyHistogram()));
    expect(decoded.totalCount).toBe(0);
    expect(mergeHistograms([decoded, newLatencyHistogram()]).totalCount).toBe(0);
  });

  it("a merged histogram keeps recording past its decoded range", () => {
    const small = newLatencyHistogram();
    small.recordValue(10);
    const merged = mergeHistograms([decodeHistogram(encodeHistogram(small))]);
    merged.recordValue(5_000_000_000);
    expect(merged.totalCount).toBe(2);
    expect(merged.maxValue).toBeGreaterThanOrEqual(4_990_000_000);
  });

  it("a damaged line names its host", () => {
    const good = newLatencyHistogram();
    good.recordValue(123);
    const truncated = encodeHistogram(good).slice(0, 20);
    expect(() => mergeEncodedHistograms({ load1: encodeHistogram(good), load2: truncated })).toThrow(
      /latency histogram from host load2 is not an encoded HdrHistogram/,
    );
    expect(() => decodeHistogram("not a histogram", "host load1")).toThrow(/host load1/);
  });
});
