/**
 * Low-overhead syscall counting with Linux tracepoints (`perf stat`): the total from
 * raw_syscalls:sys_enter, failed calls from raw_syscalls:sys_exit with ret < 0, and per-syscall
 * counts for the calls a network server makes (raw_syscalls:sys_enter filtered on each one's
 * number; see perfCounters). No ptrace, so the target runs at nearly full speed; the price is that
 * only the listed syscalls get a row.
 */
import { PERF_CONTROL_ARGS, PERF_NEVER_ENABLED, enablePerfEvents, perfEventsDisabled, perfEventsEnabled } from "./perf-control.js";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { AttachedProfiler } from "./attached.js";
import { syscallNumbers } from "./syscall-numbers.js";
import { ProfileError, type ProfileTarget, type ProfilerSetup, type SyscallCount, type SyscallCounts } from "./profiler.js";

/** Per-syscall events are one file descriptor per thread each, so only these get their own row. */
const COUNTED_SYSCALLS = [
  "read",
  "write",
  "readv",
  "writev",
  "recvfrom",
  "sendto",
  "recvmsg",
  "sendmsg",
  "epoll_wait",
  "epoll_pwait",
  "epoll_pwait2",
  "epoll_ctl",
  "poll",
  "ppoll",
  "select",
  "pselect6",
  "io_uring_enter",
  "futex",
  "accept",
  "accept4",
  "close",
  "shutdown",
  "mmap",
  "munmap",
  "mremap",
  "madvise",
  "brk",
  "mprotect",
  "getpid",
  "sched_yield",
  "nanosleep",
  "clock_nanosleep",
  "clock_gettime",
];
const TOTAL_EVENT = "raw_syscalls:sys_enter";
const ERROR_EVENT = "raw_syscalls:sys_exit";
const OTHER_ROW = "(other)";

/** One counter perf is asked for: what its line in perf's output adds to (the total, the errors or one syscall's row). */
export interface PerfCounter {
  counts: { kind: "total" } | { kind: "errors" } | { kind: "syscall"; name: string };
  /** The event name perf prints on the counter's line. */
  event: string;
  args: string[];
}

function tracepointExists(name: string): boolean {
  return ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"].some((root) => existsSync(`${root}/events/syscalls/sys_enter_${name}`));
}

/**
 * The counters, in the order perf prints them. Where the architecture's syscall numbers are known,
 * each syscall is raw_syscalls:sys_enter filtered on its number: one tracepoint for all, so perf
 * exits in ~0.2 s instead of ~1.2 s (src/profile/syscall-numbers.ts); elsewhere its own tracepoint.
 */
export function perfCounters(
  numbers: Readonly<Record<string, number>> | undefined,
  exists: (name: string) => boolean = tracepointExists,
): PerfCounter[] {
  const counters: PerfCounter[] = [
    { counts: { kind: "total" }, event: TOTAL_EVENT, args: ["-e", TOTAL_EVENT] },
    { counts: { kind: "errors" }, event: ERROR_EVENT, args: ["-e", ERROR_EVENT, "--filter", "ret < 0"] },
  ];
  for (const name of COUNTED_SYSCALLS) {
    const id = numbers?.[name];
    if (numbers && id === undefined) continue; // no such syscall on this architecture
    if (id !== undefined)
      counters.push({ counts: { kind: "syscall", name }, event: TOTAL_EVENT, args: ["-e", TOTAL_EVENT, "--filter", `id == ${id}`] });
    else if (exists(name))
      counters.push({ counts: { kind: "syscall", name }, event: `syscalls:sys_enter_${name}`, args: ["-e", `syscalls:sys_enter_${name}`] });
  }
  return counters;
}

/**
 * `perf stat -x,` lines (`count,unit,event,…`), one per counter in the order asked, several
 * with the same event name; "<not counted>" / "<not supported>" are failures.
 */
export function parsePerfStat(
  text: string,
  counters: readonly PerfCounter[],
  target: ProfileTarget,
  rawFile: string,
): SyscallCounts | ProfileError {
  const lines = text.split("\n").filter((line) => line.split(",")[2]);
  if (lines.length !== counters.length)
    return new ProfileError(`perf output (${rawFile}) has ${lines.length} counts for ${counters.length} counters`);
  let total: number | undefined;
  let errors: number | undefined;
  const calls = new Map<string, number>();
  for (const [index, line] of lines.entries()) {
    const [count, , event] = line.split(",");
    const counter = counters[index]!;
    if (event !== counter.event)
      return new ProfileError(`perf output (${rawFile}) line ${index + 1}: ${event} where ${counter.event} was asked for`);
    if (!/^\d+$/.test(count!)) return new ProfileError(`perf could not count ${counter.args.join(" ")}: ${count}`);
    const value = Number(count);
    if (counter.counts.kind === "total") total = value;
    else if (counter.counts.kind === "errors") errors = value;
    else calls.set(counter.counts.name, (calls.get(counter.counts.name) ?? 0) + value);
  }
  if (total === undefined) return new ProfileError(`perf output (${rawFile}) has no ${TOTAL_EVENT} count`);
  const rows: SyscallCount[] = [...calls].filter(([, n]) => n > 0).map(([syscall, n]) => ({ syscall, calls: n }));
  const listed = rows.reduce((sum, row) => sum + row.calls, 0);
  if (total > listed) rows.push({ syscall: OTHER_ROW, calls: total - listed });
  rows.sort((a, b) => b.calls - a.calls);
  return { source: "perf", target, rows, total: { calls: total, errors }, rawFile };
}

/** perf never printed "Events disabled": it did not open its events. */
const PERF_NEVER_STARTED = (): string => "it never said its events were opened";

export class PerfWindowProfiler extends AttachedProfiler {
  private readonly counters = perfCounters(syscallNumbers());

  constructor(setup: ProfilerSetup) {
    super(setup, "perf");
  }

  private preparing?: Promise<void>;

  /** Starts perf with its events opened but off (during the warmup): its start-up is then not time between windows. */
  prepare(pids: number[]): Promise<void> {
    this.preparing ??= (async () => {
      const events = this.counters.flatMap((counter) => counter.args);
      const argv = ["perf", "stat", "-x,", "--no-big-num", "-o", this.rawFile, ...PERF_CONTROL_ARGS, ...events, "-p", pids.join(",")];
      const perf = this.launcher.start({ argv, stdin: true });
      this.process = perf;
      await this.awaitAttach(perf, perfEventsDisabled, PERF_NEVER_STARTED);
    })();
    return this.preparing;
  }

  /** Switches the counters on; attached once perf says every counter of every thread counts (perf-control.ts). */
  async begin(pids: number[]): Promise<void> {
    await this.prepare(pids);
    const perf = this.process;
    if (!perf || perf.hasExited || this.attachFailed) return;
    enablePerfEvents(perf);
    await this.awaitAttach(perf, perfEventsEnabled, PERF_NEVER_ENABLED);
  }

  protected async read(): Promise<SyscallCounts | ProfileError> {
    let text: string;
    try {
      text = await readFile(this.rawFile, "utf8");
    } catch (error) {
      return new ProfileError(`perf wrote no output file ${this.rawFile}: ${(error as Error).message}`);
    }
    return parsePerfStat(text, this.counters, this.target, this.rawFile);
  }
}
