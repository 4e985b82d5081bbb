/**
 * Clock offset of a remote host, measured over the request/response channel we already have to
 * it (the agent's ssh session), NTP-style. Hosts' clocks disagree by more than a measurement window
 * can tolerate, and a sweep cannot assume NTP is set up on lab machines; what it can do is bound
 * the disagreement: the remote read its clock somewhere between our send (t0) and our receive
 * (t2), so offset = t1 - (t0 + t2) / 2 is wrong by at most half the round trip. Several samples are
 * taken and the one with the smallest round trip (the tightest bound) is kept.
 */

/** Milliseconds since the epoch with sub-millisecond resolution; what both ends report. */
export function preciseNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface ClockSample {
  /** Remote clock minus local clock, ms. */
  offsetMs: number;
  /** Local receive minus local send, ms. */
  rttMs: number;
  /** |true offset - offsetMs| is at most this (half the round trip), ms. */
  errorBoundMs: number;
}

/** One exchange: `t0` local send, `t1` the remote's clock, `t2` local receive (all ms). */
export function clockSample(t0: number, t1: number, t2: number): ClockSample {
  if (!(t2 >= t0)) throw new Error(`clock sample: receive time ${t2} is before send time ${t0}`);
  const rttMs = t2 - t0;
  return { offsetMs: t1 - (t0 + t2) / 2, rttMs, errorBoundMs: rttMs / 2 };
}

/** The sample with the smallest round trip. */
export function bestClockSample(samples: readonly ClockSample[]): ClockSample {
  if (samples.length === 0) throw new Error("clock offset: no samples");
  return samples.reduce((best, sample) => (sample.rttMs < best.rttMs ? sample : best));
}

export interface ClockEstimateOptions {
  /** Round trips to make (default 8). */
  samples?: number;
  /** The local clock (default {@link preciseNowMs}); tests pass a virtual one. */
  now?: () => number;
}

export interface ClockEstimate extends ClockSample {
  samples: ClockSample[];
}

/**
 * Asks `remoteNow` (one request/response over the channel, resolving to the remote's
 * {@link preciseNowMs}) `samples` times, one after the other, and keeps the tightest sample.
 */
export async function estimateClockOffset(remoteNow: () => Promise<number>, options: ClockEstimateOptions = {}): Promise<ClockEstimate> {
  const now = options.now ?? preciseNowMs;
  const count = options.samples ?? 8;
  if (!Number.isInteger(count) || count < 1) throw new Error(`clock offset: samples must be a positive integer, not ${count}`);
  const samples: ClockSample[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = now();
    const t1 = await remoteNow();
    const t2 = now();
    samples.push(clockSample(t0, t1, t2));
  }
  return { ...bestClockSample(samples), samples };
}
