/**
 * One typed record per run: everything a run measured (client figures, server usage, syscall
 * summaries, tracing), its status and why. The sweep fills it; every sink (CSV, syscall table,
 * pivot, progress) receives it. The CSV's figure columns are this type's keys
 * (output/columns.ts checks both directions at compile time).
 */
import type { SyscallCounts, SyscallSource } from "../profile/profiler.js";
import type { ProfileKindName } from "../model/spec-types.js";
import type { CpuProfile } from "../profile/cpu.js";

export type MatrixValue = string | number;

/** An open-loop run that sent more than this share below its target rate did not offer the load asked for (`degraded`). */
export const RATE_SHORTFALL = 0.05;

export type CellStatus =
  | "ok"
  /** The run finished but not as specified: connections starved, payload mismatches, or a stall (docs/csv-columns.md, `status`). */
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

/** What the client reported (the builtin client's JSON fills all; seed-text and regex clients fewer). */
export interface ClientFigures {
  duration_s?: number;
  requests?: number;
  responses?: number;
  req_per_s?: number;
  resp_per_s?: number;
  success_rate_pct?: number;
  latency_p50_us?: number;
  latency_p90_us?: number;
  latency_p99_us?: number;
  latency_p999_us?: number;
  latency_max_us?: number;
  latency_mean_us?: number;
  /** Closed loop: median of the client's own time per reply, from its arrival in JS to the next request's write() (docs/reading-the-numbers.md). */
  client_turnaround_p50_us?: number;
  errors?: number;
  errors_connect?: number;
  errors_timeout?: number;
  errors_closed?: number;
  errors_bad_frame?: number;
  /** ECHO replies whose payload differs from the request (counted as responses under verify: type). */
  payload_mismatches?: number;
  connections_established?: number;
  connections_in_window?: number;
  /** Per-connection accounting over the window (docs/csv-columns.md). */
  connections_requested?: number;
  connections_served?: number;
  connections_starved?: number;
  fairness_jain?: number;
  conn_resp_min?: number;
  conn_resp_p50?: number;
  conn_resp_max?: number;
  /** Responses per whole second of the window: the slowest and fastest second, and seconds with none. */
  resp_per_s_min_1s?: number;
  resp_per_s_max_1s?: number;
  stall_seconds?: number;
  /** `closed` (the next request on the last reply) or `open` (sends on a schedule: client.rate). */
  mode?: "closed" | "open";
  /** Open loop: the requested and the achieved request rate (req/s), and sends that left over 5 ms late. */
  target_rate?: number;
  achieved_rate?: number;
  late_sends?: number;
  client_threads?: number;
  /** Remote load hosts (client.hosts): how many, the largest clock offset to one, those that were client-bound. */
  client_hosts?: number;
  clock_offset_max_ms?: number;
  client_bound_hosts?: string;
  /** Seconds until every connection was made or had failed; connect attempts retried; connections never made, by why. */
  connect_s?: number;
  connect_retries?: number;
  errors_connect_refused?: number;
  errors_connect_timeout?: number;
  errors_connect_other?: number;
}

/** /proc accounting of the client's and server's trees over the window. */
export interface UsageFigures {
  client_exit_code?: number | string;
  client_cpu_s?: number;
  server_cpu_s?: number;
  server_max_rss_kb?: number;
  server_ctx_voluntary?: number;
  server_ctx_involuntary?: number;
  server_processes?: number;
  /** client_cpu_s / server_cpu_s split into user and system time, and softirq time on the CPUs each ran on (docs/csv-columns.md). */
  client_cpu_user_s?: number;
  client_cpu_sys_s?: number;
  client_cpu_softirq_s?: number;
  server_cpu_user_s?: number;
  server_cpu_sys_s?: number;
  server_cpu_softirq_s?: number;
  /** CPU lists the client's and server's trees were pinned to (empty: not pinned). */
  client_cpus?: string;
  server_cpus?: string;
}

/** A traced pass's syscall summaries and how much tracing slowed the run. */
export interface TracingFigures {
  /** The spec's `profile:` kind that profiled the run (strace, perf, bpf): on every profiled row. */
  profiler?: ProfileKindName;
  syscall_source?: SyscallSource;
  server_syscalls_total?: number;
  server_syscall_errors?: number;
  server_syscalls_per_request?: number;
  server_top_syscall?: string;
  /** Why server_syscalls_per_request cannot be compared (e.g. io_uring sends and receives are not syscalls). */
  syscall_note?: string;
  client_syscalls_total?: number;
  client_syscall_errors?: number;
  client_syscalls_per_request?: number;
  client_top_syscall?: string;
  traced_resp_per_s?: number;
  traced_ratio?: number;
  /** profile.cpu: samples taken, the share whose innermost frame was in the kernel (0–1), and the folded stacks' file. */
  cpu_samples?: number;
  cpu_kernel_share?: number;
  cpu_profile?: string;
}

/** How the run ended and where its evidence is. */
export interface Outcome {
  /** Wall time of the run (all its passes) that was neither warmup nor window, seconds. */
  overhead_s?: number;
  status: CellStatus;
  /** Why the run is not ok (empty when it is), in words a person can act on. */
  error: string;
  /** A pathology the figures show (Nagle and delayed ACKs, a full listen backlog …), with how to confirm it; empty when none. */
  note?: string;
  /** The saved raw output, relative to the working directory. */
  raw_output?: string;
}

/** What one cell run produced, before the sweep stamps it with its identity. */
export interface RunResult extends ClientFigures, UsageFigures, TracingFigures, Outcome {
  /** A regex client's named groups that are not standard columns (they become extra CSV columns). */
  extra?: Record<string, string | number>;
  /** A traced pass's full syscall tables (the syscall table sink writes them). */
  syscallTables?: SyscallCounts[];
  /** A CPU-profiled run's profile (the top-frames sink writes its frames). */
  cpuProfile?: CpuProfile;
}

export interface RunIdentity {
  run_id: string;
  started_at: string;
  spec: string;
  cell: string;
  repeat: number;
  hostname: string;
  kernel: string;
}

export interface RunRecord extends RunIdentity, RunResult {
  /** The cell's matrix values, keyed by matrix key. */
  matrix: Record<string, MatrixValue>;
}
