/** The rank statistics behind `compare`, against values computed independently (SciPy's mannwhitneyu, brute-force permutations). */
import { describe, expect, it } from "vitest";
import { holm, mannWhitney, ratioInterval, repeatsNeeded, smallestPValue } from "../src/compare/significance.js";

describe("Mann-Whitney U", () => {
  it("exact: fully separated 5 vs 5 gives 2/252; 3 vs 3 cannot go below 0.1", () => {
    expect(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).toEqual({ u: 25, p: 2 / 252, method: "exact" });
    expect(mannWhitney([1, 2, 3], [4, 5, 6]).p).toBeCloseTo(0.1, 12);
    expect(mannWhitney([3, 1, 2], [2.5, 1.5, 0.5]).p).toBe(mannWhitney([2.5, 1.5, 0.5], [3, 1, 2]).p);
  });

  it("exact with ties: the permutation distribution of midranks (brute force over all 70 splits gives 0.2)", () => {
    expect(mannWhitney([1, 2, 2, 3], [2, 3, 4, 4])).toEqual({ u: 13.5, p: expect.closeTo(0.2, 12), method: "exact" });
    expect(mannWhitney([5, 5, 5], [5, 5, 5]).p).toBe(1);
  });

  it("normal approximation with continuity correction beyond 60 values (SciPy: 0.0718958)", () => {
    const a = Array.from({ length: 40 }, (_, i) => i);
    const result = mannWhitney(
      a,
      a.map((x) => x + 5),
    );
    expect(result.method).toBe("normal");
    expect(result.u).toBe(987.5);
    expect(result.p).toBeCloseTo(0.0718958, 5);
  });
});

describe("Holm, repeats needed, interval", () => {
  it("Holm adjusts step-down and keeps the order monotone", () => {
    expect(holm([0.01, 0.04, 0.03]).map((p) => +p.toFixed(6))).toEqual([0.03, 0.06, 0.06]);
    expect(holm([0.5])).toEqual([0.5]);
  });

  it("repeats needed: 4 per side for one test at 0.05, 6 for eight tests, 7 for sixty", () => {
    expect(smallestPValue(4)).toBeCloseTo(2 / 70, 12);
    expect(repeatsNeeded(0.05, 1)).toBe(4);
    expect(repeatsNeeded(0.05, 8)).toBe(6);
    expect(repeatsNeeded(0.05, 60)).toBe(7);
  });

  it("the interval of NEW/BASE covers the true ratio and is undefined when samples are too small", () => {
    const base = [100, 101, 99, 102, 98];
    const interval = ratioInterval(
      base,
      base.map((x) => x * 0.8),
      0.95,
    )!;
    expect(interval.low).toBeLessThanOrEqual(0.8);
    expect(interval.high).toBeGreaterThanOrEqual(0.8);
    expect(interval.high).toBeLessThan(0.85);
    expect(ratioInterval([1, 2, 3], [4, 5, 6], 0.95)).toBeUndefined();
    expect(ratioInterval([0, 2, 3, 4], [4, 5, 6, 7], 0.9)).toBeUndefined();
  });
});
