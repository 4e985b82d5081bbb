/**
 * One client report from several load hosts' reports, merged exactly: counts summed, latency
 * histograms added bucket for bucket (never percentiles averaged), windows put on the
 * controller's clock. Rates are each host's count over its own window, summed: with windows
 * started together that is the rate while all hosts were sending, and a host whose window was a
 * little longer does not inflate it. The result is the built-in client's JSON plus a `remote`
 * section, so the sweep reads it like a local client's.
 */
import type { ClientReport } from "../client/index.js";
import { CLIENT_BOUND_CORE_SHARE } from "../output/stats.js";
import { connectionSpread } from "../client/connection-stats.js";
import { encodeHistogram, mergeEncodedHistograms } from "./histogram-wire.js";
import { turnaroundSummary } from "../client/report.js";

export type HostReport = ClientReport & { latency_histogram?: string; turnaround_histogram?: string; conn_resp_counts?: number[] };

export interface HostClientRun {
  host: string;
  connections: number;
  report: HostReport;
  /** The host's window in the controller's clock (ms). */
  windowStartMs: number;
  windowEndMs: number;
  /** CPU of the host's client tree over its window, as its agent measured it (s). */
  cpuS?: number;
  /** CPUs of that host. */
  cpus: number;
  clock: { offsetMs: number; errorBoundMs: number };
}

export interface RemoteSummary {
  client_hosts: number;
  /** The largest |clock offset| measured to a load host (ms). */
  clock_offset_max_ms: number;
  /** The largest error bound of those offsets (half the best round trip, ms). */
  clock_error_max_ms: number;
  /** Seconds during which every host was in its window. */
  overlap_s: number;
  client_cpu_s?: number;
  /** Hosts whose client used more than 90 % of the CPUs it could use (worker threads, at most the host's CPUs). */
  client_bound_hosts: string[];
  hosts: {
    host: string;
    connections: number;
    resp_per_s: number;
    cpu_s?: number;
    cpus: number;
    cpu_share?: number;
    clock_offset_ms: number;
    clock_error_ms: number;
    window_start_ms: number;
    window_end_ms: number;
  }[];
}

export type MergedClientReport = HostReport & { remote: RemoteSummary };

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const floorTo = (value: number, digits: number) => Math.floor(value * 10 ** digits + 1e-7) / 10 ** digits;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function mergeHostRuns(runs: readonly HostClientRun[]): MergedClientReport {
  if (runs.length === 0) throw new Error("no load host reported");
  const reports = runs.map((run) => run.report);
  const withHistogram = runs.filter((run) => run.report.latency_histogram !== undefined);
  const histogram = mergeEncodedHistograms(Object.fromEntries(withHistogram.map((run) => [run.host, run.report.latency_histogram!])));
  const overlapMs = Math.min(...runs.map((r) => r.windowEndMs)) - Math.max(...runs.map((r) => r.windowStartMs));
  const requests = sum(reports.map((r) => r.requests));
  const responses = sum(reports.map((r) => r.responses));
  const errors = {
    connect_failed: sum(reports.map((r) => r.errors.connect_failed)),
    timed_out: sum(reports.map((r) => r.errors.timed_out)),
    closed_by_server: sum(reports.map((r) => r.errors.closed_by_server)),
    bad_frame: sum(reports.map((r) => r.errors.bad_frame)),
  };
  const hosts = runs.map((run) => {
    const usable = Math.max(1, Math.min(run.report.threads, run.cpus));
    const windowS = run.report.elapsed_s;
    return {
      host: run.host,
      connections: run.connections,
      resp_per_s: run.report.resp_per_s,
      ...(run.cpuS !== undefined ? { cpu_s: round(run.cpuS, 3), cpu_share: round(run.cpuS / windowS / usable, 3) } : {}),
      cpus: run.cpus,
      clock_offset_ms: round(run.clock.offsetMs, 3),
      clock_error_ms: round(run.clock.errorBoundMs, 3),
      window_start_ms: round(run.windowStartMs, 1),
      window_end_ms: round(run.windowEndMs, 1),
    };
  });
  const cpus = runs.map((run) => run.cpuS);
  const attempted = requests + sum(reports.map((r) => r.unanswered_before_window ?? 0));
  const { connections: perConnection, ...fairness } = mergePerConnection(reports);
  return {
    ...reports[0]!,
    requests,
    responses,
    req_per_s: round(sum(reports.map((r) => r.requests / r.elapsed_s)), 2),
    resp_per_s: round(sum(reports.map((r) => r.responses / r.elapsed_s)), 2),
    success_rate_pct: attempted === 0 ? 0 : floorTo((100 * responses) / attempted, 3),
    payload_mismatches: sum(reports.map((r) => r.payload_mismatches ?? 0)),
    unanswered_before_window: sum(reports.map((r) => r.unanswered_before_window ?? 0)),
    ...fairness,
    ...mergeSeries(reports),
    latency_us:
      histogram.totalCount === 0
        ? null
        : {
            p50: histogram.getValueAtPercentile(50),
            p90: histogram.getValueAtPercentile(90),
            p99: histogram.getValueAtPercentile(99),
            p999: histogram.getValueAtPercentile(99.9),
            max: histogram.maxValue,
            mean: round(histogram.mean, 1),
          },
    latency_histogram: encodeHistogram(histogram),
    ...mergeTurnaround(runs),
    errors: { ...errors, total: sum(Object.values(errors)) },
    connections: {
      requested: sum(reports.map((r) => r.connections.requested)),
      established: sum(reports.map((r) => r.connections.established)),
      in_window: sum(reports.map((r) => r.connections.in_window)),
      ...perConnection,
    },
    threads: sum(reports.map((r) => r.threads)),
    // Connects run side by side: the set-up took as long as the slowest; an older client has none of these.
    ...(reports.every((r) => r.connect_errors !== undefined)
      ? {
          connect_s: Math.max(...reports.map((r) => r.connect_s)),
          connect_retries: sum(reports.map((r) => r.connect_retries)),
          connect_errors: {
            refused: sum(reports.map((r) => r.connect_errors.refused)),
            timed_out: sum(reports.map((r) => r.connect_errors.timed_out)),
            other: sum(reports.map((r) => r.connect_errors.other)),
          },
        }
      : {}),
    elapsed_s: round(Math.max(0, overlapMs) / 1000, 4),
    cpu: { user_s: round(sum(reports.map((r) => r.cpu.user_s)), 3), sys_s: round(sum(reports.map((r) => r.cpu.sys_s)), 3) },
    peak_rss_kb: Math.max(...reports.map((r) => r.peak_rss_kb)),
    remote: {
      client_hosts: runs.length,
      clock_offset_max_ms: round(Math.max(...runs.map((r) => Math.abs(r.clock.offsetMs))), 3),
      clock_error_max_ms: round(Math.max(...runs.map((r) => r.clock.errorBoundMs)), 3),
      overlap_s: round(Math.max(0, overlapMs) / 1000, 4),
      ...(cpus.every((c) => c !== undefined) ? { client_cpu_s: round(sum(cpus), 3) } : {}),
      client_bound_hosts: hosts.filter((h) => (h.cpu_share ?? 0) > CLIENT_BOUND_CORE_SHARE).map((h) => h.host),
      hosts,
    },
  };
}

