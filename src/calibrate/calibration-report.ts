/** A calibration as the file compare and the nightly read, and as the table calibrate prints. */
import { CALIBRATION_VERSION, percent, recommendationLine, type CalibrationFile } from "../rundir/calibration-file.js";
import { MAX_FALSE_ALARM_RATE, MIN_POWER, type Calibration } from "./calibrate.js";

export interface CalibrationContext {
  spec: string;
  specFile: string;
  runsCsv: string;
  runIds: string[];
  createdAt: string;
}

const finite = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? null : x);

export function calibrationFile(calibration: Calibration, context: CalibrationContext): CalibrationFile {
  const { options } = calibration;
  const rates = (r: { falseAlarmRate: number; power: number }) => ({ false_alarm_rate: r.falseAlarmRate, power: r.power });
  return {
    calibration_version: CALIBRATION_VERSION,
    spec: context.spec,
    spec_file: context.specFile,
    runs_csv: context.runsCsv,
    run_ids: context.runIds,
    created_at: context.createdAt,
    cells: calibration.cells.length,
    metrics: calibration.metrics,
    alpha: options.alpha,
    threshold_pct: options.thresholdPct,
    drop_pct: options.dropPct,
    nights: options.nights,
    test: options.test,
    max_false_alarm_rate: MAX_FALSE_ALARM_RATE,
    min_power: MIN_POWER,
    table: calibration.table.map((row) => ({
      repeat: row.repeat,
      rank: rates(row.rates.rank),
      welch: rates(row.rates.welch),
      auto: rates(row.rates.auto),
    })),
    recommended_repeat: calibration.recommendedRepeat ?? null,
    detectable_at_repeat: calibration.detectableAt,
    detectable_pct: calibration.detectable
      ? { min: calibration.detectable.min, median: calibration.detectable.median, max: calibration.detectable.max }
      : null,
    cell_noise: calibration.cells.map((cell) => ({
      cell: cell.cell,
      ok_values: cell.okValues,
      sigma_log: cell.sigma,
      detectable_pct: finite(cell.detectablePct),
    })),
  };
}

/** The table calibrate prints: false alarms and power against repeat, per test mode. */
export function calibrationTable(file: CalibrationFile): string {
  const header = ["repeat", "false alarms rank", "welch", "auto", `power (${file.drop_pct}% drop) rank`, "welch", "auto"];
  const rows = file.table.map((row) => [
    String(row.repeat),
    percent(row.rank.false_alarm_rate),
    percent(row.welch.false_alarm_rate),
    percent(row.auto.false_alarm_rate),
    percent(row.rank.power),
    percent(row.welch.power),
    percent(row.auto.power),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join("  ");
  return [
    `${file.spec}: ${file.run_ids.length} same-build runs, ${file.cells} cells × ${file.metrics.length} metrics (${file.metrics.join(", ")}); ` +
      `${file.nights} simulated nights per repeat and test; α=${file.alpha}, threshold ${file.threshold_pct}%`,
    "",
    line(header),
    ...rows.map(line),
    "",
    recommendationLine(file),
  ].join("\n");
}
