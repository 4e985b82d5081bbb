/**
 * The pieces behind `compare --test`: Welch's t on the logs and Shapiro-Wilk against SciPy
 * (scipy.stats.ttest_ind(equal_var=False), scipy.stats.shapiro), the outlier rule's error rate
 * on normal samples, auto's choice, and the Hodges-Lehmann order statistics selected without
 * building the n·m differences, against the brute-force sort.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../src/calibrate/simulate-nights.js";
import { chooseTest } from "../src/compare/choose-test.js";
import { outliers, shapiroWilk } from "../src/compare/normality.js";
import { kthPairwiseDifference } from "../src/compare/pairwise-selection.js";
import { welchTest } from "../src/compare/welch-test.js";

const gauss = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

describe("Welch's t on the logs", () => {
  it("p-value and interval of the ratio match SciPy (p 1.18485e-4, 95% CI 0.881664–0.938797)", () => {
    const result = welchTest.run([100, 102, 98, 101, 99], [90, 93, 88, 91, 95, 89], 0.95);
    expect(result.p).toBeCloseTo(1.1848542607e-4, 9);
    expect(result.interval!.low).toBeCloseTo(0.8816640229, 8);
    expect(result.interval!.high).toBeCloseTo(0.9387965086, 8);
  });

  it("constant sides: equal gives p = 1, different gives p = 0", () => {
    expect(welchTest.run([5, 5, 5], [5, 5, 5], 0.95).p).toBe(1);
    expect(welchTest.run([5, 5, 5], [6, 6, 6], 0.95).p).toBe(0);
  });
});

describe("Shapiro-Wilk and the outlier rule", () => {
  it("W and p match SciPy for n = 3, 5, 11 and 20", () => {
    const cases: [number[], number, number][] = [
      [[1, 2, 4], 0.9642857142857142, 0.6368868450289689],
      [[2.1, 3.4, 1.9, 5.6, 4.4], 0.9320849391953863, 0.6106559022604845],
      [[1, 1.1, 1.2, 1.3, 10], 0.5798495517297906, 0.00033169778353180204],
      [[148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236], 0.7888146948631716, 0.006703814061898823],
      [Array.from({ length: 20 }, (_, i) => i + 1), 0.9603751832429884, 0.5513717457916771],
    ];
    for (const [values, w, p] of cases) {
      const result = shapiroWilk(values)!;
      expect(result.w).toBeCloseTo(w, 7);
      expect(result.p).toBeCloseTo(p, 5);
    }
    expect(shapiroWilk([1, 2])).toBeUndefined();
    expect(shapiroWilk([3, 3, 3, 3])).toBeUndefined();
  });

  it("on 2,000 normal samples each of 5, 10 and 30 values: Shapiro-Wilk rejects at 5% about 5% of them, the outlier rule flags about 1%", () => {
    const random = seededRandom(7);
    for (const n of [5, 10, 30]) {
      let rejected = 0;
      let flagged = 0;
      for (let trial = 0; trial < 2000; trial++) {
        const sample = Array.from({ length: n }, () => gauss(random));
        if (shapiroWilk(sample)!.p < 0.05) rejected++;
        if (outliers(sample).length > 0) flagged++;
      }
      expect(rejected / 2000, `Shapiro-Wilk n=${n}`).toBeGreaterThan(0.03);
      expect(rejected / 2000, `Shapiro-Wilk n=${n}`).toBeLessThan(0.07);
      expect(flagged / 2000, `outliers n=${n}`).toBeLessThan(0.025);
    }
  });

  it("auto: Welch for clean log-normal repeats; the rank test with an outlier, a value ≤ 0, or one value a side", () => {
    const clean = [100, 103, 98, 101, 99, 102];
    expect(
      chooseTest(
        "auto",
        clean,
        clean.map((x) => x * 0.9),
      ).test.name,
    ).toBe("welch");
    const wild = chooseTest("auto", clean, [90, 93, 88, 450, 91, 92]);
    expect(wild.test.name).toBe("rank");
    expect(wild.reason).toMatch(/^outlier 450/);
    expect(chooseTest("auto", [0, 1, 2], clean).reason).toMatch(/≤ 0/);
    expect(chooseTest("welch", [0, 1, 2], clean).test.name).toBe("rank");
    expect(chooseTest("welch", clean, [90, 93, 88, 450, 91, 92]).test.name).toBe("welch");
    expect(chooseTest("rank", clean, clean).test.name).toBe("rank");
  });
});

describe("the k-th pairwise difference by selection", () => {
  it("equals the brute-force sort for every k (fast-check, ties and negatives included)", () => {
    const sample = fc.array(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1e3, max: 1e3, noNaN: true })), {
      minLength: 1,
      maxLength: 90,
    });
    fc.assert(
      fc.property(sample, sample, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (xs, ys, at) => {
        const x = Float64Array.from(xs).sort();
        const y = Float64Array.from(ys).sort();
        const all = Array.from(y)
          .flatMap((b) => Array.from(x, (a) => b - a))
          .sort((p, q) => p - q);
        const k = 1 + Math.floor(at * all.length);
        expect(kthPairwiseDifference(x, y, k)).toBe(all[k - 1]);
      }),
      { numRuns: 1000 },
    );
  });

  it("beyond the sort-it-all size: 300 × 200 values, several k, against the brute force", () => {
    const random = seededRandom(3);
    const x = Float64Array.from({ length: 300 }, () => Math.round(gauss(random) * 50) / 10).sort();
    const y = Float64Array.from({ length: 200 }, () => gauss(random) + 0.3).sort();
    const all = Array.from(y)
      .flatMap((b) => Array.from(x, (a) => b - a))
      .sort((p, q) => p - q);
    for (const k of [1, 2, 777, 30_000, 59_999, 60_000]) expect(kthPairwiseDifference(x, y, k)).toBe(all[k - 1]);
    expect(() => kthPairwiseDifference(x, y, 0)).toThrow(RangeError);
  });
});