/**
 * Served connections, fairness and the per-connection spread over every host's connections: from
 * the hosts' per-connection counts side by side, exactly as one client computes them. Without every
 * host's counts (an older agent) they are left out, never estimated.
 */
function mergePerConnection(reports: readonly HostReport[]): Partial<Pick<HostReport, "fairness_jain" | "conn_resp">> & {
  connections: { served: number; starved: number };
} {
  if (!reports.every((r) => Array.isArray(r.conn_resp_counts))) {
    // Sums are exact for these two even without the counts.
    return {
      connections: { served: sum(reports.map((r) => r.connections.served)), starved: sum(reports.map((r) => r.connections.starved)) },
    };
  }
  const spread = connectionSpread(reports.flatMap((r) => r.conn_resp_counts!));
  const established = sum(reports.map((r) => r.connections.established));
  return {
    connections: { served: spread.served, starved: established - spread.served },
    fairness_jain: spread.jain === undefined ? null : round(spread.jain, 4),
    conn_resp: { min: spread.min ?? 0, p50: spread.p50 ?? 0, max: spread.max ?? 0 },
  };
}

/** The client turnaround over every host, its histograms added; left out unless every host sent one (an older agent), never estimated. */
function mergeTurnaround(runs: readonly HostClientRun[]): Pick<HostReport, "client_turnaround_us" | "turnaround_histogram"> {
  if (!runs.every((run) => run.report.turnaround_histogram !== undefined)) return { client_turnaround_us: null };
  const merged = mergeEncodedHistograms(Object.fromEntries(runs.map((run) => [run.host, run.report.turnaround_histogram!])));
  return { client_turnaround_us: turnaroundSummary(merged), turnaround_histogram: encodeHistogram(merged) };
}

/** Responses per second of the common window: the hosts' seconds added, over the seconds all of them have. */
function mergeSeries(
  reports: readonly HostReport[],
): Pick<HostReport, "resp_per_s_series" | "resp_per_s_min_1s" | "resp_per_s_max_1s" | "stall_seconds"> {
  const series = reports.map((r) => r.resp_per_s_series ?? []);
  const seconds = Math.min(...series.map((s) => s.length));
  const merged = Array.from({ length: seconds }, (_, i) => sum(series.map((s) => s[i]!)));
  return {
    resp_per_s_series: merged,
    resp_per_s_min_1s: merged.length === 0 ? null : Math.min(...merged),
    resp_per_s_max_1s: merged.length === 0 ? null : Math.max(...merged),
    stall_seconds: merged.length === 0 ? null : merged.filter((n) => n === 0).length,
  };
}
