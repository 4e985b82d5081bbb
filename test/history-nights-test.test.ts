/**
 * history's test of a split over the repeats keeps the night as its unit (src/history/nights-test.ts).
 * Pooling every repeat (Welch over all of them, the test before) took one night of a loaded machine
 * for a change with p 2e-5; these cases pin what the night-aware test says instead. Seeded data.
 */
import { describe, expect, it } from "vitest";
import { welchTest } from "../src/compare/welch-test.js";
import { analyse } from "../src/history/analyse.js";
import { DEFAULT_HISTORY_OPTIONS } from "../src/history/detect.js";
import { nightsTest } from "../src/history/nights-test.js";
import { seeded } from "./helpers/seeded.js";

function nights(count: number, options: { nightSigma: number; repeatSigma: number; level?: number; seed: number }): number[][] {
  const random = seeded(options.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, () => {
    const night = options.nightSigma * normal();
    return Array.from({ length: 9 }, () => (options.level ?? 10_000) * Math.exp(night + options.repeatSigma * normal()));
  });
}

const pooledWelch = (before: number[][], after: number[][]) => welchTest.run(before.flat(), after.flat(), 0.95).p;

describe("the night-aware test of a split", () => {
  it("nights that differ far more than their repeats: no change where pooling the repeats saw one", () => {
    let pooledAlarms = 0;
    let nightAlarms = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const series = nights(20, { nightSigma: 0.15, repeatSigma: 0.05, seed });
      const [before, after] = [series.slice(0, 14), series.slice(14)];
      if (pooledWelch(before, after) < 0.001) pooledAlarms++;
      if (nightsTest(before, after)! < 0.001) nightAlarms++;
    }
    expect(pooledAlarms, "pooling treats a night's shared noise as independent").toBeGreaterThan(10);
    expect(nightAlarms).toBeLessThanOrEqual(1);
  });

  it("nights as alike as their repeats say: a 20 % drop after night 14 is found, with a p near the pooled one", () => {
    const before = nights(14, { nightSigma: 0, repeatSigma: 0.1, seed: 7 });
    const after = nights(6, { nightSigma: 0, repeatSigma: 0.1, level: 8_000, seed: 8 });
    const p = nightsTest(before, after)!;
    expect(p).toBeLessThan(1e-6);
    expect(Math.log10(p)).toBeGreaterThan(Math.log10(pooledWelch(before, after)) - 3); // same order of evidence, not more
  });

  it("nights of one repeat beside nights of five: the repeats' variance is pooled, so no false changes (11 % before)", () => {
    let alarms = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const random = seeded(seed);
      const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const night = (repeats: number) => {
        const shift = 0.02 * normal();
        return Array.from({ length: repeats }, () => 10_000 * Math.exp(shift + 0.08 * normal()));
      };
      const before = Array.from({ length: 3 }, () => night(1));
      const after = Array.from({ length: 20 }, () => night(5));
      if (nightsTest(before, after)! < 0.00025) alarms++;
    }
    expect(alarms).toBeLessThanOrEqual(2);
  });

  it("equal values on every night (99.99, whose logs' sums differ in the last bits): p 1, no change point", () => {
    const flat = Array.from({ length: 40 }, () => Array(5).fill(99.99) as number[]);
    for (let at = 2; at <= 38; at++) expect(nightsTest(flat.slice(0, at), flat.slice(at))).toBe(1);
    const series = { name: "s", lowerIsBetter: false, points: flat.map((repeats, i) => ({ time: `n${i}`, value: 99.99, repeats })) };
    expect(analyse([series], DEFAULT_HISTORY_OPTIONS)[0]!.changePoints).toEqual([]);
  });

  it("a side with one night, or a value that is not positive, is left to Otava's test on the medians", () => {
    const series = nights(4, { nightSigma: 0, repeatSigma: 0.1, seed: 3 });
    expect(nightsTest(series.slice(0, 3), series.slice(3))).toBeUndefined();
    expect(nightsTest([series[0]!, [0, 1]], series.slice(2))).toBeUndefined();
    expect(nightsTest(series.slice(0, 2), series.slice(2))).toBeGreaterThan(0);
  });

  it("history: a last night 45 % down on a loaded machine is no change point; the same drop held for 6 nights is one, at its night", () => {
    const stable = nights(13, { nightSigma: 0.02, repeatSigma: 0.08, seed: 11 });
    const point = (repeats: number[], i: number) => ({
      time: `2026-11-${String(i + 1).padStart(2, "0")}`,
      value: [...repeats].sort((a, b) => a - b)[4]!,
      repeats,
    });
    const series = (all: number[][]) => ({ name: "s", lowerIsBetter: false, points: all.map(point) });
    const bad = nights(1, { nightSigma: 0, repeatSigma: 0.08, level: 5_500, seed: 12 });
    expect(analyse([series([...stable, ...bad])], DEFAULT_HISTORY_OPTIONS)[0]!.changePoints).toEqual([]);
    const slowed = nights(6, { nightSigma: 0.02, repeatSigma: 0.08, level: 5_500, seed: 13 });
    const found = analyse([series([...stable, ...slowed])], DEFAULT_HISTORY_OPTIONS)[0]!.changePoints;
    expect(found.map((change) => change.time)).toEqual(["2026-11-14"]);
  });
});
