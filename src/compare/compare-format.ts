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
  signed,
  regressedCells,
  type CellComparison,
  type Comparison,
  type MetricName,
  type RunSelection,
} from "./compare.js";
import { escapeMarkdown } from "../untrusted/markdown.js";
import { repeatAdvice } from "./detectable.js";
import { familyText } from "./engine.js";
import { TEST_MODE_TEXT } from "./two-sample-test.js";
import { TERMINAL_WIDTH, wrapText } from "./wrap.js";
import { flameJson, flameText, isFlameLine, withFlameLines, type CellFlame } from "./flame-links.js";

/** What is known of the two runs' environments: their differences, or which side has no meta.json. */
export type EnvironmentCheck = { differences: EnvironmentDifference[] } | { unknown: string };

const UNIT: Record<MetricName, string> = { "resp/s": "resp/s", p99: "p99 µs", "syscalls/req": "syscalls/req" };
const DIGITS: Record<MetricName, number> = { "resp/s": 0, p99: 0, "syscalls/req": 2 };

const value = (metric: MetricName, x: number | undefined) => (x === undefined ? "-" : x.toFixed(DIGITS[metric]));

/** "8.1" for a detectable drop in percent; "∞" when no drop can be flagged. */
export const formatDetectable = (pct: number | undefined) => (pct === undefined ? "-" : Number.isFinite(pct) ? pct.toFixed(1) : "∞");

