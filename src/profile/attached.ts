/**
 * What the profilers that attach over the window (strace -p, perf stat -p) share: the command is
 * launched unchanged, the tool is stopped with SIGINT as the window closes so it prints its
 * summary, and a tool that died early or never started is a ProfileError, never a table of zeros.
 * Each variant says how it starts (`begin`, which waits for the tool to say it is attached: the
 * window opens only then) and how its summary is read (`read`).
 */
import {
  ProfileError,
  interruptForSummary,
  type ProcessStarter,
  type ProfileTarget,
  type Profiler,
  type ProfilerProcess,
  type ProfilerSetup,
  type SyscallCounts,
} from "./profiler.js";

/**
 * How long a tool may take to say it counts every process. The window waits for it, so a slow
 * attach costs time, not counts; past this the tool is given up and the row says why.
 */
export const ATTACH_LIMIT_MS = 15_000;

/** `Result`: what the tool's output is read into (a syscall table, or a CPU profile's folded stacks). */
export abstract class AttachedProfiler<Result = SyscallCounts> implements Profiler<Result> {
  readonly target: ProfileTarget;
  protected readonly rawFile: string;
  protected readonly extraArgs: readonly string[];
  protected readonly launcher: ProcessStarter;
  /** The tool's process once `begin` has started it. */
  protected process?: ProfilerProcess;
  private counts?: Promise<Result | ProfileError>;
  /** Why the tool does not count the whole window (it did not attach to every process in time). */
  private attachProblem?: string;
  /** Whether attaching failed already (then there is nothing more to switch on). */
  protected get attachFailed(): boolean {
    return this.attachProblem !== undefined;
  }

  constructor(
    setup: ProfilerSetup,
    /** The tool's name, for messages. */
    private readonly tool: string,
  ) {
    ({ target: this.target, rawFile: this.rawFile, extraArgs: this.extraArgs, launcher: this.launcher } = setup);
  }

  abstract begin(pids: number[]): Promise<void>;

  /** The table from the tool's summary, once it has exited. */
  protected abstract read(): Promise<Result | ProfileError>;

  wrap(argv: string[]): string[] {
    return argv;
  }

  async end(): Promise<void> {
    this.counts ??= this.detach();
    await this.counts;
  }

  result(): Promise<Result | ProfileError> {
    return this.counts ?? Promise.resolve(new ProfileError(`the ${this.target}'s window never closed, so it was not profiled`));
  }

  async abort(): Promise<void> {
    if (this.process && !this.process.hasExited) await this.process.stop("SIGKILL", 0);
  }

  /**
   * Resolves once `attached` (fed each stderr line of the tool) says it counts every target process;
   * when the tool stops first or takes longer than {@link ATTACH_LIMIT_MS}, records why instead.
   */
  protected async awaitAttach(tool: ProfilerProcess, attached: (line: string) => boolean, missing: () => string): Promise<void> {
    const outcome = await new Promise<"attached" | "timeout" | "exited">((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), ATTACH_LIMIT_MS);
      tool.stderrLines((line) => attached(line) && (clearTimeout(timer), resolve("attached")));
      void tool.exited.then(() => (clearTimeout(timer), resolve("exited")));
    });
    if (outcome === "timeout") {
      this.attachProblem = `${this.tool} had not attached to the ${this.target} after ${ATTACH_LIMIT_MS / 1000} s (${missing()}); a partial count is not given`;
    } else if (outcome === "exited") {
      this.attachProblem = `${this.tool} stopped while attaching to the ${this.target}: ${lastStderr(tool)}`;
    }
  }

  private async detach(): Promise<Result | ProfileError> {
    const tool = this.process;
    if (!tool) return new ProfileError(`${this.tool} was never attached to the ${this.target}`);
    if (this.attachProblem) {
      if (!tool.hasExited) await tool.stop("SIGKILL", 0);
      return new ProfileError(this.attachProblem);
    }
    if (tool.hasExited) return new ProfileError(`${this.tool} stopped before the window ended: ${lastStderr(tool)}`);
    await interruptForSummary(tool);
    return this.read();
  }
}

function lastStderr(tool: ProfilerProcess): string {
  return tool.stderr().trim().split("\n").slice(-2).join(" | ");
}
