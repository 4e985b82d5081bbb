/**
 * The bpf profiler: syscalls of the target's whole process tree counted in kernel maps by bpftrace
 * (no ptrace stop, no event per call copied to user space), with failed calls and, unless
 * `time: false`, a log2 histogram of each syscall's time (the program: bpf-script.ts).
 *
 * bpftrace takes seconds to compile and attach, so it is started as the profiler is created (as the
 * traced pass starts, before the server and the client's warmup) and only switched on by a marker
 * syscall as the window opens, and off as it closes: its start and its exit lie outside the window,
 * and the counts begin and end at the window's edges. bpftrace runs a tiny child (`-c`) that it
 * releases only once every probe is attached; the child says so on stderr, which is how the profiler
 * knows it counts.
 */
import { readFile } from "node:fs/promises";
import { AttachedProfiler } from "./attached.js";
import { MARK, bpfProgram, markerBase, parseBpfOutput } from "./bpf-script.js";
import { ProfileError, type ProfilerSetup, type SyscallCounts } from "./profiler.js";
import { syscallNames } from "./syscall-numbers.js";

const ATTACHED_LINE = "tcpsweep-bpf-attached";

/**
 * bpftrace's `-c` child: says that the probes are attached, then lives as long as bpftrace does
 * (`tail --pid`; bpftrace splits -c on spaces and knows no quotes, hence ${IFS}).
 */
const ATTACHED_CHILD = `/bin/sh -c echo\${IFS}${ATTACHED_LINE}>&2;exec\${IFS}tail\${IFS}-s\${IFS}0.2\${IFS}--pid=$PPID\${IFS}-f\${IFS}/dev/null`;

export class BpfProfiler extends AttachedProfiler {
  private readonly base = markerBase();
  /** Resolves once bpftrace counts, or once it is clear it will not (then the attach problem says why). */
  private readonly attached: Promise<void>;
  private windowOpen = false;

  constructor(setup: ProfilerSetup, time: boolean) {
    super(setup, "bpftrace");
    const argv = [
      "bpftrace",
      "-f",
      "json",
      "-o",
      this.rawFile,
      "-c",
      ATTACHED_CHILD,
      "-e",
      bpfProgram(time),
      String(process.pid),
      String(this.base),
    ];
    const tool = this.launcher.start({ argv });
    this.process = tool;
    this.attached = this.awaitAttach(
      tool,
      (line) => line.includes(ATTACHED_LINE),
      () => "it never said its probes were attached",
    );
  }

  /** Adds the tree's processes and opens the window, once bpftrace counts. */
  async begin(pids: number[]): Promise<void> {
    await this.attached;
    if (this.process?.hasExited) return;
    for (const pid of pids) this.mark(pid, MARK.addPid);
    this.mark(process.pid, MARK.open);
    this.windowOpen = true;
  }

  override async end(): Promise<void> {
    // Counting stops now, at the window's edge; bpftrace's exit (printing the maps) comes after.
    if (this.windowOpen) this.mark(process.pid, MARK.close);
    this.windowOpen = false;
    await super.end();
  }

  override async result(): Promise<SyscallCounts | ProfileError> {
    const outcome = await super.result();
    // Created but never ended (the pass failed before its window closed): bpftrace must not outlive it.
    await this.abort();
    return outcome;
  }

  /** The marker: a kill() the program sees as it is entered, refused by the kernel (no such signal). */
  private mark(pid: number, mark: number): void {
    try {
      process.kill(pid, this.base + mark);
    } catch {
      // EINVAL is the expected outcome: the tracepoint saw the call before the kernel refused it.
    }
  }

  protected async read(): Promise<SyscallCounts | ProfileError> {
    let text: string;
    try {
      text = await readFile(this.rawFile, "utf8");
    } catch (error) {
      return new ProfileError(`bpftrace wrote no output file ${this.rawFile}: ${(error as Error).message}`);
    }
    return parseBpfOutput(text, syscallNames(), this.target, this.rawFile);
  }
}
