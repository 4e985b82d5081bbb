/** strace -c -f as a window profiler (attach to running processes) or a launch wrapper. */
import { readFile } from "node:fs/promises";
import { AttachedProfiler } from "./attached.js";
import { ProfileError, type ProfileTarget, type ProfilerSetup, type SyscallCounts } from "./profiler.js";
import { StraceParseError, parseStraceSummary, type SyscallRow } from "./strace-summary.js";

/** Reads and parses a summary file into counts, or says why it cannot. */
export async function readStraceCounts(rawFile: string, target: ProfileTarget): Promise<SyscallCounts | ProfileError> {
  let text: string;
  try {
    text = await readFile(rawFile, "utf8");
  } catch (error) {
    return new ProfileError(`strace wrote no summary file ${rawFile}: ${(error as Error).message}`);
  }
  const summary = parseStraceSummary(text);
  if (summary instanceof StraceParseError) return new ProfileError(`strace summary of the ${target} (${rawFile}): ${summary.message}`);
  const count = (row: SyscallRow) => ({
    syscall: row.syscall,
    calls: row.calls ?? 0,
    errors: row.errors ?? undefined,
    seconds: row.seconds ?? undefined,
    usecs_per_call: row.usecs_per_call ?? undefined,
    percent_time: row.percent_time ?? undefined,
  });
  // Other personalities (32-bit calls of a 64-bit program) are counted in with the native table.
  const tables = [summary, ...(summary.extra_tables ?? [])];
  return {
    source: "strace",
    target,
    rows: tables.flatMap((table) => table.rows.map(count)),
    total: {
      calls: tables.reduce((sum, table) => sum + (table.total.calls ?? 0), 0),
      errors: tables.reduce((sum, table) => sum + (table.total.errors ?? 0), 0),
    },
    rawFile,
  };
}

/**
 * Attaches `strace -c -f -p PID…` to every process of a tree before the window opens and detaches
 * with SIGINT as it closes, so strace prints the window's summary: all threads and worker
 * processes, and nothing of startup or warmup.
 */
export class StraceWindowProfiler extends AttachedProfiler {
  constructor(setup: ProfilerSetup) {
    super(setup, "strace");
  }

  async begin(pids: number[]): Promise<void> {
    const strace = this.launcher.start({
      argv: ["strace", "-c", "-f", "-o", this.rawFile, ...this.extraArgs, ...pids.flatMap((pid) => ["-p", String(pid)])],
    });
    this.process = strace;
    // With -f, strace says "Process N attached with T threads" once it holds every thread of N.
    const attached = new Set<string>();
    await this.awaitAttach(
      strace,
      (line) => {
        const match = /Process (\d+) attached/.exec(line);
        if (match) attached.add(match[1]!);
        return pids.every((pid) => attached.has(String(pid)));
      },
      () =>
        `attached to ${attached.size} of ${pids.length} processes; not to ${pids.filter((pid) => !attached.has(String(pid))).join(", ")}`,
    );
  }

  protected read(): Promise<SyscallCounts | ProfileError> {
    return readStraceCounts(this.rawFile, this.target);
  }
}
