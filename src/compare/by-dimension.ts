/**
 * Verdicts across one dimension of a single run (`server`, or any matrix key): in every cell
 * (the matrix values apart from that key) each value is compared with the best one, or with a
 * named baseline, like hyperfine's "A ran 1.31× faster than B". The statistics are compare's, through
 * the one engine (engine.ts): the --test mode, Holm over every test of the run, the interval of the
 * ratio and the detectable change; a difference counts only when significant and its interval lies
 * wholly beyond the threshold. A value with a run that was not ok in a cell never wins that cell: the
 * verdict says so and why.
 */
import { cellIdWithout } from "../model/cell-id.js";
import type { Row } from "../output/columns.js";
import { median, numeric } from "../output/stats.js";
import { readCsvRows } from "../rundir/results-csv.js";
import { latestRows } from "../rundir/runs.js";
import {
  DEFAULT_ALPHA,
  DEFAULT_THRESHOLD_PCT,
  METRICS,
  judgeFamily,
  measureMetric,
  type Metric,
  type MetricComparison,
  type MetricName,
} from "./engine.js";
import type { TestMode, TestName } from "./two-sample-test.js";

export interface PairVerdict {
  /** The cell without the dimension's key (`connections=1000,threads=4`). */
  cell: string;
  metric: MetricName;
  /** The value with the better median, and the other one. */
  better: string;
  worse: string;
  /** median(better) ÷ median(worse), and its interval (absent with too few repeats). */
  ratio: number;
  ci?: { low: number; high: number };
  p?: number;
  pAdjusted?: number;
  test?: TestName;
  /** Smallest change (percent) this pair could flag with 80 % power; Infinity: none. */
  detectablePct?: number;
  /** Repeats per side at which a change of the threshold becomes detectable. */
  repeatsToSee?: number;
  /** Ok repeats of each. */
  n: { better: number; worse: number };
  /** `win`: significant, interval wholly beyond the threshold; `degraded`: the better one had runs that were not ok. */
  verdict: "win" | "~" | "too few repeats" | "degraded";
}

export interface NotOkNote {
  cell: string;
  value: string;
  notOk: number;
  total: number;
  statuses: string[];
  reason: string;
}

export interface Tally {
  value: string;
  wins: number;
  losses: number;
  ties: number;
  /** Geometric mean of its resp/s ratios to the values it was compared with (undefined: none). */
  geomean?: number;
}

export interface DimensionVerdicts {
  key: string;
  baseline?: string;
  alpha: number;
  /** Smallest difference that counts, percent: a win's whole interval lies beyond ±thresholdPct. */
  thresholdPct: number;
  /** The --test mode (auto picks per pair). */
  testMode: TestMode;
  values: string[];
  pairs: PairVerdict[];
  notOk: NotOkNote[];
  tallies: Tally[];
  /** The value that won resp/s in every cell, if one did. */
  overall?: string;
  /** Tests made (the Holm family) and tests there would be with enough repeats everywhere. */
  tests: number;
  plannedTests: number;
  /** Ok repeats per side one rank test of this family needs before any difference can be significant. */
  repeatsNeeded: number;
}

export interface VerdictOptions {
  baseline?: string;
  alpha?: number;
  thresholdPct?: number;
  test?: TestMode;
}

type Cells = Map<string, Map<string, Row[]>>;

/** Rows by cell (without the key), then by the key's value; of a repeat written twice (--resume) the later. */
function cellsBy(rows: readonly Row[], key: string): Cells {
  const cells: Cells = new Map();
  for (const row of latestRows(rows)) {
    const value = String(row[key] ?? "");
    if (!value) continue;
    const cell = cellIdWithout(String(row.cell ?? ""), key);
    const byValue = cells.get(cell) ?? new Map<string, Row[]>();
    byValue.set(value, [...(byValue.get(value) ?? []), row]);
    cells.set(cell, byValue);
  }
  return cells;
}

function notOkNotes(cells: Cells): NotOkNote[] {
  return [...cells].flatMap(([cell, byValue]) =>
    [...byValue].flatMap(([value, list]) => {
      const bad = list.filter((row) => row.status !== "ok");
      if (bad.length === 0) return [];
      const statuses = [...new Set(bad.map((row) => String(row.status)))];
      const reason = String(bad.find((row) => row.error)?.error ?? statuses.join("/"));
      return [{ cell, value, notOk: bad.length, total: list.length, statuses, reason }];
    }),
  );
}

/** A pair measured by the engine: `base` is the worse value, `next` the better, so NEW ÷ BASE is better ÷ worse. */
interface Measured {
  pair: PairVerdict;
  comparison: MetricComparison;
  betterClean: boolean;
}

