/**
 * `tcpsweep compare BASE.csv NEW.csv`: one run of each file (the latest by default), cells
 * matched by their matrix keys. Each cell's resp/s, p99 latency and server syscalls/request
 * are compared on the ok repeats with Welch's t on the logarithms or a Mann-Whitney U test
 * (`--test`; auto picks per cell and metric, choose-test.ts), Holm-corrected across every test of
 * the comparison, with a confidence interval of NEW ÷ BASE and the smallest change the cell can
 * detect (detectable.ts); a cell is
 * slower or faster only when the difference is significant and the whole interval lies beyond
 * the threshold. Besides that a cell regresses when it was ok and is not any more, when it is
 * missing from NEW, or when its success rate or served connections drop beyond the threshold.
 */
import { BadInputError } from "../model/bad-input.js";
import { HEADLINE_COLUMNS, IDENTITY_COLUMNS, type Row } from "../output/columns.js";
import { median, numeric } from "../output/stats.js";
import { groupByCell, selectRun as selectCsvRun, type RunPick, type RunSelection as CsvRunSelection } from "../rundir/runs.js";
import {
  DEFAULT_ALPHA,
  METRICS,
  judgeFamily,
  isBlind,
  measureMetric,
  type MetricComparison,
  type MetricName,
  type MetricVerdict,
} from "./engine.js";
import { TEST_MODES, type TestMode } from "./two-sample-test.js";

export { DEFAULT_ALPHA, METRICS, MIN_REPEATS, DEFAULT_THRESHOLD_PCT } from "./engine.js";
export { groupByCell };
export type { MetricComparison, MetricName, MetricVerdict };
/** A run to compare, its rows read as the sinks write them (figures may be numbers in memory). */
export type RunSelection = CsvRunSelection<Row>;

/** A significance level from "0.05" (0 < α < 1). */
export function parseAlpha(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value < 1))
    throw new BadInputError(`--alpha: expected a significance level between 0 and 1 like 0.05, got ${JSON.stringify(text)}`);
  return value;
}

/** A threshold in percent from "5%", "5" or "0.5%" (all percent). */
export function parseThreshold(text: string): number {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*%?\s*$/.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!Number.isFinite(value))
    throw new BadInputError(`--threshold: expected a percentage like 5%, 5 or 0.5%, got ${JSON.stringify(text)}`);
  return value;
}

/** `--test rank|welch|auto`. */
export function parseTestMode(text: string): TestMode {
  const mode = TEST_MODES.find((candidate) => candidate === text.trim().toLowerCase());
  if (!mode) throw new BadInputError(`--test: expected one of ${TEST_MODES.join(", ")}, got ${JSON.stringify(text)}`);
  return mode;
}

/** Columns a file needs to be read as tcpsweep results. */
const REQUIRED_COLUMNS = [...IDENTITY_COLUMNS, "resp_per_s", "status"];

/** A run of a results CSV to compare; `label` names the file's role in messages ("BASE", "NEW", or none). */
export const selectRun = (file: string, label: "BASE" | "NEW" | undefined, pick: RunPick = {}): RunSelection =>
  selectCsvRun(file, { ...(label ? { label } : {}), required: REQUIRED_COLUMNS, figures: HEADLINE_COLUMNS }, pick);

/** Counts that must not drop beyond the threshold (medians; no test: they are not timing noise). */
const COUNTS: { name: string; column: string }[] = [
  { name: "success rate", column: "success_rate_pct" },
  { name: "served connections", column: "connections_served" },
];

export type CellVerdict = MetricVerdict | "regressed" | "added" | "both failed" | "fixed";

export interface CellComparison {
  /** The cell as the NEW file names it (BASE's when missing in NEW). */
  cell: string;
  verdict: CellVerdict;
  metrics: MetricComparison[];
  /** Ok repeats / all repeats on each side (undefined when the cell is absent there). */
  baseRepeats?: { ok: number; total: number };
  newRepeats?: { ok: number; total: number };
  /** Why the cell is a regression; empty when it is not. */
  regressions: string[];
  /** Set when a metric's detectable change exceeds the threshold: the cell cannot see such a change. */
  blind?: { repeats: number; needed?: number };
}

