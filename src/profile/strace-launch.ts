/**
 * strace wrapping the command from its launch (`strace -c -f -o FILE -- argv`): counts the
 * process's whole life, startup included, for programs strace cannot attach to later. Its
 * summary is written when the traced process exits, so the table is read after the stop.
 */
import type { ProfileError, ProfileTarget, Profiler, ProfilerSetup, SyscallCounts } from "./profiler.js";
import { readStraceCounts } from "./strace.js";

export class StraceLaunchProfiler implements Profiler {
  readonly target: ProfileTarget;
  private readonly rawFile: string;
  private readonly extraArgs: readonly string[];

  constructor(setup: ProfilerSetup) {
    ({ target: this.target, rawFile: this.rawFile, extraArgs: this.extraArgs } = setup);
  }

  wrap(argv: string[]): string[] {
    return ["strace", "-c", "-f", "-o", this.rawFile, ...this.extraArgs, "--", ...argv];
  }

  async begin(): Promise<void> {}

  async end(): Promise<void> {}

  result(): Promise<SyscallCounts | ProfileError> {
    return readStraceCounts(this.rawFile, this.target);
  }

  /** The wrapper is the process itself: stopping the process stops it. */
  async abort(): Promise<void> {}
}
