/** `tcpsweep calibrate`: N same-build runs through the run machinery, then the resampling analysis. */
import path from "node:path";
import { calibrate } from "../calibrate/calibrate.js";
import { calibrationFile, calibrationTable } from "../calibrate/calibration-report.js";
import { METRICS, parseAlpha, parseThreshold } from "../compare/compare.js";
import { BadInputError } from "../model/bad-input.js";
import { CsvHeaderError } from "../output/csv.js";
import { writeCalibrationFile } from "../rundir/calibration-file.js";
import { LockBusyError } from "../rundir/lock.js";
import { readResultsCsv } from "../rundir/results-csv.js";
import { calibrationPath, calibrationRunsCsvPath } from "../rundir/run-dir.js";
import { runsOf } from "../rundir/runs.js";
import { expandCells } from "../sweep/matrix.js";
import { PreflightError, runSweep } from "../sweep/runner.js";
import { SpecError, formatSpecIssue, loadSpec, parseDuration } from "../sweep/spec.js";
import { fail } from "./exit.js";

export interface CalibrateFlags {
  runs: number;
  repeat: number;
  duration?: string;
  csv?: string;
  analyze?: boolean;
  repeats: number[];
  nights: number;
  threshold: string;
  alpha: string;
  drop: string;
  lockWait: string;
  json?: boolean;
}

export async function calibrateAction(specFile: string, flags: CalibrateFlags): Promise<void> {
  const lockWaitS = parseDuration(flags.lockWait);
  if (lockWaitS === undefined) fail(`tcpsweep calibrate: --lock-wait: expected a duration like 10s, got "${flags.lockWait}"`, 2);
  const durationS = flags.duration === undefined ? undefined : parseDuration(flags.duration);
  if (flags.duration !== undefined && durationS === undefined)
    fail(
      formatSpecIssue({
        file: specFile,
        path: "--duration",
        message: `expected a duration like "1s" or "500ms", got ${JSON.stringify(flags.duration)}`,
      }),
      2,
    );
  try {
    const thresholdPct = parseThreshold(flags.threshold);
    const alpha = parseAlpha(flags.alpha);
    const dropPct = parseThreshold(flags.drop);
    if (!(dropPct > 0 && dropPct < 100))
      throw new BadInputError(`--drop: expected a percentage between 0 and 100 like 10%, got ${JSON.stringify(flags.drop)}`);
    const spec = await loadSpec(specFile, { repeat: flags.repeat, ...(durationS !== undefined ? { durationS } : {}) });
    const csv = flags.csv ? path.resolve(flags.csv) : spec.output.csv;
    const runsCsv = calibrationRunsCsvPath(csv);
    // Every calibration run goes into one CSV of its own, appended, so the nightly's CSV keeps only nightly runs.
    spec.output = { ...spec.output, csv: runsCsv, mode: "append" };
    const runIds = new Set<string>();
    let worst = 0;
    if (!flags.analyze) {
      const cells = expandCells(spec);
      for (let run = 1; run <= flags.runs; run++) {
        process.stderr.write(
          `calibrate ${spec.name}: run ${run} of ${flags.runs} (${cells.length} cells × ${spec.repeat} repeat${spec.repeat === 1 ? "" : "s"})\n`,
        );
        const status = await runSweep(spec, cells, {
          resume: false,
          lockWaitMs: lockWaitS * 1000,
          out: process.stderr,
          onRunId: (id) => runIds.add(id),
        });
        worst = Math.max(worst, status);
      }
    }
    const { rows } = readResultsCsv(runsCsv, {
      what: "calibration CSV",
      label: "calibrate",
      required: ["run_id", "cell", "status", METRICS[0]!.column],
    });
    const used = flags.analyze
      ? runsOf(rows)
          .filter((run) => run.specs.includes(spec.name))
          .map((run) => run.runId)
      : [...runIds];
    if (used.length < 3)
      throw new BadInputError(
        `${runsCsv} has ${used.length} run${used.length === 1 ? "" : "s"} of ${spec.name}; calibrating needs at least 3 (--runs 3 or more)`,
      );
    const chosen = new Set(used);
    const calibration = calibrate(
      rows.filter((row) => chosen.has(row.run_id ?? "")),
      { repeats: flags.repeats, nights: flags.nights, thresholdPct, alpha, dropPct, test: "auto", seed: 1 },
    );
    const file = calibrationFile(calibration, {
      spec: spec.name,
      specFile: path.resolve(specFile),
      runsCsv,
      runIds: used,
      createdAt: new Date().toISOString(),
    });
    const target = calibrationPath(csv);
    await writeCalibrationFile(target, file);
    process.stdout.write(flags.json ? `${JSON.stringify(file, null, 2)}\n` : `${calibrationTable(file)}\nwrote ${target}\n`);
    process.exitCode = worst === 0 && file.cells > 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof SpecError) fail(error.issues.map(formatSpecIssue).join("\n"), 2);
    if (
      error instanceof PreflightError ||
      error instanceof CsvHeaderError ||
      error instanceof LockBusyError ||
      error instanceof BadInputError
    )
      fail(`tcpsweep calibrate: ${error.message}`, 2);
    throw error;
  }
}