export interface Comparison {
  base: RunSelection;
  next: RunSelection;
  thresholdPct: number;
  alpha: number;
  /** The --test mode (auto picks per cell and metric). */
  testMode: TestMode;
  cells: CellComparison[];
  /** Metrics shown (syscalls/req only when either run has it). */
  metrics: MetricName[];
  /** Tests in the Holm family, and the ok repeats per side that one of them needs to be significant. */
  tests: number;
  repeatsNeeded: number;
  /** Tests there would be with enough repeats everywhere (what repeatsNeeded is computed for). */
  plannedTests: number;
}

const okValues = (rows: readonly Row[] | undefined, column: string): number[] =>
  (rows ?? []).filter((row) => row.status === "ok").flatMap((row) => numeric(row[column]) ?? []);

const repeats = (rows: readonly Row[]) => ({ ok: rows.filter((row) => row.status === "ok").length, total: rows.length });

export function signed(pct: number, digits = 1): string {
  const text = pct.toFixed(digits);
  const zero = Number(text) === 0;
  return zero ? (0).toFixed(digits) + "%" : pct > 0 ? `+${text}%` : `${text.replace("-", "−")}%`;
}

/** Reasons a cell present on both sides regressed, apart from its timing. */
function statusRegressions(baseRows: readonly Row[], newRows: readonly Row[], thresholdPct: number): string[] {
  const reasons: string[] = [];
  const baseOk = repeats(baseRows);
  const newOk = repeats(newRows);
  const notOk = newRows.filter((row) => row.status !== "ok");
  const describe = () => {
    const statuses = [...new Set(notOk.map((row) => String(row.status ?? "")))].join("/");
    const error = String(notOk.find((row) => row.error)?.error ?? "");
    return `${statuses} in ${notOk.length} of ${newOk.total} repeats${error ? ` (${error})` : ""}`;
  };
  if (baseOk.ok === baseOk.total && notOk.length > 0) reasons.push(`ok in BASE, ${describe()} in NEW`);
  else if (baseOk.ok > 0 && newOk.ok === 0) reasons.push(`no ok repeat in NEW: ${describe()}`);
  for (const count of COUNTS) {
    const base = okValues(baseRows, count.column);
    const next = okValues(newRows, count.column);
    if (base.length === 0 || next.length === 0) continue; // an older CSV without the column
    const b = median(base);
    const n = median(next);
    if (b > 0 && ((b - n) / b) * 100 > thresholdPct)
      reasons.push(`${count.name} ${+b.toFixed(2)} → ${+n.toFixed(2)} (${signed((n / b - 1) * 100)})`);
  }
  return reasons;
}

export interface CompareOptions {
  /** --test: auto (default), welch or rank. */
  test?: TestMode;
  /** Work out each metric's detectable change (default true; simulations that only need verdicts skip it). */
  detectable?: boolean;
}

