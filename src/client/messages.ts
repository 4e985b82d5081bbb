/** What the manager and its worker threads say to each other. */
import type { HistogramCounts } from "./histogram.js";

/** Phases, shared through one Int32 in a SharedArrayBuffer so the hot path reads it without messages. */
export const Phase = { WARMUP: 0, MEASURE: 1, DRAIN: 2 } as const;

export interface WorkerConfig {
  host: string;
  port: number;
  connections: number;
  length: number;
  timeoutMs: number;
  /** Open loop: requests per second this loop sends on schedule; undefined = closed loop. */
  ratePerS?: number;
  /** Int32Array view over it holds the current Phase. */
  phase: SharedArrayBuffer;
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

export type ToWorker = { kind: "stop" };

export type FromWorker =
  | { kind: "connected"; established: number; failed: number; firstError?: string }
  | {
      kind: "result";
      requests: number;
      responses: number;
      errors: ErrorCounts;
      /** Open loop: sends that left more than LATE_SEND_MS after their scheduled time. */
      lateSends: number;
      connectionsInWindow: number;
      /** The worker's latency histogram. */
      histogram: HistogramCounts;
    };
