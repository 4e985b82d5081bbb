/**
 * Apache Otava's published change-point cases (tests/analysis_test.py, tests/tigerbeetle_test.py),
 * ported: the same indices as Otava's tests assert, and p-values within 1e-6 relative of Otava's
 * own computation on the same series (test/fixtures/otava/cases.json says how they were obtained).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { computeChangePoints } from "../src/history/e-divisive.js";
import { segmentTest } from "../src/history/segment-test.js";

interface OtavaCase {
  name: string;
  series: number[] | "tigerbeetle";
  window: number;
  max_pvalue: number;
  min_magnitude: number;
  otava_indices: number[];
  reference: { index: number; pvalue: number; mean_before: number; mean_after: number }[];
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`fixtures/otava/${name}`, import.meta.url), "utf8")) as unknown;
const { tigerbeetle } = fixture("tigerbeetle.json") as { tigerbeetle: number[] };
const { cases } = fixture("cases.json") as { cases: OtavaCase[] };
const single = [1.02, 0.95, 0.99, 1.0, 1.12, 1.0, 1.01, 0.98, 1.01, 0.96, 0.5, 0.51, 0.48, 0.48, 0.55, 0.5, 0.49, 0.51, 0.5, 0.49];

const relative = (actual: number, expected: number) => (expected === 0 ? Math.abs(actual) : Math.abs(actual / expected - 1));

describe("E-divisive with Otava's split and merge, on Otava's published cases", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s: Otava's indices, p within 1e-6 relative", (_name, c) => {
    const series = c.series === "tigerbeetle" ? tigerbeetle : c.series;
    const { changePoints } = computeChangePoints(series, { window: c.window, maxPvalue: c.max_pvalue, minMagnitude: c.min_magnitude });
    expect(changePoints.map((point) => point.index)).toEqual(c.otava_indices);
    changePoints.forEach((point, i) => {
      const reference = c.reference[i];
      expect(relative(point.stats.pvalue, reference.pvalue), `p at ${point.index}`).toBeLessThan(1e-6);
      expect(relative(point.stats.meanBefore, reference.mean_before)).toBeLessThan(1e-9);
      expect(relative(point.stats.meanAfter, reference.mean_after)).toBeLessThan(1e-9);
    });
  });

  it("test_single_series: incremental runs from the old change points give Otava's indices", () => {
    let { changePoints } = computeChangePoints(single, { window: 10, maxPvalue: 0.0001 });
    expect(changePoints.map((point) => point.index)).toEqual([10]);
    ({ changePoints } = computeChangePoints(single, { maxPvalue: 0.0001, newPoints: 0.47, oldWeak: changePoints }));
    expect(changePoints.map((point) => point.index)).toEqual([10]);
    const longer = [...single, 0.47, 0.48, 0.45, 0.01, 0.1, 0.22];
    ({ changePoints } = computeChangePoints(longer, { maxPvalue: 0.0001, newPoints: 0.27, oldWeak: changePoints, window: 5 }));
    expect(changePoints.map((point) => point.index)).toEqual([10, 23]);
    const moved = [{ ...changePoints[0], index: 2 }];
    ({ changePoints } = computeChangePoints(longer, { maxPvalue: 0.0001, newPoints: 0.27, oldWeak: moved, window: 5 }));
    expect(changePoints.map((point) => point.index)).toEqual([10, 23]);
  });

  it("test_significance_tester: no change → p ≈ 1; a 20 % step → p < 0.001", () => {
    const flat = [1.0, 1.02, 1.05, 0.95, 0.98, 1.0, 1.02, 1.05, 0.95, 0.98];
    const p = segmentTest(flat.slice(0, 5), flat.slice(5)).pvalue;
    expect(p).toBeGreaterThan(0.99);
    expect(p).toBeLessThan(1.01);
    const step = [1.0, 1.02, 1.05, 0.95, 0.98, 0.8, 0.82, 0.85, 0.79, 0.77];
    const q = segmentTest(step.slice(0, 5), step.slice(5)).pvalue;
    expect(q).toBeGreaterThan(0);
    expect(q).toBeLessThan(0.001);
  });
});
