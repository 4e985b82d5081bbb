/**
 * Syscall counting over a cell's measured window, behind one interface for strace, perf and bpf:
 * `begin(pids)` as the window opens, `end()` as it closes → a table of counts per syscall.
 */

export type ProfileTarget = "server" | "client";
export type SyscallSource = "strace" | "perf" | "bpf";

export interface SyscallCount {
  syscall: string;
  calls: number;
  /** Calls that returned an error; undefined when the source cannot tell per syscall. */
  errors?: number;
  seconds?: number;
  usecs_per_call?: number;
  percent_time?: number;
  /** The median and 99th percentile time of a call: the upper edge of the log2 bucket that holds it (bpf only). */
  p50_us?: number;
  p99_us?: number;
}

export interface SyscallCounts {
  source: SyscallSource;
  target: ProfileTarget;
  rows: SyscallCount[];
  total: { calls: number; errors?: number };
  /** The profiler's own output, kept so every figure can be traced back. */
  rawFile: string;
}

/**
 * What a profiler needs of its own process (a launcher's `Launched` is one). Declared here, by the
 * profiler, so that profile/ needs nothing of launch/ (launch/ imports profile/ for remote profilers).
 */
export interface ProfilerProcess {
  readonly exited: Promise<unknown>;
  readonly hasExited: boolean;
  stderr(): string;
  stderrLines(listener: (line: string) => void): void;
  /** Present when started with `stdin: true` (perf's control commands). */
  writeStdin?(text: string): void;
  signal(signal: NodeJS.Signals): void;
  stop(signal: NodeJS.Signals, graceMs: number): Promise<unknown>;
}

/** Starts a profiler's process on the host of the processes it watches (a `Launcher` is one). */
export interface ProcessStarter {
  start(request: { argv: readonly string[]; stdin?: boolean }): ProfilerProcess;
}

export interface ProfilerSetup {
  target: ProfileTarget;
  /** Where its raw output goes (kept beside the run's log). */
  rawFile: string;
  /** Extra arguments from the spec (strace's `args`). */
  extraArgs: readonly string[];
  /** Starts the profiler's own process, on the host of the processes it watches. */
  launcher: ProcessStarter;
}

/** Why a profile could not be taken; becomes part of the row's error, never a table of zeros. */
export class ProfileError extends Error {}

/**
 * One profiler watching one target of one traced pass. Every variant (strace attached over the
 * window, strace wrapping the command from launch, perf tracepoints) implements all of it; the
 * variants are registered in registry.ts.
 */
export interface Profiler<Result = SyscallCounts> {
  readonly target: ProfileTarget;
  /** The command as launched: a launch profiler wraps it, a window profiler returns it unchanged. */
  wrap(argv: string[]): string[];
  /**
   * Start counting these processes (all their threads and future children); resolves once the
   * tool counts every one of them, or once it is clear it does not (then `result()` says why).
   */
  begin(pids: number[]): Promise<void>;
  /**
   * Optional: opens the counters on these processes switched off, before the window (during the warmup),
   * so that `begin` only switches them on and the tool's start-up is not spent outside the warmup.
   * `begin` does what is missing when this was not called.
   */
  prepare?(pids: number[]): Promise<void>;
  /** The window closed: stop counting (a launch profiler counts until its process exits). */
  end(): Promise<void>;
  /** The table, or why there is none; called once the target's processes have stopped. */
  result(): Promise<Result | ProfileError>;
  /** Kills the profiler if it is still running (interrupt, failure). */
  abort(): Promise<void>;
}

/** Stops a profiler process the way that makes it print its summary, within a bounded time. */
export async function interruptForSummary(child: ProfilerProcess, limitMs = 10_000): Promise<void> {
  child.signal("SIGINT");
  const timer = setTimeout(() => child.signal("SIGKILL"), limitMs);
  await child.exited;
  clearTimeout(timer);
}

/** How many of the most-called syscalls are searched for io_uring_enter. */
const IO_URING_TOP = 5;
export const IO_URING_NOTE = "io_uring: sends/receives not visible as syscalls";

/** The headline figures of a table for the main CSV row. */
export function summarize(counts: SyscallCounts, responses: number | undefined) {
  const ranked = [...counts.rows].sort((a, b) => b.calls - a.calls);
  const top = ranked[0];
  // io_uring submits sends and receives through a shared ring: per-request syscalls cannot be compared with an epoll server's.
  const usesIoUring = ranked.slice(0, IO_URING_TOP).some((row) => row.syscall === "io_uring_enter");
  return {
    note: usesIoUring ? IO_URING_NOTE : undefined,
    syscalls_total: counts.total.calls,
    syscall_errors: counts.total.errors,
    syscalls_per_request: responses ? Number((counts.total.calls / responses).toFixed(3)) : undefined,
    top_syscall: top ? `${top.syscall} (${Math.round((100 * top.calls) / Math.max(1, counts.total.calls))}%)` : undefined,
  };
}
