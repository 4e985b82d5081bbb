/**
 * `history`'s detection on seeded synthetic series (pure logic): single and multiple steps,
 * outliers, gaps, series shorter than the window, and the incremental run against a full one.
 */
import { describe, expect, it } from "vitest";
import { analyse } from "../src/history/analyse.js";
import { emptyCache } from "../src/history/cache.js";
import { computeChangePoints } from "../src/history/e-divisive.js";
import { DEFAULT_HISTORY_OPTIONS, denseOf, effectivePvalue, repeatsJudge, type HistoryOptions } from "../src/history/detect.js";
import type { HistorySeries } from "../src/history/series.js";
import { seeded } from "./helpers/seeded.js";

/** Nights of 9 log-normal repeats (σ 0.15) around `level(night)`. */
function nights(count: number, level: (night: number) => number, seed: number): HistorySeries {
  const random = seeded(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const points = Array.from({ length: count }, (_, night) => {
    const repeats = Array.from({ length: 9 }, () => level(night) * Math.exp(0.15 * normal()));
    const sorted = [...repeats].sort((a, b) => a - b);
    return { time: `night-${String(night).padStart(3, "0")}`, value: sorted[4]!, repeats };
  });
  return { name: "syn resp/s", lowerIsBetter: false, points };
}

const indices = (series: HistorySeries, options: HistoryOptions = DEFAULT_HISTORY_OPTIONS) =>
  analyse([series], options)[0]!.changePoints.map((point) => point.index);

describe("history on seeded nights", () => {
  it("finds a single 20 % drop at its night, as a regression, and nothing in a flat series", () => {
    const step = nights(60, (night) => (night >= 35 ? 8000 : 10000), 1);
    const [found] = analyse([step], DEFAULT_HISTORY_OPTIONS);
    expect(found!.changePoints.map((point) => point.index)).toEqual([35]);
    expect(found!.changePoints[0]!.regression).toBe(true);
    expect(found!.changePoints[0]!.change_pct).toBeLessThan(-15);
    expect(indices(nights(60, () => 10000, 2))).toEqual([]);
  });

  it("finds two steps (down, then up) and marks only the drop a regression", () => {
    const [found] = analyse([nights(90, (night) => (night >= 30 && night < 60 ? 7000 : 10000), 3)], DEFAULT_HISTORY_OPTIONS);
    expect(found!.changePoints.map((point) => point.index)).toEqual([30, 60]);
    expect(found!.changePoints.map((point) => point.regression)).toEqual([true, false]);
  });

  it("a single outlier night is not a change point", () => {
    const series = nights(60, (night) => (night === 25 ? 5000 : 10000), 4);
    expect(indices(series)).toEqual([]);
  });

  it("gaps keep their place: the index counts them, detection skips them", () => {
    const series = nights(60, (night) => (night >= 40 ? 8000 : 10000), 5);
    for (const night of [10, 38, 41])
      series.points[night] = { time: series.points[night]!.time, repeats: [], gap: "cell failed (server_failed)" };
    expect(indices(series)).toEqual([40]);
  });

  it("a series shorter than the window still gets its change point; a side of one night is none, whatever its repeats", () => {
    expect(indices(nights(20, (night) => (night >= 10 ? 7000 : 10000), 6))).toEqual([10]);
    // One night's repeats cannot tell a change from that night's machine; the nights are the unit, so
    // a halving needs a few nights a side to pass p 0.00025 (2 + 2 nights: t on 2 degrees of freedom).
    expect(indices(nights(2, (night) => (night >= 1 ? 5000 : 10000), 7))).toEqual([]);
    expect(indices(nights(3, (night) => (night >= 2 ? 5000 : 10000), 7))).toEqual([]);
    expect(indices(nights(8, (night) => (night >= 4 ? 5000 : 10000), 7))).toEqual([4]);
  });

  it("the incremental run gives the same change points as a full recompute, night after night", () => {
    for (const seed of [11, 12, 13]) {
      const all = nights(160, (night) => (night >= 70 ? 8500 : night >= 120 ? 9000 : 10000), seed);
      const cache = emptyCache(DEFAULT_HISTORY_OPTIONS);
      for (let length = 100; length <= 160; length++) {
        const prefix = { ...all, points: all.points.slice(0, length) };
        const incremental = analyse([prefix], DEFAULT_HISTORY_OPTIONS, cache)[0]!.changePoints.map((point) => point.index);
        expect(incremental, `seed ${seed}, ${length} nights`).toEqual(indices(prefix));
      }
    }
  });

  it("a busy machine's nights: a night at a quarter of the others' median just before a 30× drop stays before it", () => {
    // Nights 1–13 and 14–20 as real runs of test/history-real-nights.test.ts gave them at load 15,
    // night 13 lowered to 400 resp/s: on raw values its arithmetic distance put it with the slow nights
    // (change at night 13); on the logs it sits with its own.
    const medians = [1993, 767, 1080, 2181, 715, 1701, 3997, 2437, 1282, 2780, 948, 1256, 400, 44, 49, 80, 61, 64, 53, 55];
    const points = medians.map((value, night) => ({ time: `night-${night + 1}`, value, repeats: [0.8 * value, value, 1.2 * value] }));
    const series: HistorySeries = { name: "busy resp/s", lowerIsBetter: false, points };
    expect(indices(series).map((index) => points[index]!.time)).toEqual(["night-14"]);
    const raw = computeChangePoints(medians, {
      window: 50,
      maxPvalue: effectivePvalue(DEFAULT_HISTORY_OPTIONS),
      judge: repeatsJudge(denseOf(series)),
    });
    expect(raw.changePoints.map((point) => point.index + 1)).toEqual([13]);
  });

  it("Otava's medians alone (--no-repeats) judge with Otava's t-test on the nightly values", () => {
    const series = nights(60, (night) => (night >= 30 ? 7000 : 10000), 8);
    const medians = series.points.map((point) => point.value!);
    const otava = computeChangePoints(medians, { window: 50, maxPvalue: 0.001 }).changePoints;
    const [found] = analyse([series], { ...DEFAULT_HISTORY_OPTIONS, repeats: false });
    expect(found!.changePoints.map((point) => point.index)).toEqual(otava.map((point) => point.index));
    expect(found!.changePoints.map((point) => point.pvalue)).toEqual(otava.map((point) => point.stats.pvalue));
  });
});
