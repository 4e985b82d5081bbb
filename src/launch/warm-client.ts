/**
 * The warm client: a launcher (wrapping the sweep's client launcher) that runs the built-in client's
 * runs in one long-lived `tcpsweep warm-client` process instead of a fresh Node per run, driven over
 * its stdin/stdout (src/client/warm-protocol.ts). Each run is a {@link Launched} of its own: its own
 * output, exit status and window; fresh connections (runLoad opens and closes them). Any other command
 * line (an external client, one wrapped by a launch profiler) starts cold as before. A warm process that
 * dies or is stopped during a run is a loss: the next run gets a new one, and retryOnLoss (kept.ts)
 * runs the lost run once more. `tcpsweep agent` keeps its host's warm client with this launcher too.
 */
import { describeExit, type ExitInfo } from "../process/child.js";
import type { TreeUsage } from "../process/proctree.js";
import { WARM_CLIENT_COMMAND, type FromWarmClient, type ToWarmClient } from "../client/warm-protocol.js";
import type { Launched, Launcher, StartRequest } from "./launcher.js";
import { KeptPool, type Kept, type KeepingLauncher } from "./kept.js";
import { WrappingLauncher } from "./wrapping.js";

/** `[node, cliEntry, "client", …]` as builtinClientArgv makes it: a command line a warm client can run. */
export const isBuiltinClient = (argv: readonly string[]) => argv[0] === process.execPath && argv[2] === "client";

/** One run inside a warm process, seen by the cell as a process of its own. */
class WarmRun implements Launched {
  readonly exited: Promise<ExitInfo>;
  hasExited = false;
  private out = "";
  private err = "";
  private readonly lineListeners = { out: [] as ((line: string) => void)[], err: [] as ((line: string) => void)[] };
  private readonly partial = { out: "", err: "" };
  private resolveExit!: (exit: ExitInfo) => void;

  constructor(
    readonly argv: readonly string[],
    private readonly host: WarmProcess,
    readonly id: number,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  receive(stream: "out" | "err", text: string): void {
    if (stream === "out") this.out += text;
    else this.err += text;
    const lines = (this.partial[stream] + text).split("\n");
    this.partial[stream] = lines.pop() ?? "";
    for (const line of lines) for (const listener of this.lineListeners[stream]) listener(line);
  }
  finish(exit: ExitInfo): void {
    if (this.hasExited) return;
    this.hasExited = true;
    this.resolveExit(exit);
  }
  stdout = () => this.out;
  stderr = () => this.err;
  stdoutLines(listener: (line: string) => void): void {
    this.lineListeners.out.push(listener);
  }
  stderrLines(listener: (line: string) => void): void {
    this.lineListeners.err.push(listener);
  }
  writeStdin(text: string): void {
    if (text.includes("\n")) this.host.send({ kind: "start", id: this.id });
  }
  processIds = (): number[] => this.host.child.processIds?.() ?? [];
  /** The warm process's tree: its CPU counters subtract per window as a cold client's do. */
  usage = (): TreeUsage | undefined => this.host.child.usage?.();
  /** Any signal to a run ends the warm process (a run cannot be signalled apart from it); the next run gets a new one. */
  signal(signal: NodeJS.Signals): void {
    this.host.lose(`stopped by the sweep (${signal})`);
    this.host.child.signal(signal);
  }
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<{ forced: boolean; exit: ExitInfo }> {
    this.host.lose(`stopped by the sweep (${signal}): no report before the cell's time limit, or interrupted`);
    const { forced, exit } = await this.host.child.stop(signal, graceMs);
    this.finish(exit);
    return { forced, exit };
  }
}

/** One `tcpsweep warm-client` process: one run at a time. */
class WarmProcess implements Kept {
  readonly child: Launched;
  private current?: WarmRun;
  private nextId = 1;
  private lossNoted = false;
  /** Taken at the start: a process that is gone has no tree left to ask. */
  private readonly pid: number | string;

  constructor(
    inner: Launcher,
    request: StartRequest,
    private readonly onLoss: (reason: string) => void,
  ) {
    this.child = inner.start({ ...request, argv: [request.argv[0]!, request.argv[1]!, WARM_CLIENT_COMMAND], stdin: true });
    this.pid = this.child.processIds?.()[0] ?? "?";
    this.child.stdoutLines((line) => this.receive(line));
    void this.child.exited.then((exit) => {
      this.lose(describeExit(exit));
      this.current?.finish(exit);
    });
  }

  get alive(): boolean {
    return !this.child.hasExited && !this.lossNoted;
  }
  get busy(): boolean {
    return this.current !== undefined && !this.current.hasExited;
  }

  /** Stdin closed (it exits once its run is done), SIGTERM after a grace. */
  async close(): Promise<void> {
    await this.child.stop("SIGTERM", 1000);
  }

  run(argv: readonly string[]): WarmRun {
    const run = new WarmRun(argv, this, this.nextId++);
    this.current = run;
    run.receive("err", `tcpsweep: warm client process ${this.pid}, its run ${run.id}\n`);
    this.send({ kind: "run", id: run.id, argv: argv.slice(2) });
    return run;
  }

  send(message: ToWarmClient): void {
    this.child.writeStdin?.(`${JSON.stringify(message)}\n`);
  }

  /** The process is gone or going, during a run: say why once, so the run is retried and no later run uses it. */
  lose(reason: string): void {
    if (this.lossNoted) return;
    this.lossNoted = true;
    if (this.busy) this.onLoss(`warm client (pid ${this.pid}) ${reason}`);
  }

  private receive(line: string): void {
    let message: FromWarmClient;
    try {
      message = JSON.parse(line) as FromWarmClient;
    } catch {
      return; // not the protocol (a stray print): the run's own output comes as messages
    }
    const run = this.current;
    if (!run || message.id !== run.id) return;
    if (message.out !== undefined) run.receive("out", message.out);
    if (message.err !== undefined) run.receive("err", message.err);
    if (message.exit !== undefined) run.finish({ exitCode: message.exit });
  }
}

export class WarmClientLauncher extends WrappingLauncher implements KeepingLauncher {
  readonly kept = new KeptPool<WarmProcess>();

  override start(request: StartRequest): Launched {
    if (!isBuiltinClient(request.argv)) return this.inner.start(request);
    // Another node binary, directory or environment is another process; a held window needs writeStdin, which every warm run has.
    const key = JSON.stringify([request.argv[0], request.argv[1], request.cwd, request.env]);
    return this.kept.take(key, (onLoss) => new WarmProcess(this.inner, request, onLoss)).run(request.argv);
  }

  /** Ends every warm process. */
  override async close(): Promise<void> {
    await this.kept.close();
    await super.close();
  }
}
