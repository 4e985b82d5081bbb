/**
 * Simulated nights: two runs of every cell with `repeat` repeats each, drawn by a sampler (from a
 * calibration's pooled repeats, or from a known distribution in tests), compared by the same
 * compareRuns a real nightly uses. The share of nights that report any slower cell is the false-
 * alarm rate; with a drop injected into one random cell of NEW, the share of nights that flag
 * that cell is the power.
 */
import type { Row } from "../output/columns.js";
import { compareRuns, METRICS, type RunSelection } from "../compare/compare.js";
import { seededRandom } from "../compare/seeded-random.js";
import type { TestMode } from "../compare/two-sample-test.js";

export { seededRandom };

/** `count` values of `column` for `cell`, for the side `side`. */
export type Sampler = (cell: string, column: string, count: number, random: () => number) => number[];

export interface NightPlan {
  cells: readonly string[];
  /** Metric columns present (resp_per_s, latency_p99_us, server_syscalls_per_request). */
  columns: readonly string[];
  repeat: number;
  thresholdPct: number;
  alpha: number;
  test: TestMode;
}

export interface Drop {
  cell: string;
  /** NEW ÷ BASE on throughput (0.9 = a 10 % drop); latency and syscalls/request grow by its inverse. */
  factor: number;
}

function sideRows(plan: NightPlan, sample: Sampler, random: () => number, drop?: Drop): Row[] {
  const rows: Row[] = [];
  for (const cell of plan.cells) {
    const values = plan.columns.map((column) => sample(cell, column, plan.repeat, random));
    for (let repeat = 0; repeat < plan.repeat; repeat++) {
      const row: Row = { cell, repeat: repeat + 1, status: "ok" };
      plan.columns.forEach((column, i) => {
        const worseWhen = METRICS.find((metric) => metric.column === column)?.worseWhen;
        const factor = drop?.cell === cell ? (worseWhen === "lower" ? drop.factor : 1 / drop.factor) : 1;
        row[column] = values[i]![repeat]! * factor;
      });
      rows.push(row);
    }
  }
  return rows;
}

const selection = (label: string, rows: Row[]): RunSelection => ({
  file: label,
  runId: label,
  spec: "simulated",
  startedAt: "",
  rows,
  allRuns: [label],
});

export interface NightOutcome {
  /** Cells reported slower (any metric). */
  slower: string[];
}

/** One simulated night: BASE and NEW drawn afresh, NEW with `drop` applied; its slower cells. */
export function simulateNight(plan: NightPlan, sample: Sampler, random: () => number, drop?: Drop): NightOutcome {
  const base = selection("BASE", sideRows(plan, sample, random));
  const next = selection("NEW", sideRows(plan, sample, random, drop));
  const comparison = compareRuns(base, next, plan.thresholdPct, plan.alpha, { test: plan.test, detectable: false });
  return { slower: comparison.cells.filter((cell) => cell.metrics.some((metric) => metric.verdict === "slower")).map((cell) => cell.cell) };
}

export interface Rates {
  nights: number;
  /** Share of nights without a real change that reported any slower cell. */
  falseAlarmRate: number;
  /** Share of nights with a drop in one random cell that flagged that cell. */
  power: number;
}

/** Share of `nights` simulated nights without a change that report any slower cell. */
export function falseAlarmRate(plan: NightPlan, sample: Sampler, nights: number, seed: number): number {
  const random = seededRandom(seed);
  let alarms = 0;
  for (let night = 0; night < nights; night++) if (simulateNight(plan, sample, random).slower.length > 0) alarms++;
  return alarms / nights;
}

/** Share of `nights` simulated nights with NEW × `dropFactor` in one random cell that flag that cell. */
export function power(plan: NightPlan, sample: Sampler, nights: number, dropFactor: number, seed: number): number {
  const random = seededRandom(seed);
  let caught = 0;
  for (let night = 0; night < nights; night++) {
    const cell = plan.cells[Math.floor(random() * plan.cells.length)]!;
    if (simulateNight(plan, sample, random, { cell, factor: dropFactor }).slower.includes(cell)) caught++;
  }
  return caught / nights;
}

/** False-alarm rate and power over `nights` simulated nights of each kind. */
export function estimateRates(plan: NightPlan, sample: Sampler, nights: number, dropFactor: number, seed: number): Rates {
  return { nights, falseAlarmRate: falseAlarmRate(plan, sample, nights, seed), power: power(plan, sample, nights, dropFactor, seed + 1) };
}
