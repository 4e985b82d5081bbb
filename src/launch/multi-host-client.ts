/**
 * The built-in client on several load hosts, as one {@link Launched}: each host's agent runs the
 * client with its share of the connections (split.ts); every client connects and warms up, says
 * ready, and all open their window at one agreed instant (each host's clock offset measured over
 * its session, clock.ts). Its stdout is the merged report (merge.ts) and its stderr carries the
 * window lines when every host is in the window and when every host has left it, so the cell
 * runs it like a local client. A host that fails fails the whole client, naming the host, at once.
 * Each host's agent is kept for the sweep (kept-agents.ts): a run takes it and gives it back once its
 * client has exited or been stopped there.
 */
import { READY_LINE, WINDOW_ENDED_LINE, WINDOW_STARTED_LINE } from "../client/index.js";
import type { Launched, StartRequest } from "./launcher.js";
import type { KeptAgent } from "./kept-agents.js";
import type { ExitInfo } from "../process/child.js";
import type { TreeUsage } from "../process/proctree.js";
import { cliEntry as defaultCliEntry } from "../entry.js";
import type { RemoteHost } from "../remote/hosts.js";
import { estimateClockOffset, preciseNowMs, type ClockEstimate } from "../remote/clock.js";
import { mergeHostRuns, type HostClientRun, type HostReport } from "../remote/merge.js";
import { REQUEST_TIMEOUT_MS, type Event } from "../remote/protocol.js";
import { splitConnections } from "../remote/split.js";

/** Time between "all ready" and the common window start: the signal must reach every host first. */
const START_MARGIN_MS = 300;
const STOP_GRACE_MS = 2000;

interface HostState {
  host: RemoteHost;
  connections: number;
  agent: KeptAgent;
  clock?: ClockEstimate;
  cpus: number;
  ready: boolean;
  windowStartMs?: number;
  windowEndMs?: number;
  windowUsage?: TreeUsage;
  stdout: string;
  exit?: ExitInfo;
}

const ZERO_USAGE: TreeUsage = { cpuS: 0, peakRssKb: 0, voluntaryCtxSwitches: 0, involuntaryCtxSwitches: 0, processes: 0 };

/** The built-in client's argv with `-c` set to `connections` (its flags are the contract, client/argv.ts). */
export function withConnections(argv: readonly string[], connections: number): string[] {
  const at = argv.indexOf("-c");
  if (at < 0) throw new Error("client.hosts needs the built-in client (its -c flag)");
  return [...argv.slice(0, at + 1), String(connections), ...argv.slice(at + 2)];
}

export class MultiHostClient implements Launched {
  readonly argv: readonly string[];
  readonly exited: Promise<ExitInfo>;
  private finished = false;
  private out = "";
  private err = "";
  private readonly errListeners: ((line: string) => void)[] = [];
  private readonly hosts: HostState[];
  private failure?: string;
  private windowOpen = false;
  /** Started with `stdin: true`: when every host is ready it says READY_LINE and waits for {@link writeStdin}. */
  private readonly holdWindow: boolean;
  private windowRequested = false;
  private windowClosed = false;
  private settle: (exit: ExitInfo) => void = () => undefined;

  constructor(
    take: (host: RemoteHost) => KeptAgent,
    hosts: readonly RemoteHost[],
    request: StartRequest,
    /** Each host's built-in client runs in its agent's warm client. */
    private readonly warm: boolean,
  ) {
    const cli = [process.execPath, defaultCliEntry()];
    if (request.argv[0] !== cli[0] || request.argv[1] !== cli[1]) throw new Error("client.hosts needs the built-in client");
    const total = Number(request.argv[request.argv.indexOf("-c") + 1]);
    const shares = splitConnections(total, hosts.length);
    this.hosts = hosts
      .map((host, i) => ({ host, connections: shares[i]! }))
      .filter((h) => h.connections > 0) // fewer connections than hosts: the last hosts have nothing to do
      .map(({ host, connections: share }) => ({
        host,
        connections: share,
        agent: take(host),
        cpus: 1,
        ready: false,
        stdout: "",
      }));
    this.holdWindow = request.stdin === true;
    this.argv = [`(${this.hosts.map((h) => `${h.host.name}: -c ${h.connections}`).join(", ")})`, "tcpsweep", ...request.argv.slice(2)];
    this.exited = new Promise<ExitInfo>((resolve) => (this.settle = resolve)).then((exit) => ((this.finished = true), exit));
    void this.run(request);
  }

