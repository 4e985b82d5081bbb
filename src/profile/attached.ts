/**
 * What the profilers that attach over the window (strace -p, perf stat -p) share: the command is
 * launched unchanged, the tool is stopped with SIGINT as the window closes so it prints its
 * summary, and a tool that died early or never started is a ProfileError, never a table of zeros.
 * Each variant says how it starts (`begin`) and how its summary is read (`read`).
 */
import { ProfileError, interruptForSummary, type ProcessStarter, type ProfileTarget, type Profiler, type ProfilerProcess, type ProfilerSetup, type SyscallCounts } from "./profiler.js";

export abstract class AttachedProfiler implements Profiler {
  readonly target: ProfileTarget;
  protected readonly rawFile: string;
  protected readonly extraArgs: readonly string[];
  protected readonly launcher: ProcessStarter;
  /** The tool's process once `begin` has started it. */
  protected process?: ProfilerProcess;
  private counts?: Promise<SyscallCounts | ProfileError>;

  constructor(
    setup: ProfilerSetup,
    /** The tool's name, for messages. */
    private readonly tool: string,
  ) {
    ({ target: this.target, rawFile: this.rawFile, extraArgs: this.extraArgs, launcher: this.launcher } = setup);
  }

  abstract begin(pids: number[]): Promise<void>;

  /** The table from the tool's summary, once it has exited. */
  protected abstract read(): Promise<SyscallCounts | ProfileError>;

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

  async abort(): Promise<void> {
    if (this.process && !this.process.hasExited) await this.process.stop("SIGKILL", 0);
  }

  private async detach(): Promise<SyscallCounts | ProfileError> {
    const tool = this.process;
    if (!tool) return new ProfileError(`${this.tool} was never attached to the ${this.target}`);
    if (tool.hasExited) return new ProfileError(`${this.tool} stopped before the window ended: ${tool.stderr().trim().split("\n").slice(-2).join(" | ")}`);
    await interruptForSummary(tool);
    return this.read();
  }
}