function measurePairs(cells: Cells, metrics: readonly Metric[], options: VerdictOptions, alpha: number, mode: TestMode): Measured[] {
  const measured: Measured[] = [];
  for (const [cell, byValue] of cells) {
    const clean = (value: string) => (byValue.get(value) ?? []).every((row) => row.status === "ok");
    for (const metric of metrics) {
      const ok = (value: string) =>
        (byValue.get(value) ?? []).filter((row) => row.status === "ok").flatMap((row) => numeric(row[metric.column]) ?? []);
      const better = (a: number, b: number) => (metric.worseWhen === "lower" ? a > b : a < b);
      const present = [...byValue.keys()].filter((value) => ok(value).length > 0);
      // The reference: the baseline, else the best median among values whose every run was ok.
      const reference =
        options.baseline !== undefined
          ? present.find((value) => value === options.baseline)
          : present.filter(clean).sort((a, b) => (better(median(ok(a)), median(ok(b))) ? -1 : 1))[0];
      if (reference === undefined) continue;
      for (const other of present.filter((value) => value !== reference)) {
        const [b, w] = better(median(ok(other)), median(ok(reference))) ? [other, reference] : [reference, other];
        const comparison = measureMetric(metric, ok(w), ok(b), alpha, mode);
        const pair: PairVerdict = {
          cell,
          metric: metric.name,
          better: b,
          worse: w,
          ratio: median(ok(b)) / median(ok(w)),
          n: { better: ok(b).length, worse: ok(w).length },
          verdict: "too few repeats",
        };
        measured.push({ pair, comparison, betterClean: clean(b) });
      }
    }
  }
  return measured;
}

/** The engine's figures and verdict on the pair: `faster` (better ÷ worse beyond the threshold) is a win. */
function settle({ pair, comparison, betterClean }: Measured): PairVerdict {
  const { ci, p, pAdjusted, test, detectablePct, repeatsToSee } = comparison;
  Object.assign(pair, {
    ...(ci ? { ci: { low: 1 + ci.lowPct / 100, high: 1 + ci.highPct / 100 } } : {}),
    ...(p !== undefined ? { p } : {}),
    ...(pAdjusted !== undefined ? { pAdjusted } : {}),
    ...(test ? { test } : {}),
    ...(detectablePct !== undefined ? { detectablePct } : {}),
    ...(repeatsToSee !== undefined ? { repeatsToSee } : {}),
  });
  pair.verdict = comparison.verdict === "too few repeats" ? "too few repeats" : comparison.verdict === "faster" ? "win" : "~";
  if (!betterClean) pair.verdict = "degraded";
  return pair;
}

function tallyOf(value: string, pairs: readonly PairVerdict[]): Tally {
  const mine = pairs.filter((pair) => pair.metric === "resp/s" && (pair.better === value || pair.worse === value));
  const ratios = mine.map((pair) => (pair.better === value ? pair.ratio : 1 / pair.ratio)).filter((r) => r > 0 && Number.isFinite(r));
  return {
    value,
    wins: mine.filter((pair) => pair.verdict === "win" && pair.better === value).length,
    losses: mine.filter((pair) => pair.verdict === "win" && pair.worse === value).length,
    ties: mine.filter((pair) => pair.verdict !== "win").length,
    ...(ratios.length ? { geomean: Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length) } : {}),
  };
}

/** The value that won resp/s in every cell, if one did. */
function overallWinner(values: readonly string[], cells: Cells, pairs: readonly PairVerdict[]): string | undefined {
  return values.find((value) =>
    [...cells.keys()].every((cell) => {
      const mine = pairs.filter(
        (pair) => pair.cell === cell && pair.metric === "resp/s" && (pair.better === value || pair.worse === value),
      );
      return mine.length > 0 && mine.every((pair) => pair.verdict === "win" && pair.better === value);
    }),
  );
}

export function verdictsBy(rows: readonly Row[], key: string, options: VerdictOptions = {}): DimensionVerdicts {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const thresholdPct = options.thresholdPct ?? DEFAULT_THRESHOLD_PCT;
  const mode = options.test ?? "auto";
  const values = [...new Set(rows.map((row) => String(row[key] ?? "")).filter(Boolean))];
  const cells = cellsBy(rows, key);
  const metrics = METRICS.filter((m) => m.name !== "syscalls/req" || rows.some((row) => numeric(row[m.column]) !== undefined));
  const measured = measurePairs(cells, metrics, options, alpha, mode);
  const planned = cells.size * metrics.length * Math.max(1, values.length - 1);
  const family = judgeFamily(
    measured.map((m) => m.comparison),
    planned,
    { alpha, thresholdPct, test: mode },
  );
  const pairs = measured.map(settle);
  const overall = overallWinner(values, cells, pairs);
  return {
    key,
    ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
    alpha,
    thresholdPct,
    testMode: mode,
    values,
    pairs,
    notOk: notOkNotes(cells),
    tallies: values.map((value) => tallyOf(value, pairs)),
    ...(overall ? { overall } : {}),
    tests: family.tests,
    plannedTests: family.planned,
    repeatsNeeded: family.repeatsNeeded,
  };
}

/** The verdicts of one run of a results CSV, read back once the run has ended (a resumed run has every cell). */
export function verdictsOfRun(csv: string, runId: string, by: { key: string } & VerdictOptions): DimensionVerdicts {
  return verdictsBy(
    readCsvRows(csv).filter((row) => row.run_id === runId),
    by.key,
    by,
  );
}
