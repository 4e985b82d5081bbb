/**
 * `tcpsweep compare` output: an aligned text table, a GitHub-flavoured markdown table, or one
 * JSON object; each with the environment differences first and a summary that names every
 * regression and says how many repeats a verdict needs.
 */
import { median } from "simple-statistics";
import type { EnvironmentDifference } from "./environment-diff.js";
import { recommendationLine, type CalibrationFile } from "../rundir/calibration-file.js";
import {
  formatChange,
  formatP,
  regressedCells,
  type CellComparison,
  type Comparison,
  type MetricName,
  type RunSelection,
} from "./compare.js";
import { escapeMarkdown } from "../untrusted/markdown.js";

/** What is known of the two runs' environments: their differences, or which side has no meta.json. */
export type EnvironmentCheck = { differences: EnvironmentDifference[] } | { unknown: string };

const UNIT: Record<MetricName, string> = { "resp/s": "resp/s", p99: "p99 µs", "syscalls/req": "syscalls/req" };
const DIGITS: Record<MetricName, number> = { "resp/s": 0, p99: 0, "syscalls/req": 2 };

const value = (metric: MetricName, x: number | undefined) => (x === undefined ? "-" : x.toFixed(DIGITS[metric]));

/** "8.1" for a detectable drop in percent; "∞" when no drop can be flagged. */
export const formatDetectable = (pct: number | undefined) => (pct === undefined ? "-" : Number.isFinite(pct) ? pct.toFixed(1) : "∞");

/** "this cell cannot see a 5% change with 5 repeats: needs 11" */
export function blindText(cell: CellComparison, thresholdPct: number): string | undefined {
  if (!cell.blind) return undefined;
  const needs = cell.blind.needed === undefined ? "more than 10000 repeats needed" : `needs ${cell.blind.needed}`;
  return `cannot see a ${thresholdPct}% change with ${cell.blind.repeats} repeat${cell.blind.repeats === 1 ? "" : "s"}: ${needs}`;
}

function verdictText(cell: CellComparison, thresholdPct: number): string {
  const blind = blindText(cell, thresholdPct);
  const base = baseVerdictText(cell);
  return blind ? `${base}; ${blind}` : base;
}

function baseVerdictText(cell: CellComparison): string {
  switch (cell.verdict) {
    case "slower":
    case "regressed":
      return `REGRESSED: ${cell.regressions.join("; ")}`;
    case "faster":
      return `faster (${cell.metrics
        .filter((m) => m.verdict === "faster")
        .map((m) => m.metric)
        .join(", ")})`;
    case "added":
      return "added (only in NEW)";
    case "fixed":
      return "fixed (BASE had no ok repeat)";
    case "both failed":
      return "no ok repeat in either";
    default:
      return cell.verdict;
  }
}

const describeRun = (run: RunSelection) =>
  `${run.file} run ${run.runId} (spec ${run.spec || "?"}, started ${run.startedAt || "?"}, ${new Set(run.rows.map((row) => row.cell)).size} cells, ${run.rows.length} rows)` +
  (run.finished === false ? " NOT FINISHED: interrupted, `tcpsweep run SPEC --resume` completes it" : "");

/** Lines about the environments, printed before the table. */
export function environmentLines(check: EnvironmentCheck): string[] {
  if ("unknown" in check) return [`environment: not compared (${check.unknown})`];
  if (check.differences.length === 0) return [];
  return [
    "ENVIRONMENT DIFFERS (from the runs' meta.json), so differences may not be the server's:",
    ...check.differences.map((d) => `  ${d.what}: ${d.base} -> ${d.new}`),
  ];
}

function counts(comparison: Comparison) {
  const count = (verdict: string) => comparison.cells.filter((cell) => cell.verdict === verdict).length;
  const missing = comparison.cells.filter((cell) => cell.regressions.includes("missing in NEW")).length;
  return { count, missing, compared: comparison.cells.length - count("added") - missing };
}

