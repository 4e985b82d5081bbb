/**
 * Low-overhead syscall counting with Linux tracepoints (`perf stat`): the total from
 * raw_syscalls:sys_enter, failed calls from raw_syscalls:sys_exit with ret < 0, and per-syscall
 * counts from syscalls:sys_enter_* for the calls a network server makes. No ptrace, so the
 * target runs at nearly full speed; the price is that only the listed syscalls get a row.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { AttachedProfiler } from "./attached.js";
import { ProfileError, type ProfileTarget, type ProfilerSetup, type SyscallCount, type SyscallCounts } from "./profiler.js";

/** Per-syscall events are one file descriptor per thread each, so only these get their own row. */
const COUNTED_SYSCALLS = [
  "read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg", "sendmsg",
  "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "poll", "ppoll", "select", "pselect6",
  "io_uring_enter", "futex", "accept", "accept4", "close", "shutdown", "mmap", "munmap", "madvise",
  "brk", "mprotect", "getpid", "sched_yield", "nanosleep", "clock_nanosleep", "clock_gettime",
];
const TOTAL_EVENT = "raw_syscalls:sys_enter";
const ERROR_EVENT = "raw_syscalls:sys_exit";
const OTHER_ROW = "(other)";

function tracepointExists(name: string): boolean {
  return ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"].some((root) => existsSync(`${root}/events/syscalls/sys_enter_${name}`));
}

/** `perf stat -x,` lines: `count,unit,event,…`; "<not counted>" / "<not supported>" are failures. */
export function parsePerfStat(text: string, target: ProfileTarget, rawFile: string): SyscallCounts | ProfileError {
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [count, , event] = line.split(",");
    if (!event || count === undefined) continue;
    if (!/^\d+$/.test(count)) return new ProfileError(`perf could not count ${event}: ${count}`);
    counts.set(event, (counts.get(event) ?? 0) + Number(count));
  }
  const total = counts.get(TOTAL_EVENT);
  if (total === undefined) return new ProfileError(`perf output (${rawFile}) has no ${TOTAL_EVENT} count`);
  const rows: SyscallCount[] = [];
  for (const [event, calls] of counts) {
    const name = /^syscalls:sys_enter_(.+)$/.exec(event)?.[1];
    if (name && calls > 0) rows.push({ syscall: name, calls });
  }
  const listed = rows.reduce((sum, row) => sum + row.calls, 0);
  if (total > listed) rows.push({ syscall: OTHER_ROW, calls: total - listed });
  rows.sort((a, b) => b.calls - a.calls);
  return { source: "perf", target, rows, total: { calls: total, errors: counts.get(ERROR_EVENT) }, rawFile };
}

export class PerfWindowProfiler extends AttachedProfiler {
  constructor(setup: ProfilerSetup) {
    super(setup, "perf");
  }

  async begin(pids: number[]): Promise<void> {
    const events = ["-e", TOTAL_EVENT, "-e", ERROR_EVENT, "--filter", "ret < 0"];
    for (const name of COUNTED_SYSCALLS.filter(tracepointExists)) events.push("-e", `syscalls:sys_enter_${name}`);
    // Counters opened disabled (-D -1) and enabled by a command on stdin: perf acknowledges it on
    // stderr ("Events enabled") once every counter of every thread counts, which is when it is attached.
    const argv = ["perf", "stat", "-x,", "--no-big-num", "-o", this.rawFile, "-D", "-1", "--control", "fd:0,1", ...events, "-p", pids.join(",")];
    const perf = this.launcher.start({ argv, stdin: true });
    this.process = perf;
    perf.writeStdin?.("enable\n");
    await this.awaitAttach(perf, (line) => line.includes("Events enabled"), () => "it never said its events were enabled");
  }

  protected async read(): Promise<SyscallCounts | ProfileError> {
    let text: string;
    try {
      text = await readFile(this.rawFile, "utf8");
    } catch (error) {
      return new ProfileError(`perf wrote no output file ${this.rawFile}: ${(error as Error).message}`);
    }
    return parsePerfStat(text, this.target, this.rawFile);
  }
}