export function compareRuns(
  base: RunSelection,
  next: RunSelection,
  thresholdPct: number,
  alpha = DEFAULT_ALPHA,
  options: CompareOptions = {},
): Comparison {
  const mode = options.test ?? "auto";
  const baseCells = groupByCell(base.rows);
  const newCells = groupByCell(next.rows);
  const keys = [...baseCells.keys(), ...[...newCells.keys()].filter((key) => !baseCells.has(key))];
  if (!keys.some((key) => baseCells.has(key) && newCells.has(key))) {
    throw new BadInputError(
      `no cell in common: BASE ${base.file} run ${base.runId} has ${[...baseCells.values()].map((c) => c.cell).join("; ")}, NEW ${next.file} run ${next.runId} has ${[...newCells.values()].map((c) => c.cell).join("; ")}`,
    );
  }
  const hasValues = (metric: (typeof METRICS)[number]) =>
    [...base.rows, ...next.rows].some((row) => numeric(row[metric.column]) !== undefined);
  const metrics = METRICS.filter((metric) => metric.name !== "syscalls/req" || hasValues(metric));
  const cells = keys.map((key): CellComparison => {
    const b = baseCells.get(key);
    const n = newCells.get(key);
    const comparison: CellComparison = {
      cell: n?.cell ?? b!.cell,
      verdict: "~",
      metrics: metrics.map((metric) =>
        measureMetric(metric, okValues(b?.rows, metric.column), okValues(n?.rows, metric.column), alpha, mode),
      ),
      regressions: [],
    };
    if (b) comparison.baseRepeats = repeats(b.rows);
    if (n) comparison.newRepeats = repeats(n.rows);
    if (!b) return { ...comparison, verdict: "added" };
    if (!n) return { ...comparison, verdict: "regressed", regressions: ["missing in NEW"] };
    comparison.regressions = statusRegressions(b.rows, n.rows, thresholdPct);
    return comparison;
  });
  // The family: every test made, and the tests there would be if every cell on both sides had enough repeats.
  const onBothSides = cells.filter((cell) => cell.baseRepeats && cell.newRepeats);
  const family = judgeFamily(
    onBothSides.flatMap((cell) => cell.metrics),
    onBothSides.length * metrics.length,
    { alpha, thresholdPct, test: mode, ...(options.detectable !== undefined ? { detectable: options.detectable } : {}) },
  );
  for (const cell of onBothSides) judgeCell(cell, thresholdPct);
  return {
    base,
    next,
    thresholdPct,
    alpha,
    testMode: mode,
    cells,
    metrics: metrics.map((m) => m.name),
    tests: family.tests,
    repeatsNeeded: family.repeatsNeeded,
    plannedTests: family.planned,
  };
}

/** A cell's verdict from its metrics' verdicts and its status regressions; its blind spot. */
function judgeCell(cell: CellComparison, thresholdPct: number): void {
  const slower = cell.metrics.filter((metric) => metric.verdict === "slower");
  for (const metric of slower) cell.regressions.push(`${metric.metric} ${formatChange(metric)} p=${formatP(metric.pAdjusted)}`);
  const baseOk = cell.baseRepeats!.ok > 0;
  const newOk = cell.newRepeats!.ok > 0;
  if (cell.regressions.length > 0) cell.verdict = slower.length > 0 && slower.length === cell.regressions.length ? "slower" : "regressed";
  else if (!baseOk) cell.verdict = newOk ? "fixed" : "both failed";
  else if (cell.metrics.some((metric) => metric.verdict === "faster")) cell.verdict = "faster";
  else if (cell.metrics.some((metric) => metric.verdict === "too few repeats")) cell.verdict = "too few repeats";
  else cell.verdict = "~";
  const blind = cell.metrics.filter((metric) => isBlind(metric, thresholdPct));
  if (blind.length === 0) return;
  const most = Math.max(...blind.map((metric) => metric.repeatsToSee ?? Number.POSITIVE_INFINITY));
  cell.blind = {
    repeats: Math.min(...blind.map((metric) => Math.min(metric.baseN, metric.newN))),
    ...(Number.isFinite(most) ? { needed: most } : {}),
  };
}

export const regressedCells = (comparison: Comparison) => comparison.cells.filter((cell) => cell.regressions.length > 0);

/** "−12.4% [−15.0%, −9.8%]" */
export function formatChange(metric: MetricComparison): string {
  if (metric.changePct === undefined) return "-";
  return `${signed(metric.changePct)}${metric.ci ? ` [${signed(metric.ci.lowPct)}, ${signed(metric.ci.highPct)}]` : ""}`;
}

export function formatP(p: number | undefined): string {
  if (p === undefined) return "-";
  return p < 0.001 ? p.toExponential(0) : p.toFixed(3);
}