/** The summary line and, when repeats are short, the note that says how many are needed. */
export function summaryLines(comparison: Comparison): string[] {
  const { count, missing, compared } = counts(comparison);
  const regressed = regressedCells(comparison);
  const lines = [
    `${compared} cell${compared === 1 ? "" : "s"} compared: ${count("slower")} slower, ${count("faster")} faster, ${count("~")} ~ (no significant change), ` +
      `${count("too few repeats")} too few repeats${count("fixed") > 0 ? `, ${count("fixed")} fixed` : ""}${count("both failed") > 0 ? `, ${count("both failed")} failed in both` : ""}; ` +
      `${count("added")} added, ${missing} missing in NEW; ` +
      (regressed.length > 0
        ? `REGRESSED: ${regressed.map((cell) => `${cell.cell} (${cell.regressions.join("; ")})`).join(", ")}`
        : "no regression"),
  ];
  // The rank test's floor on p: only where it was used (or no test could be made).
  const sides = comparison.cells.flatMap((cell) =>
    cell.metrics.flatMap((m) => (cell.baseRepeats && cell.newRepeats && m.test !== "welch" ? [m.baseN, m.newN] : [])),
  );
  const fewest = sides.length > 0 ? Math.min(...sides) : Number.POSITIVE_INFINITY;
  if (fewest < comparison.repeatsNeeded) {
    lines.push(
      `note: with the rank test a change can be significant at α=${comparison.alpha} over ${comparison.plannedTests} test${comparison.plannedTests === 1 ? "" : "s"} (Holm) only with at least ` +
        `${comparison.repeatsNeeded} ok repeats per side; some cell here has ${fewest}. Run both with --repeat ${comparison.repeatsNeeded} or more.`,
    );
  }
  const range = detectableRange(comparison);
  if (range) lines.push(`detectable change ${range} per cell (80% power at α=${comparison.alpha} over ${comparison.plannedTests} tests)`);
  const blind = comparison.cells.filter((cell) => cell.blind);
  if (blind.length > 0) {
    const needed = blind.map((cell) => cell.blind!.needed ?? Number.POSITIVE_INFINITY);
    const most = Math.max(...needed);
    lines.push(
      `${blind.length} cell${blind.length === 1 ? "" : "s"} cannot see a ${comparison.thresholdPct}% change` +
        (Number.isFinite(most)
          ? `: run both with --repeat ${most} or more, or calibrate (tcpsweep calibrate SPEC)`
          : ": too noisy for any repeat count"),
    );
  }
  return lines;
}

/** Each cell's detectable change (its least sensitive metric), or undefined when nothing was tested. */
export function cellDetectable(cell: CellComparison): number | undefined {
  const values = cell.metrics.flatMap((m) => (m.detectablePct === undefined ? [] : [m.detectablePct]));
  return values.length === 0 ? undefined : Math.max(...values);
}

