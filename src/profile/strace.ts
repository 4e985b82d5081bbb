/** strace -c -f as a window profiler (attach to running processes) or a launch wrapper. */
import { readFile } from "node:fs/promises";
import { ProfileError, interruptForSummary, type ProfileTarget, type Profiler, type ProcessStarter, type ProfilerProcess, type ProfilerSetup, type SyscallCounts } from "./profiler.js";
import { StraceParseError, parseStraceSummary, type SyscallRow } from "./strace-summary.js";

/** How long attaching may take before the window is counted anyway (strace attaches in milliseconds). */
const ATTACH_WAIT_MS = 3000;

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
 * Attaches `strace -c -f -p PID…` to every process of a tree as the window opens and detaches
 * with SIGINT as it closes, so strace prints the window's summary: all threads and worker
 * processes, and nothing of startup or warmup.
 */
export class StraceWindowProfiler implements Profiler {
  private strace?: ProfilerProcess;
  private counts?: Promise<SyscallCounts | ProfileError>;

  readonly target: ProfileTarget;
  private readonly rawFile: string;
  private readonly extraArgs: readonly string[];
  private readonly launcher: ProcessStarter;

  constructor(setup: ProfilerSetup) {
    ({ target: this.target, rawFile: this.rawFile, extraArgs: this.extraArgs, launcher: this.launcher } = setup);
  }

  async begin(pids: number[]): Promise<void> {
    const strace = this.launcher.start({ argv: ["strace", "-c", "-f", "-o", this.rawFile, ...this.extraArgs, ...pids.flatMap((pid) => ["-p", String(pid)])] });
    this.strace = strace;
    const attached = new Set<string>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ATTACH_WAIT_MS);
      const done = () => (clearTimeout(timer), resolve());
      strace.stderrLines((line) => {
        const match = /Process (\d+) attached/.exec(line);
        if (match) attached.add(match[1]!);
        if (pids.every((pid) => attached.has(String(pid)))) done();
      });
      void strace.exited.then(done);
    });
  }

  wrap(argv: string[]): string[] {
    return argv;
  }

  async end(): Promise<void> {
    this.counts ??= this.detach();
    await this.counts;
  }

  result(): Promise<SyscallCounts | ProfileError> {
    return this.counts ?? Promise.resolve(new ProfileError(`the ${this.target}'s window never closed, so it was not profiled`));
  }

  private async detach(): Promise<SyscallCounts | ProfileError> {
    const strace = this.strace;
    if (!strace) return new ProfileError(`strace was never attached to the ${this.target}`);
    if (strace.hasExited) {
      return new ProfileError(`strace stopped before the window ended: ${strace.stderr().trim().split("\n").slice(-2).join(" | ")}`);
    }
    await interruptForSummary(strace);
    return readStraceCounts(this.rawFile, this.target);
  }

  async abort(): Promise<void> {
    if (this.strace && !this.strace.hasExited) await this.strace.stop("SIGKILL", 0);
  }
}
