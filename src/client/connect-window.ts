/**
 * Opening a loop's connections as fast as the server takes them: a sliding window of attempts in
 * flight (a new one starts as soon as any finishes, never a batch waiting for its slowest member),
 * optionally paced to a rate, and a refused or timed-out attempt retried while its retry time lasts.
 *
 * An attempt holds its place in the window until it is *admitted*: the server has accepted it and
 * answered one request (a connect alone only says the kernel queued it). So the connections the
 * server has not taken yet stay below any accept queue: a SYN dropped by a full backlog costs a
 * 1 s, then 3 s retransmit. (After that request a connection stays silent until every connection
 * is made, so the server accepts them without serving traffic in between, see LoadLoop.begin.)
 */
import { performance } from "node:perf_hooks";

export interface ConnectPolicy {
  /** Attempts in flight at once (not yet admitted). */
  window: number;
  /** Attempts started per second at most; undefined = as fast as the window frees places. */
  ratePerS?: number;
  /** A refused or timed-out attempt is retried while this long has passed since the connection's first attempt. */
  retryForMs: number;
}

/** How a connect that never succeeded ended (counted once per connection, after its retries). */
export interface ConnectErrorCounts {
  refused: number;
  timed_out: number;
  other: number;
}

export const emptyConnectErrors = (): ConnectErrorCounts => ({ refused: 0, timed_out: 0, other: 0 });

/** What one attempt says back: admitted (holds the connection), or failed before connecting. */
export interface AttemptEvents {
  admitted(): void;
  failed(error: ConnectFailure): void;
}

export interface ConnectFailure {
  kind: keyof ConnectErrorCounts;
  message: string;
}

/** Errors worth another attempt: the server (or its backlog) was not ready yet. Others (no such address, no descriptors) are not. */
const RETRYABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAGAIN"]);

export function connectFailure(error: NodeJS.ErrnoException | "timeout", timeoutMs: number, where: string): ConnectFailure {
  if (error === "timeout") return { kind: "timed_out", message: `connect to ${where} timed out after ${timeoutMs} ms` };
  if (error.code === "ECONNREFUSED") return { kind: "refused", message: error.message };
  if (error.code === "ETIMEDOUT") return { kind: "timed_out", message: error.message };
  return { kind: "other", message: error.message };
}

const isRetryable = (failure: ConnectFailure): boolean =>
  failure.kind !== "other" || RETRYABLE.has(/\b(E[A-Z]+)\b/.exec(failure.message)?.[1] ?? "");

/** First retry after this long, doubling up to RETRY_BACKOFF_MAX_MS: a refusing server gets room. */
const RETRY_BACKOFF_MS = 10;
const RETRY_BACKOFF_MAX_MS = 500;

export interface ConnectOutcome {
  failed: number;
  retries: number;
  errors: ConnectErrorCounts;
  firstError?: string;
}

/**
 * Opens `total` connections through `attempt` (which starts one connect and reports on `events`);
 * resolves when every connection is admitted or has failed for good.
 */
export function openConnections(total: number, policy: ConnectPolicy, attempt: (events: AttemptEvents) => void): Promise<ConnectOutcome> {
  const outcome: ConnectOutcome = { failed: 0, retries: 0, errors: emptyConnectErrors() };
  const started = performance.now();
  let begun = 0; // connections whose first attempt has started
  let inFlight = 0;
  let settled = 0;
  let paceTimer: NodeJS.Timeout | undefined;
  return new Promise((resolve) => {
    if (total === 0) return resolve(outcome);
    const settle = () => {
      inFlight--;
      if (++settled === total) {
        clearTimeout(paceTimer);
        resolve(outcome);
      } else fill();
    };
    const tryOnce = (firstAt: number, backoffMs: number) => {
      let done = false;
      attempt({
        admitted: () => {
          if (done) return;
          done = true;
          settle();
        },
        failed: (failure) => {
          if (done) return;
          done = true;
          if (isRetryable(failure) && performance.now() - firstAt + backoffMs < policy.retryForMs) {
            outcome.retries++;
            setTimeout(() => tryOnce(firstAt, Math.min(backoffMs * 2, RETRY_BACKOFF_MAX_MS)), backoffMs);
            return; // keeps its place in the window
          }
          outcome.failed++;
          outcome.errors[failure.kind]++;
          outcome.firstError ??= failure.message;
          settle();
        },
      });
    };
    const fill = () => {
      while (begun < total && inFlight < policy.window) {
        if (policy.ratePerS !== undefined) {
          const allowed = Math.floor(((performance.now() - started) * policy.ratePerS) / 1000) + 1;
          if (begun >= allowed) {
            if (paceTimer === undefined) {
              const nextAt = started + (begun * 1000) / policy.ratePerS;
              paceTimer = setTimeout(() => ((paceTimer = undefined), fill()), Math.max(1, nextAt - performance.now()));
            }
            return;
          }
        }
        begun++;
        inFlight++;
        tryOnce(performance.now(), RETRY_BACKOFF_MS);
      }
    };
    fill();
  });
}