/** "cannot see a 5% change with 5 repeats: run both with --repeat 11 or more", or that its noise is too large. */
export function blindText(cell: CellComparison, thresholdPct: number): string | undefined {
  if (!cell.blind) return undefined;
  return `cannot see a ${thresholdPct}% change with ${cell.blind.repeats} repeat${cell.blind.repeats === 1 ? "" : "s"}: ${repeatAdvice(cell.blind.needed, "both")}`;
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

/** The summary line, each regressed cell (with its flame graph), and, when repeats are short, the note that says how many are needed. */
export function summaryLines(comparison: Comparison, flames: readonly CellFlame[] = []): string[] {
  const { count, missing, compared } = counts(comparison);
  const regressed = regressedCells(comparison);
  const nothingJudged = comparison.tests === 0 && regressed.length === 0;
  const lines = [
    `${nothingJudged ? "NOTHING JUDGED (too few repeats in every cell): " : ""}${compared} cell${compared === 1 ? "" : "s"} compared: ${count("slower")} slower, ${count("faster")} faster, ${count("~")} ~ (no significant change), ` +
      `${count("too few repeats")} too few repeats${count("fixed") > 0 ? `, ${count("fixed")} fixed` : ""}${count("both failed") > 0 ? `, ${count("both failed")} failed in both` : ""}; ` +
      `${count("added")} added, ${missing} missing in NEW; ` +
      (regressed.length > 0 ? `${regressed.length} REGRESSED:` : "no regression"),
    ...withFlameLines(
      regressed.map((cell) => ({ cell: cell.cell, line: `  REGRESSED: ${cell.cell} (${cell.regressions.join("; ")})` })),
      flames,
    ),
  ];
  // The rank test's floor on p: only where it was used (or no test could be made).
  const sides = comparison.cells.flatMap((cell) =>
    cell.metrics.flatMap((m) => (cell.baseRepeats && cell.newRepeats && m.test !== "welch" ? [m.baseN, m.newN] : [])),
  );
  const fewest = sides.length > 0 ? Math.min(...sides) : Number.POSITIVE_INFINITY;
  if (fewest < comparison.repeatsNeeded) {
    lines.push(
      `note: with the rank test a change can be significant at α=${comparison.alpha}, ${familyText({ tests: comparison.tests, planned: comparison.plannedTests })}, only with at least ` +
        `${comparison.repeatsNeeded} ok repeats per side; some cell here has ${fewest}. Run both with --repeat ${comparison.repeatsNeeded} or more.`,
    );
  }
  const range = detectableRange(comparison);
  if (range)
    lines.push(
      `detectable change ${range} per cell (80% power at α=${comparison.alpha}, ${familyText({ tests: comparison.tests, planned: comparison.plannedTests })})`,
    );
  const blind = comparison.cells.filter((cell) => cell.blind);
  if (blind.length > 0) {
    const needed = blind.map((cell) => cell.blind!.needed ?? Number.POSITIVE_INFINITY);
    const most = Math.max(...needed);
    lines.push(
      `${blind.length} cell${blind.length === 1 ? "" : "s"} cannot see a ${comparison.thresholdPct}% change: ` +
        repeatAdvice(Number.isFinite(most) ? most : undefined, "both"),
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

/** The calibration that applies to NEW's CSV (calibrationOf, rundir/nightly-layout.ts), its problem, or none. */
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
  /** What --flame wrote, named beside each cell. */
  flames?: readonly CellFlame[];
}

/** The comparison as an aligned text table (short, for a terminal) or a GitHub-flavoured markdown table (every figure), with a summary. */
export function formatComparison(comparison: Comparison, options: FormatOptions): string {
  const confidence = Math.round((1 - comparison.alpha) * 1000) / 10;
  const family = familyText({ tests: comparison.tests, planned: comparison.plannedTests });
  const rule =
    `${TEST_MODE_TEXT[comparison.testMode]} per cell and metric, p ${family}; slower/faster needs p < ${comparison.alpha} ` +
    `and the whole ${confidence}% interval of NEW/BASE beyond ±${comparison.thresholdPct}%; figures are medians of the ok repeats, n = ok/all repeats`;
  const calibration = calibrationLine(options.calibration);
  const parts = {
    environment: environmentLines(options.environment),
    rule,
    summary: [...summaryLines(comparison, options.flames), ...(calibration ? [calibration] : [])],
  };
  return options.markdown ? markdownComparison(comparison, parts, options.flames ?? []) : textComparison(comparison, parts);
}

interface Parts {
  environment: string[];
  rule: string;
  summary: string[];
}

const repeatsText = (cell: CellComparison) =>
  `${cell.baseRepeats ? `${cell.baseRepeats.ok}/${cell.baseRepeats.total}` : "-"} ${cell.newRepeats ? `${cell.newRepeats.ok}/${cell.newRepeats.total}` : "-"}`;

function markdownComparison(comparison: Comparison, parts: Parts, flames: readonly CellFlame[]): string {
  // Text from files (cell ids, file names, environment values) is escaped; our figures and markup are not.
  const escape = escapeMarkdown;
  const header = [
    "cell",
    ...comparison.metrics.flatMap((m) => [`${UNIT[m]} BASE`, `${UNIT[m]} NEW`, "change [CI]", "p (test)", "detectable ±%"]),
    "n BASE/NEW",
    "verdict",
  ];
  const rows = comparison.cells.map((cell) => {
    const verdict = verdictText(cell, comparison.thresholdPct);
    const flame = flames.find((f) => f.cell === cell.cell);
    return [
      escape(cell.cell),
      ...cell.metrics.flatMap((m) => {
        const change = formatChange(m);
        return [
          value(m.metric, m.base),
          value(m.metric, m.new),
          m.verdict === "slower" ? `**${change}**` : change,
          m.pAdjusted === undefined ? "-" : `${formatP(m.pAdjusted)} ${m.test}`,
          formatDetectable(m.detectablePct),
        ];
      }),
      repeatsText(cell),
      (cell.regressions.length > 0 ? `**${verdict}**` : verdict) + (flame ? `; ${escape(flameText(flame))}` : ""),
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const bold = regressedCells(comparison).length > 0;
  return [
    ...parts.environment.map((text) => `${escape(text)}  `),
    `**BASE** ${escape(describeRun(comparison.base))}  `,
    `**NEW** ${escape(describeRun(comparison.next))}  `,
    `${parts.rule}; detectable ±% = smallest drop flagged with 80% power`,
    "",
    line(header),
    `|${header.map((_, i) => (i === 0 || i === header.length - 1 ? " --- " : " ---: ")).join("|")}|`,
    ...rows.map(line),
    "",
    ...parts.summary.map((text, i) => (i === 0 && bold ? `**${escape(text)}**  ` : `${escape(text)}  `)),
  ].join("\n");
}

/**
 * The terminal form: one short row per cell (the change of each metric's median, the repeats, the
 * verdict), every line within TERMINAL_WIDTH columns (a long verdict wraps under its column); medians,
 * p-values, tests and detectable changes are in --markdown and --json.
 */
function textComparison(comparison: Comparison, parts: Parts): string {
  const header = ["cell", ...comparison.metrics, "n BASE NEW", "verdict"];
  const rows = comparison.cells.map((cell) => [
    cell.cell,
    ...cell.metrics.map((m) => (m.changePct === undefined ? "-" : signed(m.changePct))),
    repeatsText(cell),
    verdictText(cell, comparison.thresholdPct),
  ]);
  const last = header.length - 1;
  const widths = header.map((h, i) => (i === last ? 0 : Math.max(h.length, ...rows.map((row) => row[i]!.length))));
  const lead = widths.slice(0, last).reduce((sum, width) => sum + width + 2, 0);
  const format = (cells: string[]) => {
    const head = cells
      .slice(0, last)
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ");
    // The verdict wraps under its own column when there is room for one, else under a short indent.
    const indent = lead <= TERMINAL_WIDTH / 2 ? lead : 4;
    const [first, ...rest] = wrapText(cells[last]!, TERMINAL_WIDTH, " ".repeat(indent), Math.max(TERMINAL_WIDTH - lead, 20));
    return [`${head}  ${first}`.trimEnd(), ...rest].join("\n");
  };
  const wrap = (text: string) => (isFlameLine(text) ? text : wrapText(text).join("\n"));
  return [
    ...parts.environment.map(wrap),
    wrap(`BASE ${describeRun(comparison.base)}`),
    wrap(`NEW  ${describeRun(comparison.next)}`),
    wrap(parts.rule),
    "",
    format(header),
    ...rows.map(format),
    "",
    ...parts.summary.map(wrap),
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
  flames: readonly CellFlame[] = [],
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
      flame_graph: flameJson(flames.find((f) => f.cell === cell.cell)),
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
