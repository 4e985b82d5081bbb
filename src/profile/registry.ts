/**
 * Every profiler tcpsweep can run, in one table keyed by what the spec asks for. Adding a
 * profiler is one module implementing {@link Profiler} plus one entry here; a kind without an
 * entry does not compile.
 */
import { PerfWindowProfiler } from "./perf.js";
import { CpuSampleProfiler, type CpuProfile } from "./cpu.js";
import { cpuSamplingProblem, perfProblem, straceProblem } from "./preflight.js";
import type { Profiler, ProfilerSetup, SyscallSource } from "./profiler.js";
import { StraceLaunchProfiler } from "./strace-launch.js";
import { StraceWindowProfiler } from "./strace.js";

export type ProfilerKind = "strace-window" | "strace-launch" | "perf";

export interface ProfilerEntry {
  /** What the CSV's syscall_source says. */
  source: SyscallSource;
  /** It attaches to running processes (so a window should open only once it has); a launch profiler wraps the command instead. */
  attachesToRunning: boolean;
  /** Why it cannot count on this machine (with how to fix it), or undefined when it can. */
  preflight(): string | undefined;
  create(setup: ProfilerSetup): Profiler;
}

export const PROFILERS: Readonly<Record<ProfilerKind, ProfilerEntry>> = {
  "strace-window": {
    source: "strace",
    attachesToRunning: true,
    preflight: () => straceProblem("window"),
    create: (setup) => new StraceWindowProfiler(setup),
  },
  "strace-launch": {
    source: "strace",
    attachesToRunning: false,
    preflight: () => straceProblem("launch"),
    create: (setup) => new StraceLaunchProfiler(setup),
  },
  perf: {
    source: "perf",
    attachesToRunning: true,
    preflight: perfProblem,
    create: (setup) => new PerfWindowProfiler(setup),
  },
};

/** CPU stack sampling (`profile.cpu`): runs beside a syscall profiler, so it is not one of the kinds above. */
export const CPU_PROFILER = {
  preflight: cpuSamplingProblem,
  create: (setup: ProfilerSetup, hz: number): Profiler<CpuProfile> => new CpuSampleProfiler(setup, hz),
};
