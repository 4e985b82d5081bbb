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
import { HEADLINE_COLUMNS, IDENTITY_COLUMNS, type Row } from "../output/columns.js";
import { median, numeric } from "../output/stats.js";
import { readResultsCsv, ResultsInputError } from "../rundir/results-csv.js";
import { metaPath, readRunMeta } from "../rundir/run-dir.js";
import { chooseRun, groupByCell, runsOf } from "../rundir/runs.js";
import { chooseTest } from "./choose-test.js";
import { sensitivity } from "./detectable.js";
import { holm, repeatsNeeded } from "./significance.js";
import { TEST_MODES, type TestMode, type TestName, type TwoSampleTest } from "./two-sample-test.js";

export { groupByCell };

/** Bad input: a missing or foreign file, an unknown run, no common cell, a bad threshold (exit 2). */
export class CompareInputError extends ResultsInputError {}

export const DEFAULT_COMPARE_THRESHOLD = "5%";
export const DEFAULT_ALPHA = 0.05;
/** Fewer ok repeats than this on either side: no verdict on the numbers. */
export const MIN_REPEATS = 3;

/** A significance level from "0.05" (0 < α < 1). */
export function parseAlpha(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value < 1))
    throw new CompareInputError(`--alpha: expected a significance level between 0 and 1 like 0.05, got ${JSON.stringify(text)}`);
  return value;
}

/** A threshold in percent from "5%", "5" or "0.5%" (all percent). */
export function parseThreshold(text: string): number {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*%?\s*$/.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!Number.isFinite(value))
    throw new CompareInputError(`--threshold: expected a percentage like 5%, 5 or 0.5%, got ${JSON.stringify(text)}`);
  return value;
}

/** `--test rank|welch|auto`. */
export function parseTestMode(text: string): TestMode {
  const mode = TEST_MODES.find((candidate) => candidate === text.trim().toLowerCase());
  if (!mode) throw new CompareInputError(`--test: expected one of ${TEST_MODES.join(", ")}, got ${JSON.stringify(text)}`);
  return mode;
}

/** Columns a file needs to be read as tcpsweep results. */
const REQUIRED_COLUMNS = [...IDENTITY_COLUMNS, "resp_per_s", "status"];

export interface RunSelection {
  file: string;
  runId: string;
  /** The spec name of the run's rows (meta.json is found by it). */
  spec: string;
  /** The earliest started_at of the run's rows. */
  startedAt: string;
  rows: Row[];
  /** Every run in the file, oldest first (for messages). */
  allRuns: string[];
  /** From the run's meta.json: false for an interrupted run; undefined without one (or from before it recorded this). */
  finished?: boolean;
}

/** The run `runId` of `file`, or its latest run (by started_at). */
export function selectRun(file: string, label: "BASE" | "NEW", runId?: string): RunSelection {
  const { rows } = readResultsCsv(file, { what: "CSV", label, required: REQUIRED_COLUMNS, figures: HEADLINE_COLUMNS });
  const runs = runsOf(rows);
  const run = chooseRun(runs, runId, `${label} ${file}`);
  const spec = run.rows[0]?.spec ?? "";
  const meta = readRunMeta(metaPath(file, spec, run.runId));
  const finished = meta?.finished_at === undefined ? undefined : meta.finished_at !== null;
  return {
    file,
    runId: run.runId,
    spec,
    startedAt: run.startedAt,
    rows: run.rows,
    allRuns: runs.map((r) => r.runId),
    ...(finished !== undefined ? { finished } : {}),
  };
}

export type MetricName = "resp/s" | "p99" | "syscalls/req";

/** The metrics tested, each with the direction that is worse. */
export const METRICS: { name: MetricName; column: string; worseWhen: "lower" | "higher" }[] = [
  { name: "resp/s", column: "resp_per_s", worseWhen: "lower" },
  { name: "p99", column: "latency_p99_us", worseWhen: "higher" },
  { name: "syscalls/req", column: "server_syscalls_per_request", worseWhen: "higher" },
];

/** Counts that must not drop beyond the threshold (medians; no test: they are not timing noise). */
const COUNTS: { name: string; column: string }[] = [
  { name: "success rate", column: "success_rate_pct" },
  { name: "served connections", column: "connections_served" },
];

/** `~` is benchstat's "no significant change". */
export type MetricVerdict = "slower" | "faster" | "~" | "too few repeats";

export interface MetricComparison {
  metric: MetricName;
  /** Medians of the ok repeats. */
  base?: number;
  new?: number;
  /** Ok repeats with a value, each side. */
  baseN: number;
  newN: number;
  /** (median NEW ÷ median BASE − 1) × 100. */
  changePct?: number;
  /** Confidence interval of the change in percent (from NEW ÷ BASE); absent when too few repeats. */
  ci?: { lowPct: number; highPct: number };
  /** Two-sided p-value, raw and Holm-adjusted, of the test used. */
  p?: number;
  pAdjusted?: number;
  test?: TestName;
  /** Why the rank test was used where the mode asked for auto or welch. */
  testReason?: string;
  /** Smallest drop (percent) flagged with 80 % power at the corrected α; Infinity: none can be. */
  detectablePct?: number;
  /** Repeats per side at which a change of the threshold becomes detectable. */
  repeatsToSee?: number;
  verdict: MetricVerdict;
}

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