  /** A host's client said something: kept for the raw output and the row's error. */
  private log(line: string): void {
    this.err += `${line}\n`;
  }

  private announce(line: string): void {
    for (const listener of this.errListeners) listener(line);
  }

  private async run(request: StartRequest): Promise<void> {
    try {
      await Promise.all(this.hosts.map((state) => this.startHost(state, request)));
    } catch (error) {
      await this.fail((error as Error).message);
    }
  }

  private async startHost(state: HostState, request: StartRequest): Promise<void> {
    const { agent } = state;
    const session = agent.session;
    agent.use(
      (event) => this.hostEvent(state, event),
      (end) => {
        if (state.exit === undefined) void this.fail(`lost ${end.message}`);
      },
    );
    const described = await agent.describe();
    state.cpus = described.cpus;
    this.log(`[${state.host.name}] tcpsweep agent pid ${described.pid ?? "?"}, its run ${agent.runs}`);
    state.clock = await estimateClockOffset(async () => Number((await session.request({ type: "time" }, REQUEST_TIMEOUT_MS)).nowMs));
    const argv = [
      ...withConnections(request.argv, state.connections)
        .slice(2)
        .filter((arg) => arg !== "--wait-for-start"),
      "--wait-for-start",
    ];
    // Failed or stopped meanwhile: the agent was told to end the run, and must not start one after that.
    if (this.failure || this.finished) return;
    await session.request(
      { type: "start", argv, self: true, stdin: true, warm: this.warm, ...(request.env ? { env: request.env } : {}) },
      REQUEST_TIMEOUT_MS,
    );
  }

  /** One event of the host's run, from its agent. */
  private hostEvent(state: HostState, event: Event): void {
    if (event.type === "stdout") state.stdout += `${event.line}\n`;
    else if (
      event.type === "stderr" &&
      event.line !== READY_LINE &&
      event.line !== WINDOW_STARTED_LINE &&
      event.line !== WINDOW_ENDED_LINE
    ) {
      this.log(`[${state.host.name}] ${event.line}`);
    } else if (event.type === "ready") {
      state.ready = true;
      this.maybeStartWindow();
    } else if (event.type === "windowStarted") {
      state.windowStartMs = event.atMs - (state.clock?.offsetMs ?? 0);
      this.maybeAnnounce();
    } else if (event.type === "windowEnded") {
      state.windowEndMs = event.atMs - (state.clock?.offsetMs ?? 0);
      state.windowUsage = event.usage;
      this.maybeAnnounce();
    } else if (event.type === "exit") {
      state.exit = event.exit;
      void this.hostExited(state);
    }
  }

  /** Every host is connected and warmed up: one instant, in each host's own clock. */
  private maybeStartWindow(): void {
    if (this.failure || !this.hosts.every((h) => h.ready)) return;
    if (this.holdWindow && !this.windowRequested) return this.announce(READY_LINE);
    const startAt = preciseNowMs() + START_MARGIN_MS;
    for (const state of this.hosts) state.agent.session.notify({ type: "window", startAtMs: startAt + (state.clock?.offsetMs ?? 0) });
  }

  private maybeAnnounce(): void {
    if (!this.windowOpen && this.hosts.every((h) => h.windowStartMs !== undefined)) {
      this.windowOpen = true;
      this.announce(WINDOW_STARTED_LINE);
    }
    if (this.windowOpen && !this.windowClosed && this.hosts.every((h) => h.windowEndMs !== undefined)) {
      this.windowClosed = true;
      this.announce(WINDOW_ENDED_LINE);
    }
  }

