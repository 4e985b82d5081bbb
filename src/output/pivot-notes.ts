/**
 * Lines printed under the pivot: each cell's pathology note (the `note` column), and for a profiled
 * run each cell's syscalls per request beside the traced pass's speed (`traced_ratio`), marked when
 * the traced server ran below {@link SLOWED_TRACED_RATIO} of its clean speed: its per-request
 * figures come from a server that behaved differently from the one measured.
 */
import type { Row } from "./columns.js";
import { groupByCell } from "../rundir/runs.js";
import { median, numeric } from "./stats.js";

/** Below this traced ÷ clean speed, syscall figures are marked as taken from a slowed server. */
export const SLOWED_TRACED_RATIO = 0.5;

const medianOf = (rows: readonly Row[], column: string) => {
  const values = rows.flatMap((row) => numeric(row[column]) ?? []);
  return values.length > 0 ? median(values) : undefined;
};

export function pivotNoteLines(rows: readonly Row[]): string[] {
  const lines: string[] = [];
  for (const { cell, rows: cellRows } of groupByCell(rows).values()) {
    const notes = [...new Set(cellRows.map((row) => String(row.note ?? "")).filter(Boolean))];
    for (const note of notes) lines.push(`note ${cell}: ${note}`);
    const perRequest = medianOf(cellRows, "server_syscalls_per_request");
    const ratio = medianOf(cellRows, "traced_ratio");
    if (perRequest === undefined) continue;
    const slowed = ratio !== undefined && ratio < SLOWED_TRACED_RATIO;
    lines.push(
      `syscalls ${cell}: ${perRequest.toFixed(2)} per request (${String(cellRows[0]?.syscall_source ?? "")}), traced at ${ratio === undefined ? "?" : `${ratio.toFixed(2)}×`} the clean speed` +
        (slowed ? ` (slowed: below ${SLOWED_TRACED_RATIO}×, per-request figures may not hold for the clean server)` : ""),
    );
  }
  return lines;
}