/** The samples behind a tested metric, for its sensitivity once the family size is known. */
const samples = new WeakMap<MetricComparison, { test: TwoSampleTest; base: number[]; next: number[] }>();

/** A metric's medians, test and interval; its verdict is set once p-values are adjusted. */
function measureMetric(metric: (typeof METRICS)[number], base: number[], next: number[], alpha: number, mode: TestMode): MetricComparison {
  const comparison: MetricComparison = { metric: metric.name, baseN: base.length, newN: next.length, verdict: "too few repeats" };
  if (base.length > 0) comparison.base = median(base);
  if (next.length > 0) comparison.new = median(next);
  if (comparison.base && comparison.new !== undefined) comparison.changePct = (comparison.new / comparison.base - 1) * 100;
  if (base.length < MIN_REPEATS || next.length < MIN_REPEATS) return comparison;
  const { test, reason } = chooseTest(mode, base, next);
  const { p, interval } = test.run(base, next, 1 - alpha);
  comparison.p = p;
  comparison.test = test.name;
  if (reason) comparison.testReason = reason;
  samples.set(comparison, { test, base, next });
  if (interval) comparison.ci = { lowPct: (interval.low - 1) * 100, highPct: (interval.high - 1) * 100 };
  comparison.verdict = "~";
  return comparison;
}

/** slower / faster: significant after Holm, and the whole interval beyond the threshold. */
function decide(comparison: MetricComparison, worseWhen: "lower" | "higher", alpha: number, thresholdPct: number): MetricVerdict {
  const { ci, pAdjusted } = comparison;
  if (pAdjusted === undefined || !(pAdjusted < alpha) || !ci) return comparison.verdict;
  const up = ci.lowPct > thresholdPct;
  const down = ci.highPct < -thresholdPct;
  if (!up && !down) return "~";
  return up === (worseWhen === "higher") ? "slower" : "faster";
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
    throw new CompareInputError(
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

  // Holm over every test actually made: the more cells and metrics, the stronger the evidence each needs.
  const tested = cells.flatMap((cell) => cell.metrics.filter((metric) => metric.p !== undefined));
  holm(tested.map((metric) => metric.p!)).forEach((adjusted, i) => (tested[i]!.pAdjusted = adjusted));
  for (const cell of cells) {
    if (cell.verdict === "added" || cell.verdict === "regressed") continue;
    for (const metric of cell.metrics)
      metric.verdict = decide(metric, METRICS.find((m) => m.name === metric.metric)!.worseWhen, alpha, thresholdPct);
    const slower = cell.metrics.filter((metric) => metric.verdict === "slower");
    for (const metric of slower) cell.regressions.push(`${metric.metric} ${formatChange(metric)} p=${formatP(metric.pAdjusted)}`);
    const baseOk = cell.baseRepeats!.ok > 0;
    const newOk = cell.newRepeats!.ok > 0;
    if (cell.regressions.length > 0) cell.verdict = slower.length > 0 && slower.length === cell.regressions.length ? "slower" : "regressed";
    else if (!baseOk) cell.verdict = newOk ? "fixed" : "both failed";
    else if (cell.metrics.some((metric) => metric.verdict === "faster")) cell.verdict = "faster";
    else if (cell.metrics.some((metric) => metric.verdict === "too few repeats")) cell.verdict = "too few repeats";
    else cell.verdict = "~";
  }
  // Repeats needed: for the family this comparison would test if every cell had enough repeats.
  const planned = Math.max(tested.length, cells.filter((cell) => cell.baseRepeats && cell.newRepeats).length * metrics.length);
  const needed = Math.max(MIN_REPEATS, repeatsNeeded(alpha, planned));
  if (options.detectable !== false) for (const cell of cells) markSensitivity(cell, alpha / planned, thresholdPct);
  return {
    base,
    next,
    thresholdPct,
    alpha,
    testMode: mode,
    cells,
    metrics: metrics.map((m) => m.name),
    tests: tested.length,
    repeatsNeeded: needed,
    plannedTests: planned,
  };
}

/** Each tested metric's detectable change at the α Holm's first step asks of one test; the cell's blind spot. */
function markSensitivity(cell: CellComparison, alphaOne: number, thresholdPct: number): void {
  const blind = cell.metrics.filter((metric) => {
    const sample = samples.get(metric);
    if (!sample) return false;
    const seen = sensitivity(sample.test, sample.base, sample.next, alphaOne, thresholdPct);
    metric.detectablePct = seen.detectablePct;
    if (seen.repeatsToSee !== undefined) metric.repeatsToSee = seen.repeatsToSee;
    return !(seen.detectablePct <= thresholdPct);
  });
  if (blind.length === 0) return;
  const needed = blind.map((metric) => metric.repeatsToSee ?? Number.POSITIVE_INFINITY);
  const most = Math.max(...needed);
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
