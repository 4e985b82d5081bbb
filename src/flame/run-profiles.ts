/**
 * A run's CPU profiles as `report` and `compare` read them: each cell's folded stacks (its repeats
 * summed), found by name in the run's raw directory (never by a path taken from the CSV), and the
 * responses of the traced passes they were sampled in (the divisor of samples per response).
 */
/** A CSV row as read back (the output module's Row, without importing it: output/ depends on profile/, which depends on flame/). */
export type ProfileRow = Partial<Record<string, string | number | undefined>>;
type Row = ProfileRow;
import { cpuFoldedPath, rawDirOf, rawDirPath, rawRunBase, safeFileName } from "../rundir/run-dir.js";
import { groupByCell } from "../rundir/runs.js";
import { readConfinedFile } from "../untrusted/files.js";
import { parseFolded, totalSamples, type Folded } from "./folded.js";

/** A folded file of a few seconds is kilobytes; one far larger is not read. */
const MAX_FOLDED_BYTES = 256 * 1024 * 1024;

export interface CellCpuProfile {
  cell: string;
  folded: Folded;
  /** Repeats whose profile was found. */
  repeats: number;
  /** Responses in the profiled windows (traced resp/s × window), summed over those repeats. */
  responses: number;
  target: string;
}

const num = (value: unknown) => (value === undefined || value === "" ? undefined : Number(value));

function foldedOf(csvFile: string, row: Row, target: string): Folded | undefined {
  const base = rawRunBase(rawDirPath(csvFile, String(row.run_id ?? "")), String(row.cell ?? ""), Number(row.repeat));
  try {
    return parseFolded(readConfinedFile(cpuFoldedPath(base, target), rawDirOf(csvFile), MAX_FOLDED_BYTES));
  } catch {
    return undefined; // no profile for this repeat (not CPU-profiled, or its raw files were removed)
  }
}

/** Each cell of these rows (one run's) that has a CPU profile, in the order of the rows. */
export function cellCpuProfiles(csvFile: string, rows: readonly Row[], target = "server"): CellCpuProfile[] {
  const profiles: CellCpuProfile[] = [];
  for (const { cell, rows: cellRows } of groupByCell(rows).values()) {
    const folded: Folded = new Map();
    let repeats = 0;
    let responses = 0;
    for (const row of cellRows) {
      if (!row.cpu_profile) continue;
      const one = foldedOf(csvFile, row, target);
      if (!one || totalSamples(one) === 0) continue;
      repeats++;
      for (const [stack, count] of one) folded.set(stack, (folded.get(stack) ?? 0) + count);
      responses += (num(row.traced_resp_per_s) ?? num(row.resp_per_s) ?? 0) * (num(row.duration_s) ?? 0);
    }
    if (repeats > 0) profiles.push({ cell, folded, repeats, responses, target });
  }
  return profiles;
}

/** A flame graph's file name for a cell: `flame-<cell>.svg` (safe as a file name). */
export const flameFileName = (cell: string, suffix = "") => `flame-${safeFileName(cell)}${suffix}.svg`;
