/** `<csv name>.syscalls.csv` beside the main CSV: every profiled run's syscall table, long format. */
import { timeKindOf } from "../profile/blocking-syscalls.js";
import type { SyscallCounts } from "../profile/profiler.js";
import { syscallsCsvPath } from "../rundir/run-dir.js";
import { CsvWriter } from "./csv.js";

export const SYSCALL_COLUMNS = [
  "run_id",
  "cell",
  "repeat",
  "target",
  "source",
  "syscall",
  "calls",
  "errors",
  "seconds",
  "usecs_per_call",
  "percent_time",
  "p50_us",
  "p99_us",
  "time_kind",
];

export function syscallsCsvWriter(mainCsv: string, followSymlinks = false): CsvWriter {
  return new CsvWriter(syscallsCsvPath(mainCsv), SYSCALL_COLUMNS, { followSymlinks });
}

/** The table's rows, ready for one append (an interrupted run never leaves half a table). */
export function syscallRows(identity: { run_id: string; cell: string; repeat: number }, counts: SyscallCounts) {
  return counts.rows.map((row) => ({
    ...identity,
    target: counts.target,
    source: counts.source,
    ...row,
    time_kind: timeKindOf(row.syscall),
  }));
}
