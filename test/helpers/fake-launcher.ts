/**
 * A fake launcher for the fast runner tests (like hyperfine's mock executor): no process starts;
 * each "process" is a script that answers on the next turn of the event loop (a signal can land
 * before it, as before a real exit). It records every start, moment and close, so a test sees the
 * runner's order of runs, its servers and its cleanup in milliseconds. Only the runner's
 * logic is under test here: real processes are test/sweep-*.test.ts's.
 */
import { afterEach, beforeEach } from "vitest";
import type { Launchers } from "../../src/launch/choose.js";
import type { Launched, Launcher, StartRequest } from "../../src/launch/launcher.js";
import type { ExitInfo } from "../../src/process/child.js";

/** What a fake client prints and how it ends; `hang`: it runs until stopped (a signal test). */
export interface FakeOutcome {
  stdout?: string;
  exitCode?: number;
  hang?: boolean;
}

/**
 * A moment of a fake sweep a test can act on (an interruption's moment): a process started, a
 * client's own exit, a stop, a port or readiness check, the launcher's close.
 */
export type FakeEvent = "server start" | "client start" | "client exit" | "stop" | "port" | "accepting" | "close";

/** Resolves on the next turn of the event loop, as a real process's exit or a socket's answer does: a signal can land before it. */
const nextTurn = <T>(value: T) => new Promise<T>((resolve) => setImmediate(resolve, value));

/** A seed-text report (client.parser: seed-text) of `rate` responses per second. */
export const seedReport = (rate: number) =>
  `Speed: ${rate} request/sec, ${rate} response/sec\nRequests: ${rate}\nResponses: ${rate}\nSuccess rate: 100%\n`;

class FakeProcess implements Launched {
  readonly exited: Promise<ExitInfo>;
  hasExited = false;
  /** Whether it ended by itself (a client's report) or was stopped or signalled by the runner. */
  endedBy?: "itself" | "runner";
  private end!: (exit: ExitInfo) => void;
  constructor(
    readonly argv: readonly string[],
    private readonly out: string,
  ) {
    this.exited = new Promise<ExitInfo>((resolve) => (this.end = resolve)).then((exit) => ((this.hasExited = true), exit));
  }
  finish(exitCode: number, by: "itself" | "runner" = "itself"): void {
    this.endedBy ??= by;
    this.end({ exitCode });
  }
  stdout(): string {
    return this.out;
  }
  stderr(): string {
    return "";
  }
  stdoutLines(): void {}
  stderrLines(): void {}
  // No processIds() and no usage(): like a launcher without a local /proc (the row's usage columns stay empty).
  signal(): void {
    this.finish(143, "runner");
  }
  async stop(): Promise<{ forced: boolean; exit: ExitInfo }> {
    this.onStop();
    if (!this.hasExited) this.finish(143, "runner");
    return { forced: false, exit: await nextTurn(await this.exited) };
  }
  onStop: () => void = () => undefined;
}

export class FakeLauncher implements Launcher {
  readonly where = "a fake";
  /** Every command started, in order ("server …" / "client …" as the spec's argv give them). */
  readonly started: string[] = [];
  /** Every fake process, in the order started: a test checks that none is left running. */
  readonly processes: FakeProcess[] = [];
  closed = 0;
  private port = 40000;
  constructor(
    /** The client's outcome for a started client's argv (its expanded template), given every command started before it. */
    private readonly client: (argv: readonly string[], started: readonly string[]) => FakeOutcome,
    /** Called as each client starts: a test reacts to the event (e.g. sends a signal). */
    readonly onClient: (argv: readonly string[]) => void = () => undefined,
    /** Called at each moment, before the fake answers (the answer comes on a later turn of the event loop). */
    readonly onEvent: (event: FakeEvent) => void = () => undefined,
  ) {}
  start(request: StartRequest): Launched {
    this.started.push(request.argv.join(" "));
    const isClient = request.argv[0] === "/bin/echo" && request.argv[1] === "client";
    const outcome = isClient ? this.client(request.argv, this.started) : { hang: true }; // a server runs until stopped
    const child = new FakeProcess(request.argv, outcome.stdout ?? "");
    child.onStop = () => this.onEvent("stop");
    this.processes.push(child);
    this.onEvent(isClient ? "client start" : "server start");
    if (isClient) this.onClient(request.argv);
    if (!outcome.hang) setImmediate(() => !child.hasExited && (this.onEvent("client exit"), child.finish(outcome.exitCode ?? 0)));
    return child;
  }
  freePort(): Promise<number> {
    this.onEvent("port");
    return nextTurn(this.port++);
  }
  /** Like a real launcher's: it gives up, answering false, once `giveUp()` says so (a signal came). */
  async waitUntilAccepting(_host: string, _port: number, _deadline: number, giveUp: () => boolean): Promise<boolean> {
    this.onEvent("accepting");
    await nextTurn(undefined);
    return !giveUp();
  }
  openFileShortfall(): undefined {
    return undefined;
  }
  close(): Promise<void> {
    this.closed++;
    this.onEvent("close");
    return nextTurn(undefined);
  }
}

/** Every role on the one fake launcher (named servers and clients too). */
export function fakeLaunchers(fake: FakeLauncher, spec: { servers?: object; clients?: object }): Launchers {
  const names = (named: object | undefined) => new Map(Object.keys(named ?? {}).map((name) => [name, fake as Launcher]));
  return {
    server: fake,
    client: fake,
    profiler: fake,
    named: { server: names(spec.servers), client: names(spec.clients) },
    opened: [fake],
  };
}

/**
 * runSweep leaves handlers for late signals on the process (a real CLI exits with them); a test
 * worker that runs many sweeps drops the ones each test added, after it.
 */
export function dropSweepSignalHandlersAfterEach(): void {
  let before: Record<"SIGINT" | "SIGTERM", Function[]>;
  beforeEach(() => (before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") }));
  afterEach(() => {
    for (const signal of ["SIGINT", "SIGTERM"] as const)
      for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.off(signal, listener as () => void);
  });
}
