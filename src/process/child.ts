/**
 * Starting and stopping the processes a cell runs (server, client, profilers). Every child
 * gets its own process group, so stopping it stops whatever it started as well.
 */
import { execa } from "execa";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive, processTree, treeUsage, type TreeUsage } from "./proctree.js";
import { killMarked, newTreeMarker, TREE_VARIABLE } from "./tree-marker.js";

export interface ExitInfo {
  /** undefined when killed by a signal or never started. */
  exitCode?: number;
  signal?: string;
  /** Why it could not start at all (e.g. `spawn ./srv ENOENT`); undefined when it started. */
  startError?: string;
  /** A process on another host whose connection was lost: what happened (names the host). */
  lost?: string;
}

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Output kept per stream; older bytes are dropped so a chatty server cannot exhaust memory. */
  keepBytes?: number;
  /** Give it a stdin pipe ({@link ChildProcess.writeStdin}); default: no stdin. */
  stdin?: boolean;
}

/** How long after a process exits its output pipes may stay open (held by a descendant) before we stop reading them. */
const PIPE_GRACE_MS = 1000;

/** Keeps the last `limit` bytes written to a stream. */
class OutputTail {
  private chunks: Buffer[] = [];
  private bytes = 0;
  dropped = 0;
  constructor(private readonly limit: number) {}
  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes > this.limit && this.chunks.length > 1) {
      const first = this.chunks.shift()!;
      this.bytes -= first.length;
      this.dropped += first.length;
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** Every child started and not yet exited: what a second Ctrl-C kills at once. */
const liveChildren = new Set<ChildProcess>();

/** SIGKILLs every live child's process group and descendants now, without waiting for any grace. */
export function killEveryChildNow(): number {
  for (const child of liveChildren) child.signal("SIGKILL");
  return liveChildren.size;
}

/** A local child process; the local launcher hands these out (it implements launch/launcher.ts's Launched). */
export class ChildProcess {
  readonly pid: number | undefined;
  readonly exited: Promise<ExitInfo>;
  private readonly stdoutTail: OutputTail;
  private readonly stderrTail: OutputTail;
  private finished = false;
  private readonly input?: NodeJS.WritableStream;
  /** The TCPSWEEP_TREE value this process and every descendant inherit (src/process/tree-marker.ts). */
  readonly treeMarker = newTreeMarker();

  constructor(
    readonly argv: readonly string[],
    options: StartOptions = {},
  ) {
    const keep = options.keepBytes ?? 1 << 20;
    this.stdoutTail = new OutputTail(keep);
    this.stderrTail = new OutputTail(keep);
    const subprocess = execa(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: { ...options.env, [TREE_VARIABLE]: this.treeMarker },
      detached: true,
      reject: false,
      buffer: false,
      stdin: options.stdin ? "pipe" : "ignore",
      cleanup: true,
    });
    this.input = subprocess.stdin ?? undefined;
    this.input?.on("error", () => undefined); // a child that exits early closes its end: nothing to tell it then
    this.pid = subprocess.pid;
    liveChildren.add(this);
    subprocess.stdout?.on("data", (chunk: Buffer) => this.stdoutTail.add(chunk));
    subprocess.stderr?.on("data", (chunk: Buffer) => this.stderrTail.add(chunk));
    this.stdoutLines = lineEvents(subprocess.stdout);
    this.stderrLines = lineEvents(subprocess.stderr);
    // A descendant that outlived the process (a daemon it started) may hold its stdout/stderr open:
    // once the process itself has exited, wait a little for its last output, not for the pipes to close.
    let pipeGrace: NodeJS.Timeout | undefined;
    subprocess.once("exit", () => {
      pipeGrace = setTimeout(() => {
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
      }, PIPE_GRACE_MS);
    });
    this.exited = subprocess.then((result) => {
      clearTimeout(pipeGrace);
      this.finished = true;
      liveChildren.delete(this);
      if (result.failed && result.exitCode === undefined && result.signal === undefined) {
        return { startError: result.originalMessage ?? result.shortMessage ?? "could not start" };
      }
      return { exitCode: result.exitCode, signal: result.signal };
    });
  }

  /** Subscribe to whole lines of stdout / stderr as they arrive. */
  readonly stdoutLines: (listener: (line: string) => void) => void;
  readonly stderrLines: (listener: (line: string) => void) => void;

  /** Writes to its stdin (started with `stdin: true`). */
  writeStdin(text: string): void {
    this.input?.write(text);
  }

  get hasExited(): boolean {
    return this.finished;
  }

  stdout(): string {
    return this.stdoutTail.text();
  }

  stderr(): string {
    return this.stderrTail.text();
  }

  /** This process and every live descendant. */
  processIds(): number[] {
    return this.pid === undefined ? [] : processTree(this.pid);
  }

  /** A snapshot of the tree's /proc counters (undefined when it never started). */
  usage(): TreeUsage | undefined {
    return this.pid === undefined ? undefined : treeUsage(this.pid);
  }

  /** Sends `signal` to the process group and every descendant (some leave the group). */
  signal(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    const tree = processTree(this.pid);
    sendSignal(-this.pid, signal);
    for (const pid of tree) sendSignal(pid, signal);
    if (signal === "SIGKILL") killMarked(this.treeMarker);
  }

  /**
   * Stops the whole tree: `signal`, then SIGKILL for whatever is still alive after `graceMs`.
   * Resolves once the process has exited and no descendant is left; says whether force was needed
   * and how many descendants that had left the tree (daemons) were found by their marker and killed.
   */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<{ forced: boolean; exit: ExitInfo; escaped: number }> {
    if (this.pid === undefined) return { forced: false, exit: await this.exited, escaped: 0 };
    const tree = processTree(this.pid);
    this.signal(signal);
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && tree.some(isAlive)) await sleep(20);
    const survivors = tree.filter(isAlive);
    sendSignal(-this.pid, "SIGKILL");
    for (const pid of survivors) sendSignal(pid, "SIGKILL");
    const exit = await this.exited;
    while (survivors.some(isAlive)) await sleep(10);
    const escaped = killMarked(this.treeMarker);
    return { forced: survivors.length > 0, exit, escaped };
  }
}

function sendSignal(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch {
    // already gone
  }
}

function lineEvents(stream: NodeJS.ReadableStream | null): (listener: (line: string) => void) => void {
  const listeners: ((line: string) => void)[] = [];
  let partial = "";
  stream?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop()!;
    for (const line of lines) for (const listener of listeners) listener(line);
  });
  return (listener) => listeners.push(listener);
}

/** Human description of how a process ended. */
export function describeExit(exit: ExitInfo): string {
  if (exit.startError) return `could not start: ${exit.startError}`;
  if (exit.lost) return exit.lost;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exited with code ${exit.exitCode}`;
}
