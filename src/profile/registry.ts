/**
 * Every profiler tcpsweep can run, in one table keyed by what the spec asks for. Adding a
 * profiler is one module implementing {@link Profiler} plus one entry here; a kind without an
 * entry does not compile.
 */
import { PerfWindowProfiler } from "./perf.js";
import { perfProblem, straceProblem } from "./preflight.js";
import type { ProfileTarget, Profiler, SyscallSource } from "./profiler.js";
import { StraceLaunchProfiler } from "./strace-launch.js";
import { StraceWindowProfiler } from "./strace.js";

export type ProfilerKind = "strace-window" | "strace-launch" | "perf";

export interface ProfilerEntry {
  /** What the CSV's syscall_source says. */
  source: SyscallSource;
  /** Why it cannot count on this machine (with how to fix it), or undefined when it can. */
  preflight(): string | undefined;
  create(target: ProfileTarget, rawFile: string, extraArgs: readonly string[]): Profiler;
}

export const PROFILERS: Readonly<Record<ProfilerKind, ProfilerEntry>> = {
  "strace-window": {
    source: "strace",
    preflight: () => straceProblem("window"),
    create: (target, rawFile, extraArgs) => new StraceWindowProfiler(target, rawFile, extraArgs),
  },
  "strace-launch": {
    source: "strace",
    preflight: () => straceProblem("launch"),
    create: (target, rawFile, extraArgs) => new StraceLaunchProfiler(target, rawFile, extraArgs),
  },
  perf: {
    source: "perf",
    preflight: perfProblem,
    create: (target, rawFile) => new PerfWindowProfiler(target, rawFile),
  },
};
