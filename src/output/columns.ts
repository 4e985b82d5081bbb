/**
 * The main CSV's columns. The header is the schema: a file written with another header
 * is never appended to. README "CSV columns" documents each one with its unit.
 */

/** Before the matrix keys. */
export const IDENTITY_COLUMNS = ["run_id", "started_at", "spec", "cell", "repeat"] as const;

/** After the matrix keys. */
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
  "client_exit_code",
  "client_cpu_s",
  "client_threads",
  "server_cpu_s",
  "server_max_rss_kb",
  "server_ctx_voluntary",
  "server_ctx_involuntary",
  "server_processes",
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
  "status",
  "error",
  "raw_output",
  "hostname",
  "kernel",
] as const;

export type FigureColumn = (typeof FIGURE_COLUMNS)[number] | (typeof IDENTITY_COLUMNS)[number];
export type RowValue = string | number | undefined;
export type Row = Partial<Record<FigureColumn, RowValue>> & Record<string, RowValue>;

/** Matrix keys sit between identity and figures; a regex client's extra named groups go last. */
export function csvHeader(matrixKeys: readonly string[], extraColumns: readonly string[] = []): string[] {
  return [...IDENTITY_COLUMNS, ...matrixKeys, ...FIGURE_COLUMNS, ...extraColumns];
}

export type CellStatus =
  | "ok"
  /** The run finished but not as specified: connections starved, payload mismatches, or a stall (README "Status"). */
  | "degraded"
  | "no_responses"
  | "client_exit"
  | "client_failed"
  | "parse_error"
  | "timeout"
  | "server_failed"
  | "server_not_ready"
  | "server_exited"
  | "profile_failed";
