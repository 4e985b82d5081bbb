/**
 * `<csv name>.calibration.json`: what `tcpsweep calibrate` measured on this machine, read back by
 * `compare` and the nightly. Written by calibrate; read here with a schema, so a file from another
 * version or a hand edit is reported rather than misread.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { z } from "zod";

export const CALIBRATION_VERSION = 1;

const rates = z.object({ false_alarm_rate: z.number(), power: z.number() });
const spread = z.object({ min: z.number(), median: z.number(), max: z.number() });

export const calibrationSchema = z.object({
  calibration_version: z.literal(CALIBRATION_VERSION),
  spec: z.string(),
  spec_file: z.string(),
  runs_csv: z.string(),
  run_ids: z.array(z.string()),
  created_at: z.string(),
  cells: z.number(),
  metrics: z.array(z.string()),
  alpha: z.number(),
  threshold_pct: z.number(),
  drop_pct: z.number(),
  nights: z.number(),
  test: z.string(),
  max_false_alarm_rate: z.number(),
  min_power: z.number(),
  table: z.array(z.object({ repeat: z.number(), rank: rates, welch: rates, auto: rates })),
  recommended_repeat: z.number().nullable(),
  detectable_at_repeat: z.number(),
  detectable_pct: spread.nullable(),
  cell_noise: z.array(
    z.object({
      cell: z.string(),
      ok_values: z.number(),
      sigma_log: z.record(z.string(), z.number()),
      detectable_pct: z.number().nullable(),
    }),
  ),
});

export type CalibrationFile = z.infer<typeof calibrationSchema>;

export async function writeCalibrationFile(file: string, calibration: CalibrationFile): Promise<void> {
  await writeFile(file, `${JSON.stringify(calibration, null, 2)}\n`);
}

/** The calibration in `file`, or why it cannot be used (unreadable, not JSON, another version or shape). */
export function readCalibrationFile(file: string): { calibration: CalibrationFile } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return { problem: `${file}: ${(error as Error).message.split("\n")[0]}` };
  }
  const parsed = calibrationSchema.safeParse(json);
  if (parsed.success) return { calibration: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { problem: `${file}: ${issue.path.join(".") || "(top)"}: ${issue.message}; run tcpsweep calibrate again` };
}

/** 0.034 → "3.4%" */
export const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** "can detect ≥ 8.1% per cell (8.1–14.2%, median 10.0%) at repeat 7" */
export function detectableSentence(file: CalibrationFile): string {
  const d = file.detectable_pct;
  if (!d) return "no cell had enough ok repeats to calibrate";
  return `can detect ≥ ${d.max.toFixed(1)}% per cell (${d.min.toFixed(1)}–${d.max.toFixed(1)}%, median ${d.median.toFixed(1)}%) at repeat ${file.detectable_at_repeat}`;
}

/** The recommendation, one line. */
export function recommendationLine(file: CalibrationFile): string {
  const row = file.table.find((r) => r.repeat === file.recommended_repeat);
  const auto = row?.[file.test as "auto"];
  return file.recommended_repeat !== null && auto
    ? `recommended repeat: ${file.recommended_repeat} (false alarms ${percent(auto.false_alarm_rate)} ≤ ${percent(file.max_false_alarm_rate)}, ` +
        `power ${percent(auto.power)} ≥ ${percent(file.min_power)} for a ${file.drop_pct}% drop in one cell, --test ${file.test}); ${detectableSentence(file)}`
    : `no repeat up to ${Math.max(...file.table.map((r) => r.repeat))} keeps false alarms ≤ ${percent(file.max_false_alarm_rate)} with power ≥ ${percent(file.min_power)} ` +
        `for a ${file.drop_pct}% drop: try larger --repeats or fewer cells; ${detectableSentence(file)}`;
}
