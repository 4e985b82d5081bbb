/**
 * Where a run's wall time goes, as consecutive phases (server start, client start with connects
 * and warmup, a traced pass's profilers attach and window opening, window, drain, server stop,
 * profiler results): each mark closes the current phase
 * and opens the next, so the phases add up to the run's wall time exactly. The raw log gets the
 * list and the row gets `overhead_s`: the wall time that was neither warmup nor window.
 */
import { performance } from "node:perf_hooks";

export interface PhaseSpan {
  phase: string;
  seconds: number;
}

export class PhaseClock {
  private readonly spans: PhaseSpan[] = [];
  private last = performance.now();

  constructor(private current: string) {}

  /** Closes the current phase now and opens `phase` (a phase named twice gets two spans). */
  next(phase: string): void {
    const now = performance.now();
    this.spans.push({ phase: this.current, seconds: (now - this.last) / 1000 });
    this.last = now;
    this.current = phase;
  }

  /** Every closed phase plus the open one up to now. */
  phases(): PhaseSpan[] {
    return [...this.spans, { phase: this.current, seconds: (performance.now() - this.last) / 1000 }];
  }
}

export const totalSeconds = (spans: readonly PhaseSpan[]) => spans.reduce((sum, span) => sum + span.seconds, 0);

/** Wall time that was neither warmup nor measured window, in seconds (never below 0). */
export function overheadSeconds(spans: readonly PhaseSpan[], warmupS: number, windowS: number): number {
  return Math.max(0, Number((totalSeconds(spans) - warmupS - windowS).toFixed(3)));
}

/** One line per phase, for the raw log. */
export function formatPhases(spans: readonly PhaseSpan[]): string {
  return [...spans.map((span) => `${span.phase}: ${span.seconds.toFixed(3)} s`), `total: ${totalSeconds(spans).toFixed(3)} s`].join("\n");
}
