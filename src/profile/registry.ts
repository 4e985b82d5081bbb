/**
 * Every profiler variant tcpsweep can run, in one table keyed by the name that the trace plan and
 * the agent's messages use. Which variant a spec's `profile:` entry asks for is decided in the
 * kinds' table (src/sweep/profile-kinds.ts). Adding a profiler is one module implementing
 * {@link Profiler} plus one entry here and one there.
 */
import { PerfWindowProfiler } from "./perf.js";
import { BpfProfiler } from "./bpf.js";
import { CpuSampleProfiler, type CpuProfile } from "./cpu.js";
import { bpfProblem, cpuSamplingProblem, perfProblem, straceProblem } from "./preflight.js";
import type { Profiler, ProfilerSetup, SyscallSource } from "./profiler.js";
import { StraceLaunchProfiler } from "./strace-launch.js";
import { StraceWindowProfiler } from "./strace.js";

export interface ProfilerEntry {
  /** What the CSV's syscall_source says. */
  source: SyscallSource;
  /** It attaches to running processes (so a window should open only once it has); a launch profiler wraps the command instead. */
  attachesToRunning: boolean;
  /** Why it cannot count on this machine (with how to fix it), or undefined when it can. */
  preflight(): string | undefined;
  create(setup: ProfilerSetup): Profiler;
}

export const PROFILERS = {
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
  // eBPF with time per syscall, and counts only (profile.bpf.time: false)
  bpf: {
    source: "bpf",
    attachesToRunning: true,
    preflight: bpfProblem,
    create: (setup) => new BpfProfiler(setup, true),
  },
  "bpf-counts": {
    source: "bpf",
    attachesToRunning: true,
    preflight: bpfProblem,
    create: (setup) => new BpfProfiler(setup, false),
  },
} as const satisfies Record<string, ProfilerEntry>;

export type ProfilerKind = keyof typeof PROFILERS;

/** Every variant's name (the agent's messages accept exactly these). */
export const PROFILER_KINDS = Object.keys(PROFILERS) as [ProfilerKind, ...ProfilerKind[]];

/** CPU stack sampling (`profile.cpu`): runs beside a syscall profiler in the traced pass, so it is not one of the variants above. */
export const CPU_PROFILER = {
  preflight: cpuSamplingProblem,
  create: (setup: ProfilerSetup, hz: number): Profiler<CpuProfile> => new CpuSampleProfiler(setup, hz),
};
