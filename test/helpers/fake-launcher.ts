/**
 * A fake launcher for the fast runner tests (like hyperfine's mock executor): no process starts;
 * each "process" is a script that answers at once. It records every start and close, so a test
 * sees the runner's order of runs, its servers and its cleanup in milliseconds. Only the runner's
 * logic is under test here: real processes are test/sweep-*.test.ts's.
 */
import type { Launchers } from "../../src/launch/choose.js";
import type { Launched, Launcher, StartRequest } from "../../src/launch/launcher.js";
import type { ExitInfo } from "../../src/process/child.js";

/** What a fake client prints and how it ends; `hang`: it runs until stopped (a signal test). */
export interface FakeOutcome {
  stdout?: string;
  exitCode?: number;
  hang?: boolean;
}

/** A seed-text report (client.parser: seed-text) of `rate` responses per second. */
export const seedReport = (rate: number) =>
  `Speed: ${rate} request/sec, ${rate} response/sec\nRequests: ${rate}\nResponses: ${rate}\nSuccess rate: 100%\n`;

class FakeProcess implements Launched {
  readonly exited: Promise<ExitInfo>;
  hasExited = false;
  private end!: (exit: ExitInfo) => void;
  constructor(
    readonly argv: readonly string[],
    private readonly out: string,
  ) {
    this.exited = new Promise<ExitInfo>((resolve) => (this.end = resolve)).then((exit) => ((this.hasExited = true), exit));
  }
  finish(exitCode: number): void {
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
    this.finish(143);
  }
  async stop(): Promise<{ forced: boolean; exit: ExitInfo }> {
    if (!this.hasExited) this.finish(143);
    return { forced: false, exit: await this.exited };
  }
}

export class FakeLauncher implements Launcher {
  readonly where = "a fake";
  /** Every command started, in order ("server …" / "client …" as the spec's argv give them). */
  readonly started: string[] = [];
  closed = 0;
  private port = 40000;
  constructor(
    /** The client's outcome for a started client's argv (its expanded template), given every command started before it. */
    private readonly client: (argv: readonly string[], started: readonly string[]) => FakeOutcome,
    /** Called as each client starts: a test reacts to the event (e.g. sends a signal). */
    readonly onClient: (argv: readonly string[]) => void = () => undefined,
  ) {}
  start(request: StartRequest): Launched {
    this.started.push(request.argv.join(" "));
    if (request.argv[0] !== "/bin/echo" || request.argv[1] !== "client") return new FakeProcess(request.argv, ""); // a server: runs until stopped
    const outcome = this.client(request.argv, this.started);
    const child = new FakeProcess(request.argv, outcome.stdout ?? "");
    this.onClient(request.argv);
    if (!outcome.hang) queueMicrotask(() => child.finish(outcome.exitCode ?? 0));
    return child;
  }
  freePort(): Promise<number> {
    return Promise.resolve(this.port++);
  }
  waitUntilAccepting(): Promise<boolean> {
    return Promise.resolve(true);
  }
  openFileShortfall(): undefined {
    return undefined;
  }
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
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
