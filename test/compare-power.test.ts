/**
 * compare's error rates, measured: seeded synthetic nights (1,000 trials each, in-process through
 * the same compareRuns the CLI uses) with log-normal noise. False alarms stay at or below 5 % per
 * comparison in every test mode; a large drop is caught; the detectable change that compare
 * prints is the drop that simulation catches with 80 % power; one wild repeat per side does not
 * turn `auto` into an alarm.
 */
import { describe, expect, it } from "vitest";
import { compareRuns, type RunSelection } from "../src/compare/compare.js";
import { falseAlarmRate, power, seededRandom, type NightPlan, type Sampler } from "../src/calibrate/simulate-nights.js";
import type { Row } from "../src/output/columns.js";

const TRIALS = 1000;
const gauss = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** Log-normal repeats around 20,000 resp/s and 1,000 µs p99; `sigma` = 0.05 is "5 % noise". */
const logNormal =
  (sigma: number): Sampler =>
  (_cell, column, count, random) =>
    Array.from({ length: count }, () => (column === "resp_per_s" ? 20_000 : 1000) * Math.exp(sigma * gauss(random)));

/** The same, with one repeat of every side five times its value. */
const withOutlier =
  (sigma: number): Sampler =>
  (cell, column, count, random) => {
    const values = logNormal(sigma)(cell, column, count, random);
    values[Math.floor(random() * count)]! *= 5;
    return values;
  };

const cells = (count: number) => Array.from({ length: count }, (_, i) => `connections=${10 * (i + 1)}`);
const plan = (count: number, repeat: number, test: NightPlan["test"], thresholdPct = 5): NightPlan => ({
  cells: cells(count),
  columns: ["resp_per_s", "latency_p99_us"],
  repeat,
  thresholdPct,
  alpha: 0.05,
  test,
});

/** One comparison of BASE and NEW drawn from `sample`, with the detectable change worked out. */
function oneComparison(p: NightPlan, sample: Sampler, seed: number) {
  const random = seededRandom(seed);
  const side = (label: string): RunSelection => {
    const rows: Row[] = p.cells.flatMap((cell) => {
      const resp = sample(cell, "resp_per_s", p.repeat, random);
      const p99 = sample(cell, "latency_p99_us", p.repeat, random);
      return resp.map((value, i) => ({ cell, repeat: i + 1, status: "ok", resp_per_s: value, latency_p99_us: p99[i] }));
    });
    return { file: label, runId: label, spec: "syn", startedAt: "", rows, allRuns: [label] };
  };
  return compareRuns(side("BASE"), side("NEW"), p.thresholdPct, p.alpha, { test: p.test });
}

describe("false alarms: same distribution on both sides, 1,000 nights each", () => {
  for (const sigma of [0.05, 0.3]) {
    for (const count of [2, 30]) {
      for (const test of ["rank", "welch", "auto"] as const) {
        it(
          `${test}, ${sigma * 100}% noise, ${count} cells × 2 metrics, 5 repeats: at most 5% of nights report a slower cell`,
          { timeout: 120_000 },
          () => {
            expect(falseAlarmRate(plan(count, 5, test), logNormal(sigma), TRIALS, 101)).toBeLessThanOrEqual(0.05);
          },
        );
      }
    }
  }

  it(
    "heavy tails: one 5× repeat on each side of every cell does not make `auto` cry wolf (≥ 95% of nights clean)",
    { timeout: 120_000 },
    () => {
      for (const count of [2, 10]) expect(falseAlarmRate(plan(count, 5, "auto"), withOutlier(0.05), TRIALS, 202)).toBeLessThanOrEqual(0.05);
    },
  );
});

describe("power: a drop in one random cell, 1,000 nights each", () => {
  it("a 30% drop, 5% noise, 5 repeats, 30 cells: `auto` catches it in at least 95% of nights", { timeout: 120_000 }, () => {
    expect(power(plan(30, 5, "auto"), logNormal(0.05), TRIALS, 0.7, 303)).toBeGreaterThanOrEqual(0.95);
  });

  it("a 10% drop, 5% noise: caught in at least 90% of nights at the repeats compare says a 5% change needs", { timeout: 120_000 }, () => {
    const comparison = oneComparison(plan(4, 5, "auto"), logNormal(0.05), 404);
    const blind = comparison.cells.filter((cell) => cell.blind);
    expect(blind.length, "5 repeats of 5% noise cannot see a 5% change over 8 tests").toBeGreaterThan(0);
    const needed = Math.max(...blind.map((cell) => cell.blind!.needed!));
    expect(needed).toBeGreaterThan(5);
    expect(power(plan(4, needed, "auto"), logNormal(0.05), TRIALS, 0.9, 405)).toBeGreaterThanOrEqual(0.9);
  });

  for (const test of ["welch", "auto"] as const) {
    it(`${test}: the printed detectable change is the drop caught with 80% power, within ±25%`, { timeout: 120_000 }, () => {
      // Threshold 0: the detectable change is what noise and repeats allow; the threshold is the user's own bar on top.
      const shape = plan(4, 6, test, 0);
      const printed = Array.from(
        { length: 200 },
        (_, i) => oneComparison(shape, logNormal(0.05), 500 + i).cells[0]!.metrics[0]!.detectablePct!,
      ).sort((a, b) => a - b);
      const detectable = printed[100]!;
      expect(detectable).toBeGreaterThan(3);
      expect(detectable).toBeLessThan(20);
      const caughtAt = (pct: number) => power(shape, logNormal(0.05), TRIALS, 1 - pct / 100, 606);
      expect(caughtAt(detectable * 0.75), "a drop 25% smaller than the detectable one is caught less often than 80%").toBeLessThan(0.8);
      expect(caughtAt(detectable * 1.25), "a drop 25% larger is caught more often than 80%").toBeGreaterThan(0.8);
    });
  }
});
