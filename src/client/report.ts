/** The client's report: the reference client's text lines (scrapers depend on them) or one JSON object. */
import type { ErrorCounts } from "./messages.js";
import { formatAddress } from "../process/address.js";
import { LATE_SEND_MS } from "./load-loop.js";
import type { LoadResult } from "./manager.js";
import type { LatencyHistogram } from "./histogram.js";

export interface ClientReport {
  address: string;
  mode: "closed-loop" | "open-loop";
  /** Open loop only: the requested rate (req/s) and the sends that left late. */
  target_rate?: number;
  late_sends?: number;
  requests: number;
  responses: number;
  req_per_s: number;
  resp_per_s: number;
  /** Responses ÷ (window requests + earlier requests that never got a reply), see docs/reading-the-numbers.md. */
  success_rate_pct: number;
  verify: "type" | "payload";
  /** The wire protocol (src/protocol): chat or echo. */
  protocol: string;
  /** Counted responses (chat: ECHO replies) whose payload differs from the request (always 0 under verify payload: those are bad frames). */
  payload_mismatches: number;
  /** Requests sent before the window (warmup) that timed out or were abandoned: in the success rate's denominator. */
  unanswered_before_window: number;
  latency_us: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number } | null;
  /**
   * Closed loop: the client's own time per window reply, from the reply's arrival in JS (the read
   * callback that completed it) to the next request being handed to write(); µs, from a histogram
   * of ns. Null in an open loop (sends follow the schedule, not replies) or with no reply.
   */
  client_turnaround_us: { p50: number; p99: number } | null;
  errors: ErrorCounts & { total: number };
  connections: { requested: number; established: number; in_window: number; served: number; starved: number };
  /** Jain's index of per-connection responses in the window over all requested connections; null when nothing was answered. */
  fairness_jain: number | null;
  /** Per-connection responses in the window (over all requested connections). */
  conn_resp: { min: number; p50: number; max: number };
  /** Responses per whole second of the window (a trailing partial second is left out). */
  resp_per_s_series: number[];
  resp_per_s_min_1s: number | null;
  resp_per_s_max_1s: number | null;
  /** Whole seconds of the window with no response at all. */
  stall_seconds: number | null;
  threads: number;
  /** Load processes (1: the threads above are this process's) and the loopback source addresses connected from (empty: the kernel's choice). */
  processes: number;
  source_addresses: string[];
  length: number;
  warmup_s: number;
  /** Seconds from the start of the load (worker threads included) until every connection was made or had failed. */
  connect_s: number;
  /** Connect attempts repeated after a refusal or timeout, and connections that never connected by why. */
  connect_retries: number;
  connect_errors: { refused: number; timed_out: number; other: number };
  elapsed_s: number;
  cpu: { user_s: number; sys_s: number };
  peak_rss_kb: number;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
/** Rounds down, so one lost reply in a million never shows as 100 %. */
const floorTo = (value: number, digits: number) => Math.floor(value * 10 ** digits + 1e-7) / 10 ** digits; // 1e-7: binary fractions of exact decimals

export function buildReport(result: LoadResult): ClientReport {
  const { options, latencyUs, connectionSpread: spread, seconds } = result;
  const attempted = result.requests + result.unansweredOutsideWindow;
  return {
    address: formatAddress(options.host, options.port),
    ...(options.rate === undefined
      ? { mode: "closed-loop" as const }
      : { mode: "open-loop" as const, target_rate: options.rate, late_sends: result.lateSends }),
    requests: result.requests,
    responses: result.responses,
    req_per_s: round(result.requests / result.windowS, 2),
    resp_per_s: round(result.responses / result.windowS, 2),
    success_rate_pct: attempted === 0 ? 0 : floorTo((100 * result.responses) / attempted, 3),
    verify: options.verify,
    protocol: options.protocol,
    payload_mismatches: result.payloadMismatches,
    unanswered_before_window: result.unansweredOutsideWindow,
    latency_us:
      latencyUs.totalCount === 0
        ? null
        : {
            p50: latencyUs.getValueAtPercentile(50),
            p90: latencyUs.getValueAtPercentile(90),
            p99: latencyUs.getValueAtPercentile(99),
            p999: latencyUs.getValueAtPercentile(99.9),
            max: latencyUs.maxValue,
            mean: round(latencyUs.mean, 1),
          },
    client_turnaround_us: turnaroundSummary(result.turnaroundNs),
    errors: { ...result.errors, total: (Object.values(result.errors) as number[]).reduce((a, b) => a + b, 0) },
    connections: {
      requested: options.connections,
      established: result.connectionsEstablished,
      in_window: result.connectionsInWindow,
      served: spread.served,
      starved: result.connectionsEstablished - spread.served,
    },
    fairness_jain: spread.jain === undefined ? null : round(spread.jain, 4),
    conn_resp: { min: spread.min ?? 0, p50: spread.p50 ?? 0, max: spread.max ?? 0 },
    resp_per_s_series: seconds.series,
    resp_per_s_min_1s: seconds.min ?? null,
    resp_per_s_max_1s: seconds.max ?? null,
    stall_seconds: seconds.stallSeconds ?? null,
    threads: result.spread.loops.length,
    processes: result.spread.processes,
    source_addresses: result.spread.sourceAddresses,
    length: options.length,
    connect_s: round(result.connectS, 3),
    connect_retries: result.connectRetries,
    connect_errors: result.connectErrors,
    warmup_s: options.warmupS,
    elapsed_s: round(result.windowS, 4),
    cpu: { user_s: round(result.cpuUserS, 3), sys_s: round(result.cpuSystemS, 3) },
    peak_rss_kb: result.peakRssKb,
  };
}

