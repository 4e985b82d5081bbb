/**
 * perf's enable handshake, shared by `perf stat` (perf.ts) and `perf record` (cpu.ts): the events are
 * opened disabled (-D -1) and enabled by "enable" on the control fd (stdin); perf acknowledges on
 * stderr ("Events enabled") once every event of every thread counts, which is when it is attached.
 */
import type { ProfilerProcess } from "./profiler.js";

/** The arguments that open perf's events disabled, with stdin/stdout as its control fds. */
export const PERF_CONTROL_ARGS = ["-D", "-1", "--control", "fd:0,1"] as const;

/** Asks a perf started with PERF_CONTROL_ARGS to enable its events. */
export function enablePerfEvents(perf: ProfilerProcess): void {
  perf.writeStdin?.("enable\n");
}

/** The stderr line that says perf has opened its events, disabled (-D -1): it is attached but does not count yet. */
export const perfEventsDisabled = (line: string): boolean => line.includes("Events disabled");

/** The stderr line that says perf's events are enabled (for AttachedProfiler.awaitAttach). */
export const perfEventsEnabled = (line: string): boolean => line.includes("Events enabled");

export const PERF_NEVER_ENABLED = (): string => "it never said its events were enabled";
