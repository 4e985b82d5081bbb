/**
 * The main CSV's columns, derived from the run record. The header is the schema: a file whose
 * header has other columns is never appended to (the same columns in another order are: rows
 * follow the file's order). docs/csv-columns.md documents each one with its unit.
 *
 * Order, the verdict first: identity (run_id, spec, cell, the matrix keys, repeat), then status
 * and error, then the headline figures, then the rest in FIGURE_COLUMNS order.
 */
import type { ClientFigures, Outcome, RunIdentity, RunRecord, TracingFigures, UsageFigures } from "../record/run-record.js";

export type { CellStatus } from "../record/run-record.js";

/** The identity columns (started_at is written among the rest: it identifies nothing a reader picks by). */
export const IDENTITY_COLUMNS = ["run_id", "started_at", "spec", "cell", "repeat"] as const satisfies readonly (keyof RunIdentity)[];

/** Identity before the matrix keys, and after them. */
const LEADING_IDENTITY = ["run_id", "spec", "cell"] as const;
const TRAILING_IDENTITY = ["repeat"] as const;

/** Whether the row may be read at all, right after its identity. */
export const VERDICT_COLUMNS = ["status", "error"] as const satisfies readonly (keyof FigureFields)[];

/** The figures a reader looks at first, right after the verdict. */
export const HEADLINE_COLUMNS = [
  "resp_per_s",
  "success_rate_pct",
  "latency_p50_us",
  "latency_p99_us",
  "connections_served",
  "server_syscalls_per_request",
] as const satisfies readonly (keyof FigureFields)[];

/** Every figure column of the record (the headline ones included); the CSV writes the rest in this order. */
export const FIGURE_COLUMNS = [
  "duration_s",
  "requests",
  "responses",
  "req_per_s",
  "resp_per_s",
  "success_rate_pct",
  "latency_p50_us",
  "latency_p90_us",
  "latency_p99_us",
  "latency_p999_us",
  "latency_max_us",
  "latency_mean_us",
  "client_turnaround_p50_us",
  "errors",
  "errors_connect",
  "errors_timeout",
  "errors_closed",
  "errors_bad_frame",
  "payload_mismatches",
  "connections_established",
  "connections_in_window",
  "connections_requested",
  "connections_served",
  "connections_starved",
  "fairness_jain",
  "conn_resp_min",
  "conn_resp_p50",
  "conn_resp_max",
  "resp_per_s_min_1s",
  "resp_per_s_max_1s",
  "stall_seconds",
  "mode",
  "target_rate",
  "achieved_rate",
  "late_sends",
  "client_exit_code",
  "client_cpu_s",
  "client_cpu_user_s",
  "client_cpu_sys_s",
  "client_cpu_softirq_s",
  "client_threads",
  "client_cpus",
  "client_hosts",
  "clock_offset_max_ms",
  "client_bound_hosts",
  "connect_s",
  "connect_retries",
  "errors_connect_refused",
  "errors_connect_timeout",
  "errors_connect_other",
  "server_cpu_s",
  "server_cpu_user_s",
  "server_cpu_sys_s",
  "server_cpu_softirq_s",
  "server_max_rss_kb",
  "server_ctx_voluntary",
  "server_ctx_involuntary",
  "server_processes",
  "server_cpus",
  "profiler",
  "syscall_source",
  "server_syscalls_total",
  "server_syscall_errors",
  "server_syscalls_per_request",
  "server_top_syscall",
  "syscall_note",
  "client_syscalls_total",
  "client_syscall_errors",
  "client_syscalls_per_request",
  "client_top_syscall",
  "traced_resp_per_s",
  "traced_ratio",
  "cpu_samples",
  "cpu_kernel_share",
  "cpu_profile",
  "overhead_s",
  "status",
  "error",
  "note",
  "raw_output",
  "hostname",
  "kernel",
] as const satisfies readonly (keyof FigureFields)[];

/** The record's fields that are figure columns, in one type. */
type FigureFields = ClientFigures & UsageFigures & TracingFigures & Outcome & Pick<RunIdentity, "hostname" | "kernel">;

/**
 * Compile-time check, the other direction: a record field that no column writes fails here,
 * naming the field ("... is not assignable to type 'never'"). */
type Unwritten = Exclude<keyof FigureFields, (typeof FIGURE_COLUMNS)[number]>;
const everyFieldHasAColumn: [Unwritten] extends [never] ? true : Unwritten = true;
void everyFieldHasAColumn;

export type FigureColumn = (typeof FIGURE_COLUMNS)[number] | (typeof IDENTITY_COLUMNS)[number];
export type RowValue = string | number | undefined;
/** A row as written or read back: column → value (sinks that summarise, compare and the report read these). */
export type Row = Partial<Record<FigureColumn, RowValue>> & Record<string, RowValue>;

/** The one function that turns a run record into a CSV row. */
export function recordToRow(record: RunRecord): Row {
  const row: Row = {};
  for (const column of IDENTITY_COLUMNS) row[column] = record[column];
  for (const [key, value] of Object.entries(record.matrix)) row[key] = value;
  for (const column of FIGURE_COLUMNS) row[column] = record[column];
  // Extra columns (a regex client's groups) never overwrite a standard or matrix column.
  for (const [key, value] of Object.entries(record.extra ?? {})) if (!(key in row)) row[key] = value;
  return row;
}

/** The header: identity with the matrix keys, verdict, headline, the rest; a regex client's extra named groups go last. */
export function csvHeader(matrixKeys: readonly string[], extraColumns: readonly string[] = []): string[] {
  const first: readonly string[] = [...LEADING_IDENTITY, ...matrixKeys, ...TRAILING_IDENTITY, ...VERDICT_COLUMNS, ...HEADLINE_COLUMNS];
  const rest = [...IDENTITY_COLUMNS, ...FIGURE_COLUMNS].filter((column) => !first.includes(column));
  return [...first, ...rest, ...extraColumns];
}