/** A turnaround histogram (ns) as µs percentiles, to the ns; null when empty. */
export function turnaroundSummary(turnaroundNs: LatencyHistogram): ClientReport["client_turnaround_us"] {
  if (turnaroundNs.totalCount === 0) return null;
  return { p50: turnaroundNs.getValueAtPercentile(50) / 1000, p99: turnaroundNs.getValueAtPercentile(99) / 1000 };
}

export function formatTextReport(report: ClientReport): string {
  const latency = report.latency_us;
  const errors = report.errors;
  return [
    `Speed: ${report.req_per_s.toFixed(2)} request/sec, ${report.resp_per_s.toFixed(2)} response/sec`,
    `Requests: ${report.requests}`,
    `Responses: ${report.responses}`,
    `Success rate: ${floorTo(report.success_rate_pct, 2).toFixed(2)}%`,
    latency
      ? `Latency (us): p50 ${latency.p50}, p90 ${latency.p90}, p99 ${latency.p99}, p99.9 ${latency.p999}, max ${latency.max}, mean ${latency.mean}`
      : "Latency (us): no responses in the window",
    `Errors: ${errors.total} (connect failed ${errors.connect_failed}, timed out ${errors.timed_out}, closed by server ${errors.closed_by_server}, bad frame ${errors.bad_frame})`,
    `Connections: ${report.connections.established}/${report.connections.requested} established, ${report.connections.in_window} sending in the window, on ${report.processes > 1 ? `${report.processes} processes` : `${report.threads} threads`}${report.source_addresses.length > 0 ? ` from ${report.source_addresses.join(", ")}` : ""} to ${report.address}; window ${report.elapsed_s} s after ${report.warmup_s} s warmup`,
    ...(report.mode === "open-loop"
      ? [
          `Open loop: target ${report.target_rate} request/sec, achieved ${report.req_per_s.toFixed(2)}; ${report.late_sends} sends left over ${LATE_SEND_MS} ms late; latency from the scheduled send time`,
        ]
      : []),
    // Lines after the reference client's four (scrapers read those four only).
    `Served connections: ${report.connections.served} of ${report.connections.requested} (${report.connections.starved} established but starved); responses per connection min ${report.conn_resp.min}, p50 ${report.conn_resp.p50}, max ${report.conn_resp.max}; Jain fairness ${report.fairness_jain ?? "n/a"}`,
    `Payload mismatches: ${report.payload_mismatches} (responses whose payload differs from the request; protocol ${report.protocol}, verify ${report.verify})`,
    `Per second: ${report.resp_per_s_series.length === 0 ? "window shorter than 1 s" : `min ${report.resp_per_s_min_1s}, max ${report.resp_per_s_max_1s} response/sec; ${report.stall_seconds} s without a reply`}`,
    `Connects: ${report.connect_s} s, ${report.connect_retries} retried; failed: ${report.connect_errors.refused} refused, ${report.connect_errors.timed_out} timed out, ${report.connect_errors.other} other`,
    `Unanswered before the window: ${report.unanswered_before_window} requests (timed out; counted in the success rate)`,
    `Client turnaround (us, reply in → next request to write()): ${report.client_turnaround_us ? `p50 ${report.client_turnaround_us.p50}, p99 ${report.client_turnaround_us.p99}` : "none (open loop or no replies)"}`,
    `Client: cpu user ${report.cpu.user_s} s, sys ${report.cpu.sys_s} s, peak RSS ${report.peak_rss_kb} KiB`,
  ].join("\n");
}
