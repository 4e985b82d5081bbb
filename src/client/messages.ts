/** What the manager and its worker threads say to each other. */
import type { ProtocolName } from "../protocol/index.js";
import type { HistogramCounts } from "./histogram.js";
import type { ConnectErrorCounts } from "./connect-window.js";

/** Phases, shared through one Int32 in a SharedArrayBuffer so the hot path reads it without messages. */
export const Phase = { WARMUP: 0, MEASURE: 1, DRAIN: 2 } as const;

export interface WorkerConfig {
  host: string;
  port: number;
  connections: number;
  protocol: ProtocolName;
  length: number;
  timeoutMs: number;
  /** Open loop: requests per second this loop sends on schedule; undefined = closed loop. */
  ratePerS?: number;
  /** Int32Array view over it holds the current Phase. */
  phase: SharedArrayBuffer;
  /** Float64Array view over it holds the window's start, epoch ms (performance.timeOrigin + now()), set before MEASURE. */
  windowStart: SharedArrayBuffer;
  /** Per-second buckets to keep: the window's whole seconds and one more for timer overshoot. */
  windowSeconds: number;
  /** `--verify payload`: a response whose payload differs from the request is a bad frame, not a mismatch. */
  verifyPayload: boolean;
  /** Connects this loop keeps in flight (connect-window.ts). */
  connectWindow: number;
  /** Connects this loop starts per second at most; undefined = as fast as the window frees places. */
  connectRatePerS?: number;
  /** A refused or timed-out connect is retried while this long has passed since its first attempt. */
  connectRetryMs: number;
  /** Source address to connect from (several loopback addresses give more ephemeral ports); undefined = the kernel's choice. */
  localAddress?: string;
}

export interface ErrorCounts {
  connect_failed: number;
  timed_out: number;
  closed_by_server: number;
  bad_frame: number;
}

export function emptyErrorCounts(): ErrorCounts {
  return { connect_failed: 0, timed_out: 0, closed_by_server: 0, bad_frame: 0 };
}

/** `begin`: every loop has connected, traffic starts; `stop`: the window has closed. */
export type ToWorker = { kind: "begin" } | { kind: "stop" };

export type FromWorker =
  | { kind: "connected"; established: number; failed: number; retries: number; connectErrors: ConnectErrorCounts; firstError?: string }
  | {
      kind: "result";
      requests: number;
      responses: number;
      errors: ErrorCounts;
      /** Open loop: sends that left more than LATE_SEND_MS after their scheduled time. */
      lateSends: number;
      connectionsInWindow: number;
      /** Responses in the window, one entry per connection this loop was asked to open (0 for one that failed to connect). */
      connectionResponses: number[];
      /** Counted responses whose payload differs from the request (`verify: type`). */
      payloadMismatches: number;
      /** Requests sent before the window that never got a reply (timed out or abandoned at the drain). */
      unansweredOutsideWindow: number;
      /** Responses per second of the window, by arrival time. */
      perSecond: number[];
      /** The worker's latency histogram. */
      histogram: HistogramCounts;
      /** Closed loop: the client's turnaround per window reply (reply in → next request to write()), ns. */
      turnaroundNs: HistogramCounts;
      /** A loop in a process of its own: that process's CPU over its window (µs) and its peak RSS. */
      processCpu?: NodeJS.CpuUsage;
      peakRssKb?: number;
    };