/** The spread of the cells' detectable changes, or undefined when nothing was tested. */
export function detectableStats(comparison: Comparison): { min: number; median: number; max: number } | undefined {
  const values = comparison.cells.flatMap((cell) => cellDetectable(cell) ?? []);
  if (values.length === 0) return undefined;
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/** "8.1–14.2% (median 10.0%)" */
export function detectableRange(comparison: Comparison): string | undefined {
  const stats = detectableStats(comparison);
  if (!stats) return undefined;
  const low = formatDetectable(stats.min);
  const high = formatDetectable(stats.max);
  return `${low === high ? low : `${low}–${high}`}% (median ${formatDetectable(stats.median)}%)`;
}

/** The calibration that applies to NEW's CSV (findCalibration), its problem, or none. */
export type CalibrationCheck = { file: string; calibration: CalibrationFile } | { file: string; problem: string } | undefined;

/** One line on the calibration, printed after the summary. */
export function calibrationLine(check: CalibrationCheck): string | undefined {
  if (!check) return undefined;
  if ("problem" in check) return `calibration not used: ${check.problem}`;
  const c = check.calibration;
  return `calibration ${check.file} (${c.created_at.slice(0, 10)}, ${c.run_ids.length} runs): ${recommendationLine(c)}`;
}

export function calibrationJson(check: CalibrationCheck): unknown {
  if (!check) return null;
  if ("problem" in check) return { file: check.file, problem: check.problem };
  const c = check.calibration;
  return {
    file: check.file,
    created_at: c.created_at,
    runs: c.run_ids.length,
    recommended_repeat: c.recommended_repeat,
    detectable_at_repeat: c.detectable_at_repeat,
    detectable_pct: c.detectable_pct,
    drop_pct: c.drop_pct,
  };
}

export interface FormatOptions {
  markdown: boolean;
  environment: EnvironmentCheck;
  calibration?: CalibrationCheck;
}

/** The comparison as an aligned text table or a GitHub-flavoured markdown table, with a summary. */
export function formatComparison(comparison: Comparison, options: FormatOptions): string {
  const md = options.markdown;
  // Markdown: text from files (cell ids, file names, environment values) is escaped; our figures and markup are not.
  const header = [
    "cell",
    ...comparison.metrics.flatMap((m) => [`${UNIT[m]} BASE`, `${UNIT[m]} NEW`, "change [CI]", "p (test)", "detectable ±%"]),
    "n BASE/NEW",
    "verdict",
  ];
  const rows = comparison.cells.map((cell) => {
    const regressed = cell.regressions.length > 0;
    return [
      md ? escapeMarkdown(cell.cell) : cell.cell,
      ...cell.metrics.flatMap((m) => {
        const change = formatChange(m);
        const p = m.pAdjusted === undefined ? "-" : `${formatP(m.pAdjusted)} ${m.test}`;
        return [
          value(m.metric, m.base),
          value(m.metric, m.new),
          md && m.verdict === "slower" ? `**${change}**` : change,
          p,
          formatDetectable(m.detectablePct),
        ];
      }),
      `${cell.baseRepeats ? `${cell.baseRepeats.ok}/${cell.baseRepeats.total}` : "-"} ${cell.newRepeats ? `${cell.newRepeats.ok}/${cell.newRepeats.total}` : "-"}`,
      md && regressed ? `**${verdictText(cell, comparison.thresholdPct)}**` : verdictText(cell, comparison.thresholdPct),
    ];
  });
  const confidence = Math.round((1 - comparison.alpha) * 1000) / 10;
  const tests = {
    auto: "Welch's t on the logs where both sides look log-normal, else Mann-Whitney U (--test auto)",
    welch: "Welch's t on the logs (--test welch)",
    rank: "Mann-Whitney U test (--test rank)",
  };
  const rule =
    `${tests[comparison.testMode]} per cell and metric, p Holm-adjusted over ${comparison.tests} test${comparison.tests === 1 ? "" : "s"}; slower/faster needs p < ${comparison.alpha} ` +
    `and the whole ${confidence}% interval of NEW/BASE beyond ±${comparison.thresholdPct}%; figures are medians of the ok repeats, n = ok/all repeats; ` +
    `detectable ±% = smallest drop flagged with 80% power`;
  const environment = environmentLines(options.environment);
  const calibration = calibrationLine(options.calibration);
  const summary = [...summaryLines(comparison), ...(calibration ? [calibration] : [])];
  if (md) {
    const escape = escapeMarkdown;
    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    const bold = regressedCells(comparison).length > 0;
    return [
      ...environment.map((text) => `${escape(text)}  `),
      `**BASE** ${escape(describeRun(comparison.base))}  `,
      `**NEW** ${escape(describeRun(comparison.next))}  `,
      rule,
      "",
      line(header),
      `|${header.map((_, i) => (i === 0 || i === header.length - 1 ? " --- " : " ---: ")).join("|")}|`,
      ...rows.map(line),
      "",
      ...summary.map((text, i) => (i === 0 && bold ? `**${escape(text)}**  ` : `${escape(text)}  `)),
    ].join("\n");
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [
    ...environment,
    `BASE ${describeRun(comparison.base)}`,
    `NEW  ${describeRun(comparison.next)}`,
    rule,
    "",
    format(header),
    ...rows.map(format),
    "",
    ...summary,
  ].join("\n");
}

/** JSON has no Infinity: an undetectable change is written as null with the cell's `cannot_see`. */
const jsonNumber = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? null : x);

/** The whole comparison as one JSON-ready object (`--json`). */
export function comparisonJson(
  comparison: Comparison,
  environment: EnvironmentCheck,
  exitStatus: number,
  calibration?: CalibrationCheck,
): unknown {
  const run = (selection: RunSelection) => ({
    file: selection.file,
    run_id: selection.runId,
    spec: selection.spec,
    started_at: selection.startedAt,
    rows: selection.rows.length,
    finished: selection.finished ?? null,
  });
  const { count, missing } = counts(comparison);
  const detectable = detectableStats(comparison);
  return {
    base: run(comparison.base),
    new: run(comparison.next),
    method: {
      auto: "welch-t on logs if log-normal, else mann-whitney-u; holm",
      welch: "welch-t on logs; holm",
      rank: "mann-whitney-u, holm, distribution-free interval of the ratio",
    }[comparison.testMode],
    test: comparison.testMode,
    detectable_power: 0.8,
    alpha: comparison.alpha,
    threshold_pct: comparison.thresholdPct,
    tests: comparison.tests,
    planned_tests: comparison.plannedTests,
    repeats_needed: comparison.repeatsNeeded,
    environment:
      "unknown" in environment
        ? { compared: false, reason: environment.unknown }
        : { compared: true, differences: environment.differences },
    cells: comparison.cells.map((cell) => ({
      cell: cell.cell,
      verdict: cell.verdict,
      regressions: cell.regressions,
      base_repeats: cell.baseRepeats ?? null,
      new_repeats: cell.newRepeats ?? null,
      detectable_pct: jsonNumber(cellDetectable(cell)),
      cannot_see: cell.blind
        ? { threshold_pct: comparison.thresholdPct, repeats: cell.blind.repeats, repeats_needed: cell.blind.needed ?? null }
        : null,
      metrics: Object.fromEntries(
        cell.metrics.map((m) => [
          m.metric,
          {
            base_median: m.base ?? null,
            new_median: m.new ?? null,
            base_n: m.baseN,
            new_n: m.newN,
            change_pct: m.changePct ?? null,
            ci_pct: m.ci ? [m.ci.lowPct, m.ci.highPct] : null,
            p: m.p ?? null,
            p_adjusted: m.pAdjusted ?? null,
            test: m.test ?? null,
            test_reason: m.testReason ?? null,
            detectable_pct: jsonNumber(m.detectablePct),
            repeats_to_see_threshold: m.repeatsToSee ?? null,
            verdict: m.verdict,
          },
        ]),
      ),
    })),
    summary: {
      slower: count("slower"),
      faster: count("faster"),
      no_change: count("~"),
      too_few_repeats: count("too few repeats"),
      added: count("added"),
      missing_in_new: missing,
      regressed: regressedCells(comparison).map((cell) => cell.cell),
      cannot_see: comparison.cells.filter((cell) => cell.blind).map((cell) => cell.cell),
      detectable_pct: detectable
        ? { min: jsonNumber(detectable.min), median: jsonNumber(detectable.median), max: jsonNumber(detectable.max) }
        : null,
    },
    calibration: calibrationJson(calibration),
    exit_status: exitStatus,
  };
}
