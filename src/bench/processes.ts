/**
 * Starting and stopping everything the benchmark runs. Each process gets its own process group
 * (ChildProcess), and a ProcessScope remembers every one still running, so a failure or Ctrl-C
 * stops them all by process group.
 */
import { ChildProcess, describeExit, type ExitInfo, type StartOptions } from "../process/child.js";
import { freePort } from "../process/ports.js";
import { lastLines } from "../sweep/servers.js";
import { NATIVE_BUILD_SCRIPT, RUSAGE, type ClientKind, type Load, type ServerKind, type WindowFigures } from "./tools.js";

const HOST = "127.0.0.1";
const STOP_GRACE_MS = 3000;
const SERVER_READY_TIMEOUT_MS = 15_000;
/** Time a client may take beyond warmup + window: start-up, thousands of connects, drain, exit. */
const CLIENT_SLACK_S = 20;

/** A problem that stops the benchmark before it measures anything (exit 2). */
export class SetupError extends Error {}

export class ProcessScope {
  private readonly running = new Map<object, () => Promise<unknown>>();

  /** Starts argv in its own process group (`env` is added to this process's environment); stopAll() stops it unless stop() already did. */
  spawn(argv: readonly string[], options: Pick<StartOptions, "cwd" | "env"> = {}): ChildProcess {
    const child = new ChildProcess(argv, options);
    this.running.set(child, () => child.stop("SIGTERM", STOP_GRACE_MS));
    return child;
  }

  /** Stops the child's whole process group (a no-op for one that has exited with no descendant left). */
  async stop(child: ChildProcess): Promise<void> {
    this.running.delete(child);
    await child.stop("SIGTERM", STOP_GRACE_MS);
  }

  /** For things that start processes of their own (profilers): how to stop them, until forget(). */
  watch(owner: object, stop: () => Promise<unknown>): void {
    this.running.set(owner, stop);
  }

  forget(owner: object): void {
    this.running.delete(owner);
  }

  async stopAll(): Promise<void> {
    const stops = [...this.running.values()];
    this.running.clear();
    await Promise.allSettled(stops.map((stop) => stop()));
  }
}

export async function buildNativeTools(scope: ProcessScope): Promise<void> {
  const build = scope.spawn(["bash", NATIVE_BUILD_SCRIPT]);
  const exit = await build.exited;
  await scope.stop(build);
  if (exit.exitCode !== 0) throw new SetupError(`bench/native/build.sh ${describeExit(exit)}${lastLines(build.stderr(), 5)}`);
}

function exitWithin(child: ChildProcess, limitMs: number): Promise<ExitInfo | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), limitMs);
    void child.exited.then((exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
}

export interface RunningServer {
  address: string;
  /** The server's main process; its process tree holds every worker. */
  pid: number;
}

/** Starts a server on a free port, waits for `listening on`, hands it to `use`, then stops it. */
export async function withServer<T>(
  scope: ProcessScope,
  kind: ServerKind,
  threads: number,
  use: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const port = await freePort(HOST);
  const child = scope.spawn(kind.argv(HOST, port, threads));
  try {
    const listening = new Promise<boolean>((resolve) => {
      child.stdoutLines((line) => line.startsWith("listening on ") && resolve(true));
      void exitWithin(child, SERVER_READY_TIMEOUT_MS).then(() => resolve(false));
    });
    if (!(await listening) || child.pid === undefined) {
      const why = child.hasExited ? describeExit(await child.exited) : `not listening after ${SERVER_READY_TIMEOUT_MS / 1000} s`;
      throw new Error(`${kind.name} (${threads} threads) did not start: ${why}${lastLines(child.stderr())}`);
    }
    return await use({ address: `${HOST}:${port}`, pid: child.pid });
  } finally {
    await scope.stop(child);
  }
}

/** A client run measured from outside by bench/build/rusage, the same for every client. */
export interface ClientRun extends WindowFigures {
  /** user + sys CPU of the whole client process (start-up and warmup included), seconds. */
  cpuS: number;
  /** cpuS in µs per response of the window. */
  cpuUsPerResponse: number;
  peakRssKb: number;
}

const RUSAGE_LINE = /^rusage: user_s=([\d.]+) sys_s=([\d.]+) maxrss_kb=(\d+) exit=(\d+)$/m;

export interface RunningClient {
  /** Resolves once the client has exited and been measured; rejects with what went wrong. */
  finished: Promise<ClientRun>;
}

/** Runs a client under rusage against `load.address`; the caller may do more (profile the server) while it runs. */
export function launchClient(scope: ProcessScope, kind: ClientKind, load: Load): RunningClient {
  const child = scope.spawn([RUSAGE, ...kind.argv(load)]);
  const finished = (async (): Promise<ClientRun> => {
    try {
      const limitS = load.warmupS + load.durationS + CLIENT_SLACK_S;
      const exit = await exitWithin(child, limitS * 1000);
      if (!exit) throw new Error(`${kind.name} did not finish within ${limitS} s`);
      const usage = RUSAGE_LINE.exec(child.stderr());
      if (!usage || usage[4] !== "0") throw new Error(`${kind.name} ${describeExit(exit)}${lastLines(child.stderr())}`);
      const figures = kind.parse(child.stdout());
      if (typeof figures === "string") throw new Error(`${kind.name}: ${figures}`);
      if (figures.responses === 0) throw new Error(`${kind.name}: no responses in the window${lastLines(child.stderr())}`);
      const cpuS = Number(usage[1]) + Number(usage[2]);
      return { ...figures, cpuS, cpuUsPerResponse: (cpuS * 1e6) / figures.responses, peakRssKb: Number(usage[3]) };
    } finally {
      await scope.stop(child);
    }
  })();
  finished.catch(() => undefined); // whoever launched it awaits `finished` later; until then a failure is not "unhandled"
  return { finished };
}
