#!/usr/bin/env node
/**
 * The one line a night is judged by (cron mails stdout), then one line per failed or regressed
 * cell. Called by nightly.sh with what it gathered:
 *
 *   nightly-summary.mjs NAME RUN_JSON SWEEP_STATUS REPORT_HTML REPORT_STATUS COMPARE_JSON COMPARE_STATUS PREVIOUS_CSV LOG [HISTORY_TXT HISTORY_STATUS]
 *
 * COMPARE_STATUS is "none" when there was no earlier night. Exits 0 only for a clean night:
 * sweep exit 0, report written, no regression against the previous night. A night whose comparison
 * could test nothing (every cell had too few repeats) is not clean: its line starts with
 * "NOTHING JUDGED" and it exits 4, so a cron job that can see nothing does not look green.
 */
import { readFileSync } from "node:fs";

// What the comparison can see and what calibrate measured (tcpsweep calibrate writes <name>.calibration.json
// beside the nightly's directory; run-dir.ts names it). dist/ is built by nightly.sh before this runs.
const { calibrationOf } = await import(new URL("../dist/rundir/nightly-layout.js", import.meta.url).href);
const { readCalibrationFile } = await import(new URL("../dist/rundir/calibration-file.js", import.meta.url).href);

const [name, runJson, sweepStatus, reportHtml, reportStatus, compareJson, compareStatus, previous, log, historyTxt, historyStatus] =
  process.argv.slice(2);

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

const pct = (value) =>
  value === null || value === undefined ? "?" : `${value > 0 ? "+" : value < 0 ? "−" : ""}${Math.abs(value).toFixed(1)}%`;
const pValue = (p) => (p === null || p === undefined ? "?" : p < 0.001 ? p.toExponential(0) : p.toFixed(3));

const range = (d) => {
  const fmt = (x) => (x === null ? "∞" : x.toFixed(0));
  const low = fmt(d.min);
  const high = fmt(d.max);
  return `${low === high ? low : `${low}–${high}`}% per cell (median ${fmt(d.median)}%)`;
};

/** "calibrated: can detect ≥ 12% per cell at repeat 7 (recommended repeat 7)", from the calibration file. */
function calibrationPart(csv) {
  const file = csv ? calibrationOf(csv) : undefined;
  if (!file) return undefined;
  const read = readCalibrationFile(file);
  if ("problem" in read) return `calibration not used (${read.problem})`;
  const c = read.calibration;
  const sees = c.detectable_pct
    ? `can detect ≥ ${c.detectable_pct.max.toFixed(0)}% per cell at repeat ${c.detectable_at_repeat}`
    : "no cell calibrated";
  return `calibrated: ${sees}${c.recommended_repeat === null ? `, no repeat up to ${Math.max(...c.table.map((r) => r.repeat))} reaches ${c.min_power * 100}% power for a ${c.drop_pct}% drop` : ` (recommended repeat ${c.recommended_repeat})`}`;
}

const run = readJson(runJson);
const parts = [];
const details = [];
const sweep = Number(sweepStatus);
if (!run || !Array.isArray(run.cells)) {
  parts.push(`sweep failed (exit ${sweepStatus})${run?.error ? `: ${String(run.error).split("\n")[0]}` : ""}`);
} else {
  const okCells = run.cells.filter((cell) => cell.status === "ok").length;
  parts.push(`${okCells}/${run.cells.length} cells ok`);
  if (sweep === 130 || sweep === 143) parts.push(`sweep interrupted (exit ${sweep})`);
  else if (sweep !== 0 && okCells === run.cells.length)
    parts.push(`sweep exit ${sweep}${run.error ? `: ${String(run.error).split("\n")[0]}` : ""}`);
  for (const cell of run.cells.filter((c) => c.status !== "ok")) {
    details.push(
      `  FAILED ${cell.cell}: ${cell.status} in ${cell.repeats - cell.ok} of ${cell.repeats} repeats${cell.errors.length > 0 ? ` (${cell.errors.join("; ")})` : ""}`,
    );
  }
}

let regressed = false;
let nothingJudged = false;
if (compareStatus === "none") {
  parts.push("no earlier night to compare with");
} else {
  const comparison = readJson(compareJson);
  const night = previous.split("/").at(-2) ?? previous;
  if (!comparison || !Array.isArray(comparison.cells)) {
    regressed = true;
    parts.push(`compare with ${night} failed (exit ${compareStatus})${comparison?.error ? `: ${comparison.error}` : ""}`);
  } else {
    const slower = comparison.cells.flatMap((cell) => {
      const metrics = Object.entries(cell.metrics).filter(([, metric]) => metric.verdict === "slower");
      return metrics.length === 0
        ? []
        : [`${cell.cell} ${metrics.map(([metric, m]) => `${metric} ${pct(m.change_pct)} p=${pValue(m.p_adjusted)}`).join(", ")}`];
    });
    const others = comparison.cells.filter((cell) => cell.regressions.length > 0 && cell.verdict !== "slower");
    regressed = slower.length > 0 || others.length > 0 || Number(compareStatus) !== 0;
    nothingJudged = !regressed && comparison.tests === 0;
    const faster = comparison.summary.faster;
    parts.push(
      `vs ${night}: ${slower.length} slower${slower.length > 0 ? ` (${slower.join("; ")})` : ""}` +
        `${others.length > 0 ? `, ${others.length} regressed (${others.map((cell) => cell.cell).join("; ")})` : ""}` +
        `${faster > 0 ? `, ${faster} faster` : ""}` +
        // A spec with too few repeats can never show a slowdown: say so every night rather than look clean.
        `${comparison.summary.too_few_repeats > 0 ? `, ${comparison.summary.too_few_repeats} too few repeats (repeat: ${comparison.repeats_needed} needed)` : ""}` +
        // What tonight's comparison could have seen: a clean line means little if every cell is blind to 10 %.
        `${comparison.summary.detectable_pct ? `; detectable change ${range(comparison.summary.detectable_pct)}` : ""}`,
    );
    if (comparison.error) parts.push(comparison.error);
    // compare --flame's picture of the cell, when both nights were CPU-profiled: the function that grew is in it.
    for (const cell of comparison.cells.filter((c) => c.regressions.length > 0)) {
      const flame = cell.flame_graph?.file ? `; flame graph: ${cell.flame_graph.file}` : "";
      details.push(`  REGRESSED ${cell.cell}: ${cell.regressions.join("; ")}${flame}`);
    }
  }
}

const calibrated = calibrationPart(run?.csv);
if (calibrated) parts.push(calibrated);

// `history --summary`'s one line (change points over every night); its exit 1 is a new regression change point.
if (historyTxt !== undefined) {
  let line;
  try {
    line = readFileSync(historyTxt, "utf8").split("\n")[0] ?? "";
  } catch {
    line = ""; // no file: history did not run; its status says why
  }
  const status = Number(historyStatus);
  if (status === 1) regressed = true;
  parts.push(line !== "" && status <= 1 ? line : `history failed (exit ${historyStatus}), log: ${log}`);
}
parts.push(Number(reportStatus) === 0 ? `report: ${reportHtml}` : `no report (exit ${reportStatus}), log: ${log}`);
const judged = nothingJudged ? "NOTHING JUDGED: too few repeats in every cell to call any change; " : "";
process.stdout.write([`nightly ${name}: ${judged}${parts.join(", ")}`, ...details].join("\n") + "\n");
process.exitCode = sweep !== 0 ? sweep : regressed || Number(reportStatus) !== 0 ? 1 : nothingJudged ? 4 : 0;
