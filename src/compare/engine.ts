/**
 * The one statistics engine of tcpsweep: `compare A B` (a cell of BASE against the same cell of
 * NEW) and `compare --by` / a run with `servers:` (one value of a key against another in a cell)
 * both hand it pairs of samples and get back the same figures and verdicts. For each pair: the
 * test (`--test auto|welch|rank`, choose-test.ts), the interval of NEW ÷ BASE, and once the whole
 * family is known, Holm's adjustment, the verdict (significant AND the whole interval beyond the
 * threshold) and the smallest change the pair could detect (detectable.ts).
 */
import { median } from "../output/stats.js";
import { chooseTest } from "./choose-test.js";
import { sensitivity } from "./detectable.js";
import { holm, repeatsNeeded } from "./significance.js";
import type { TestMode, TestName, TwoSampleTest } from "./two-sample-test.js";

export { DEFAULT_ALPHA, DEFAULT_THRESHOLD_PCT } from "./defaults.js";
/** Fewer ok repeats than this on either side: no verdict on the numbers. */
export const MIN_REPEATS = 3;

export type MetricName = "resp/s" | "p99" | "syscalls/req";

export interface Metric {
  name: MetricName;
  column: string;
  worseWhen: "lower" | "higher";
}

/** The metrics tested, each with the direction that is worse. */
export const METRICS: Metric[] = [
  { name: "resp/s", column: "resp_per_s", worseWhen: "lower" },
  { name: "p99", column: "latency_p99_us", worseWhen: "higher" },
  { name: "syscalls/req", column: "server_syscalls_per_request", worseWhen: "higher" },
];

export const metricNamed = (name: MetricName): Metric => METRICS.find((metric) => metric.name === name)!;

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

export interface EngineOptions {
  alpha: number;
  thresholdPct: number;
  /** --test: auto (default), welch or rank. */
  test: TestMode;
  /** Work out each metric's detectable change (default true; simulations that only need verdicts skip it). */
  detectable?: boolean;
}

/** The samples behind a tested metric, for its sensitivity once the family size is known. */
const samples = new WeakMap<MetricComparison, { test: TwoSampleTest; base: number[]; next: number[] }>();

/** A metric's medians, test and interval of NEW ÷ BASE; its verdict is set by judgeFamily once p-values are adjusted. */
export function measureMetric(metric: Metric, base: number[], next: number[], alpha: number, mode: TestMode): MetricComparison {
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
function decide(comparison: MetricComparison, alpha: number, thresholdPct: number): MetricVerdict {
  const { ci, pAdjusted } = comparison;
  if (pAdjusted === undefined || !(pAdjusted < alpha) || !ci) return comparison.verdict;
  const up = ci.lowPct > thresholdPct;
  const down = ci.highPct < -thresholdPct;
  if (!up && !down) return "~";
  return up === (metricNamed(comparison.metric).worseWhen === "higher") ? "slower" : "faster";
}

/** The Holm family: how many tests were made, and how many there would be with enough repeats everywhere. */
export interface Family {
  tests: number;
  planned: number;
  /** Ok repeats per side one test of the planned family needs before any difference can be significant (the rank test's floor). */
  repeatsNeeded: number;
}

/**
 * Holm over every tested metric of the family, then each metric's verdict and (unless turned off)
 * its detectable change at the α that Holm's first step asks of one test. `planned`: the pairs the
 * family would test with enough repeats (at least the tests made).
 */
export function judgeFamily(metrics: readonly MetricComparison[], planned: number, options: EngineOptions): Family {
  const tested = metrics.filter((metric) => metric.p !== undefined);
  holm(tested.map((metric) => metric.p!)).forEach((adjusted, i) => (tested[i]!.pAdjusted = adjusted));
  for (const metric of metrics) metric.verdict = decide(metric, options.alpha, options.thresholdPct);
  const family = Math.max(1, tested.length, planned);
  if (options.detectable !== false) for (const metric of metrics) markDetectable(metric, options.alpha / family, options.thresholdPct);
  return {
    tests: tested.length,
    planned: Math.max(tested.length, planned),
    repeatsNeeded: Math.max(MIN_REPEATS, repeatsNeeded(options.alpha, family)),
  };
}

function markDetectable(metric: MetricComparison, alphaOne: number, thresholdPct: number): void {
  const sample = samples.get(metric);
  if (!sample) return;
  const seen = sensitivity(sample.test, sample.base, sample.next, alphaOne, thresholdPct);
  metric.detectablePct = seen.detectablePct;
  if (seen.repeatsToSee !== undefined) metric.repeatsToSee = seen.repeatsToSee;
}

/** Whether a tested metric cannot see a change of the threshold with the repeats it has. */
export const isBlind = (metric: MetricComparison, thresholdPct: number) =>
  metric.detectablePct !== undefined && !(metric.detectablePct <= thresholdPct);

/** "Holm over 8 tests", or "Holm over 0 of 8 planned tests (the rest: too few repeats)": the one count every line uses. */
export function familyText(family: Pick<Family, "tests" | "planned">): string {
  const planned = `${family.planned} test${family.planned === 1 ? "" : "s"}`;
  return family.tests === family.planned
    ? `Holm over ${planned}`
    : `Holm over ${family.tests} of ${planned} planned (the rest: too few repeats)`;
}