  private async hostExited(state: HostState): Promise<void> {
    const exit = state.exit!;
    if (exit.exitCode !== 0) {
      const how = exit.startError
        ? `could not start: ${exit.startError}`
        : exit.signal
          ? `killed by ${exit.signal}`
          : `exited with code ${exit.exitCode}`;
      return this.fail(`host ${state.host.name}: client ${how}`);
    }
    if (this.failure || !this.hosts.every((h) => h.exit?.exitCode === 0)) return;
    try {
      const runs: HostClientRun[] = this.hosts.map((h) => ({
        host: h.host.name,
        connections: h.connections,
        report: parseReport(h),
        windowStartMs: h.windowStartMs ?? Number.NaN,
        windowEndMs: h.windowEndMs ?? Number.NaN,
        ...(h.windowUsage ? { cpuS: h.windowUsage.cpuS } : {}),
        cpus: h.cpus,
        clock: { offsetMs: h.clock?.offsetMs ?? 0, errorBoundMs: h.clock?.errorBoundMs ?? 0 },
      }));
      this.out = `${JSON.stringify(mergeHostRuns(runs))}\n`;
      for (const h of this.hosts) h.agent.release();
      this.settle({ exitCode: 0 });
    } catch (error) {
      await this.fail((error as Error).message);
    }
  }

  /** One host failed: the others are stopped and the client fails naming it (the first failure wins). */
  private async fail(message: string): Promise<void> {
    if (this.failure || this.finished) return;
    this.failure = message; // the exit's `lost` carries it into the row
    await this.stopHosts("SIGTERM", STOP_GRACE_MS, true);
    this.settle({ exitCode: 1, lost: message });
  }

  /** Each host's client stopped there (its agent kept, unless it does not answer), then the agents given back. */
  private async stopHosts(signal: NodeJS.Signals, graceMs: number, anotherHostFailed: boolean): Promise<void> {
    await Promise.all(
      this.hosts.map(async (h) => {
        await h.agent.endRun(signal, graceMs, anotherHostFailed);
        h.agent.release();
      }),
    );
  }

  /** Any line opens the held window (as the built-in client's own stdin does), once every host is ready. */
  writeStdin(): void {
    if (!this.holdWindow || this.windowRequested) return;
    this.windowRequested = true;
    this.maybeStartWindow();
  }

  get hasExited(): boolean {
    return this.finished;
  }
  stdout(): string {
    return this.out;
  }
  stderr(): string {
    return this.err;
  }
  stdoutLines(): void {
    // the merged report is one line, complete only at the end: read stdout() then
  }
  stderrLines(listener: (line: string) => void): void {
    this.errListeners.push(listener);
  }
  /** The clients' processes are on other hosts: there is nothing here to profile. */
  processIds(): number[] {
    return [];
  }
  /** Zero until every host's window has ended, then the sum of their window usage (each measured on its host). */
  usage(): TreeUsage | undefined {
    if (!this.windowClosed) return ZERO_USAGE;
    return this.hosts.reduce(
      (total, h) => ({
        cpuS: total.cpuS + (h.windowUsage?.cpuS ?? 0),
        peakRssKb: total.peakRssKb + (h.windowUsage?.peakRssKb ?? 0),
        voluntaryCtxSwitches: total.voluntaryCtxSwitches + (h.windowUsage?.voluntaryCtxSwitches ?? 0),
        involuntaryCtxSwitches: total.involuntaryCtxSwitches + (h.windowUsage?.involuntaryCtxSwitches ?? 0),
        processes: total.processes + (h.windowUsage?.processes ?? 0),
      }),
      ZERO_USAGE,
    );
  }
  signal(signal: NodeJS.Signals): void {
    for (const h of this.hosts) h.agent.session.notify({ type: "signal", signal });
  }
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<{ forced: boolean; exit: ExitInfo }> {
    if (!this.finished) {
      this.failure ??= "stopped";
      await this.stopHosts(signal, graceMs, false);
      this.settle({ exitCode: undefined, signal });
    }
    return { forced: false, exit: await this.exited };
  }
}

function parseReport(state: HostState): HostReport {
  const line = state.stdout
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.trimStart().startsWith("{"));
  if (!line) throw new Error(`host ${state.host.name}: the client printed no JSON report`);
  return JSON.parse(line) as HostReport;
}
