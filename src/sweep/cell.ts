/**
 * One pass of a cell run: server up (or the group's), client run under the cell's hard timeout
 * with the window observed, server down, one row with figures and status. A profiled run makes
 * two passes, clean and traced (sweep/run.ts).
 */
import { closeSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { READY_LINE, WINDOW_ENDED_LINE, WINDOW_STARTED_LINE } from "../client/index.js";
import type { RunResult } from "../record/run-record.js";
import type { Launched, Launcher } from "../launch/launcher.js";
import { describeExit, type ExitInfo } from "../process/child.js";
import { usageBetween, type TreeUsage } from "../process/proctree.js";
import type { SyscallCounts } from "../profile/profiler.js";
import type { CpuProfile } from "../profile/cpu.js";
import { parseClientOutput } from "./client-output.js";
import { openForWrite } from "../untrusted/files.js";
import type { Redactor } from "../untrusted/redact.js";
import { rawRunBase } from "../rundir/run-dir.js";
import { CellFailure } from "./failure.js";
import { specRedactor } from "./secrets.js";
import { lastLines, settleServer, settleTarget, type RunningServer, type ServerSource } from "./servers.js";
import { cellTemplateValues, type Cell, type SweepSpec } from "./spec.js";
import { expandEnv, expandTemplate } from "./template.js";
import { PhaseClock, formatPhases, overheadSeconds, type PhaseSpan } from "./phases.js";
import type { TracedPassProfilers } from "./tracing.js";
import { degradedReasons } from "./validity.js";
import { pathologyNote } from "../pathology/notes.js";
import { tcpCountsRise, tcpExtCounters, type TcpCounts } from "../process/netstat.js";

export interface PassContext {
  spec: SweepSpec;
  cell: Cell;
  repeat: number;
  /** Started per spec with a server; undefined when measuring `address`. */
  servers?: ServerSource;
  /** Where the client runs. */
  clientLauncher: Launcher;
  /** Where raw outputs of this run go. */
  rawDir: string;
  abort: AbortSignal;
  /** `run --verbose`: internal lines (the client's command, the phases of each pass). */
  log?: (line: string) => void;
  /** Set for a traced pass: its profilers (its raw files are kept apart by the label "traced"). */
  traced?: TracedPassProfilers;
}

export interface PassResult {
  row: RunResult;
  /** Path of the saved raw client output, relative to the working directory. */
  rawOutput: string;
  /** A traced pass's syscall tables (and CPU profile), and why any is missing. */
  syscalls?: { counts: SyscallCounts[]; problems: string[]; cpu?: CpuProfile };
}

/**
 * Observes the measured window: samples the server's and client's /proc counters as it opens
 * and closes, and attaches / detaches a traced pass's profilers: before it opens when the client
 * waits for that (`ready`), else as it opens.
 */
class WindowObserver {
  private before?: { server?: TreeUsage; client?: TreeUsage; delayedAcks?: TcpCounts };
  usage?: { server?: TreeUsage; client?: TreeUsage };
  /** The rise of the host's delayed-ACK expiries over the window, where {@link readsDelayedAcks}. */
  delayedAcks?: number;
  constructor(
    private readonly client: Launched,
    private readonly server: RunningServer | undefined,
    private readonly tracer: TracedPassProfilers | undefined,
    private readonly clock: PhaseClock,
    /** Whether this host's TcpExt DelayedACKs count the run's: server and clients all run here. */
    private readonly readsDelayedAcks: boolean,
  ) {}
  /** The process ids to attach to, where the launchers give them (usage and ids are optional capabilities). */
  private pids() {
    return { server: this.server?.child.processIds?.(), client: this.client.processIds?.() };
  }
  /** The client has started: profilers that can attach switched off do so during its warmup. */
  started(): void {
    this.tracer?.prepare(this.pids());
  }
  /** The client is warmed up and waits: attach the profilers, then let the window open, traced from its first call. */
  async ready(): Promise<void> {
    this.clock.next("profilers attach");
    await this.tracer?.attach(this.pids());
    // Counted already, before the window: how long this takes is the count's excess at the start (docs/syscalls.md).
    this.clock.next("window opening");
    this.client.writeStdin?.("start\n");
  }
  opened(): void {
    if (this.before) return;
    this.clock.next("window");
    const delayedAcks = this.readsDelayedAcks ? tcpExtCounters(["DelayedACKs"]) : undefined;
    this.before = { server: this.server?.child.usage?.(), client: this.client.usage?.(), ...(delayedAcks ? { delayedAcks } : {}) };
    this.tracer?.windowOpened(this.pids());
  }
  closed(): void {
    if (!this.before || this.usage) return;
    this.clock.next("drain and client exit");
    this.tracer?.windowClosed();
    const between = (before: TreeUsage | undefined, now: TreeUsage | undefined) => (before && now ? usageBetween(before, now) : undefined);
    this.usage = {
      server: between(this.before.server, this.server?.child.usage?.()),
      client: between(this.before.client, this.client.usage?.()),
    };
    if (this.before.delayedAcks) this.delayedAcks = tcpCountsRise(this.before.delayedAcks, tcpExtCounters(["DelayedACKs"])).DelayedACKs;
  }
}

/** Runs the client; resolves with its exit, or throws CellFailure on the hard timeout or an interrupt. */
async function runClient(client: Launched, deadline: number, abort: AbortSignal): Promise<ExitInfo> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<"timeout" | "interrupted">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
    onAbort = () => resolve("interrupted");
    if (abort.aborted) onAbort();
    abort.addEventListener("abort", onAbort);
  });
  try {
    const outcome = await Promise.race([client.exited, stopped]);
    if (typeof outcome !== "string") return outcome;
    await client.stop("SIGTERM", 1000);
    throw new CellFailure(
      outcome,
      outcome === "timeout" ? "the cell hit its time limit (timeout) before the client finished" : "interrupted",
      {
        client,
      },
    );
  } finally {
    clearTimeout(timer);
    abort.removeEventListener("abort", onAbort!);
  }
}

function saveRawOutput(
  file: string,
  processes: { label: string; child: Launched }[],
  phases: readonly PhaseSpan[],
  redactor: Redactor,
): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sections = processes.flatMap(({ label, child }) => [
    `### ${label}: ${redactor.argv(child.argv).join(" ")}`,
    `--- stdout ---`,
    redactor.text(child.stdout()),
    `--- stderr ---`,
    redactor.text(child.stderr()),
    `--- ${child.hasExited ? "ended" : "running"} ---`,
  ]);
  sections.push("### phases (wall time of this pass)", formatPhases(phases));
  const fd = openForWrite(file, "truncate"); // never through a link planted in the raw directory
  try {
    writeFileSync(fd, `${sections.join("\n")}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Runs one pass (clean, or traced when `context.traced` is set). */
export async function runPass(context: PassContext): Promise<PassResult> {
  const { spec, cell, repeat, abort } = context;
  const tracer = context.traced;
  const rawFile = `${rawRunBase(context.rawDir, cell.id, repeat)}${tracer ? ".traced" : ""}.log`;
  const rawOutput = path.relative(process.cwd(), rawFile);
  const deadline = Date.now() + spec.timeoutS * 1000;
  let server: RunningServer | undefined;
  let client: Launched | undefined;
  let stopNote = "";
  const clock = new PhaseClock("server start");
  try {
    const wrapServer = (argv: string[]) => tracer?.wrap("server", argv) ?? argv;
    server = context.servers ? await context.servers.acquire((port) => cellTemplateValues(spec, cell, port), abort, wrapServer) : undefined;
    // Host-wide, so read only where the server runs here (ListenOverflows: over the run, connects included).
    const serverHere = spec.server !== undefined && spec.server.host === undefined;
    const tcpBefore = serverHere ? tcpExtCounters(["ListenOverflows"]) : undefined;
    const values = cellTemplateValues(spec, cell, server?.port);
    await settleServer(context.clientLauncher, settleTarget(spec, values), server, spec.server, abort);
    // settleServer gives up quietly on a signal: no client should start after it (test/runner-interrupt.test.ts).
    if (abort.aborted) throw new CellFailure("interrupted", "interrupted before the client started");
    clock.next("client start, connects, warmup");
    const clientArgv = expandTemplate(spec.client.argv, values);
    context.log?.(
      `${cell.id} #${repeat}${tracer ? " (traced)" : ""}: client ${clientArgv.join(" ")}${server ? ` (server port ${server.port})` : ""}`,
    );
    // A traced pass whose profilers attach to running processes holds the built-in client's window until they have.
    const holdWindow = spec.client.builtin && tracer?.attachesToRunning === true;
    const argv = [...(tracer?.wrap("client", clientArgv) ?? clientArgv), ...(holdWindow ? ["--wait-for-start"] : [])];
    client = context.clientLauncher.start({ argv, cwd: spec.client.cwd, env: expandEnv(spec.client.env, values), stdin: holdWindow });
    if (holdWindow && !client.writeStdin) {
      await client.stop("SIGKILL", 0);
      throw new Error(
        `the client launcher (${context.clientLauncher.where}) cannot write to the client's stdin, which a traced pass needs`,
      );
    }
    // Delayed ACKs fire on the side that waits to acknowledge (the client, with a Nagle server): every side here.
    const observer = new WindowObserver(client, server, tracer, clock, serverHere && spec.client.hosts === undefined);
    observer.started();
    // As it happens, for -v (and tests that act mid-window: an event to wait for, not a guessed delay).
    const windowOpened = () => (observer.opened(), context.log?.(`${cell.id} #${repeat}${tracer ? " (traced)" : ""}: window open`));
    if (spec.client.builtin) {
      client.stderrLines((line) => {
        if (line === READY_LINE) void observer.ready();
        else if (line === WINDOW_STARTED_LINE) windowOpened();
        else if (line === WINDOW_ENDED_LINE) observer.closed();
      });
    } else {
      // An external client does not say when its window opens: assume it follows its flags.
      const opens = setTimeout(windowOpened, spec.warmupS * 1000);
      const closes = setTimeout(() => observer.closed(), (spec.warmupS + spec.durationS) * 1000);
      void client.exited.then(() => (clearTimeout(opens), clearTimeout(closes)));
    }

    const exit = await runClient(client, deadline, abort);
    const tcpRise = tcpBefore !== undefined ? tcpCountsRise(tcpBefore, tcpExtCounters(["ListenOverflows"])) : undefined;
    clock.next("server stop");
    const serverDied = server?.exitedEarly;
    const serverHostLost = server?.hostLost === true;
    if (server && context.servers) {
      const { forced } = await context.servers.release(server);
      if (forced) stopNote = `server did not stop within ${spec.server!.stopGraceS} s of ${spec.server!.stopSignal} and was killed`;
    }

    const parsed = exit.startError ? { error: describeExit(exit) } : parseClientOutput(spec.client, client.stdout());
    const figures = "figures" in parsed ? parsed.figures : {};
    const usage = observer.usage;
    const row: RunResult = {
      duration_s: spec.durationS,
      ...figures,
      ...("extra" in parsed && parsed.extra ? { extra: parsed.extra } : {}),
      client_exit_code: exit.exitCode ?? exit.signal ?? "",
      client_cpu_s: round(usage?.client?.cpuS),
      client_cpu_user_s: round(usage?.client?.userS),
      client_cpu_sys_s: round(usage?.client?.systemS),
      client_cpu_softirq_s: round(usage?.client?.softirqS),
      // Worker threads of the client (the builtin client's JSON `threads`): with client_cpu_s, says whether the client was the limit.
      client_threads: figures.client_threads,
      server_cpu_s: round(usage?.server?.cpuS),
      server_cpu_user_s: round(usage?.server?.userS),
      server_cpu_sys_s: round(usage?.server?.systemS),
      server_cpu_softirq_s: round(usage?.server?.softirqS),
      server_max_rss_kb: usage?.server?.peakRssKb,
      server_ctx_voluntary: usage?.server?.voluntaryCtxSwitches,
      server_ctx_involuntary: usage?.server?.involuntaryCtxSwitches,
      server_processes: usage?.server?.processes,
      client_cpus: spec.client.cpus,
      server_cpus: spec.server?.cpus,
      raw_output: rawOutput,
      status: "ok",
      error: "",
    };
    const clientProblem = exit.exitCode === 0 ? "" : `client ${describeExit(exit)}${lastLines(client.stderr())}`;
    if (serverDied) {
      row.status = serverHostLost ? "server_failed" : "server_exited";
      row.error = `server ${serverDied} during the run`;
    } else if ("error" in parsed) {
      row.status = exit.exitCode === 0 ? "parse_error" : "client_failed";
      row.error = exit.exitCode === 0 ? parsed.error : clientProblem;
    } else if (exit.exitCode === 0 && figures.responses !== undefined && Number(figures.responses) === 0) {
      // The run happened, but a server that answered nothing was not measured: say so, do not call it ok.
      row.status = "no_responses";
      row.error = "no valid reply to any request in the window (see the errors_* columns and the raw output)";
    } else {
      const degraded = exit.exitCode === 0 ? degradedReasons(row, spec.validity) : [];
      row.status = exit.exitCode !== 0 ? "client_exit" : degraded.length > 0 ? "degraded" : "ok";
      row.error = exit.exitCode === 0 ? degraded.join("; ") : clientProblem;
    }
    row.error = [row.error, stopNote].filter(Boolean).join("; ");
    const delayedAcks = observer.delayedAcks;
    row.note =
      pathologyNote({ row, tcpRise: { ...tcpRise, ...(delayedAcks !== undefined ? { DelayedACKs: delayedAcks } : {}) } }) || undefined;
    clock.next("profiler results");
    const syscalls = tracer ? await tracer.results() : undefined;
    const phases = clock.phases();
    context.log?.(`${cell.id} #${repeat}: ${row.status}; phases: ${formatPhases(phases).replace(/\n/g, ", ")}`);
    row.overhead_s = overheadSeconds(phases, spec.warmupS, row.duration_s ?? spec.durationS);
    saveRawOutput(
      rawFile,
      [{ label: "client", child: client }, ...(row.status === "ok" || !server ? [] : [{ label: "server", child: server.child }])],
      phases,
      specRedactor(spec),
    );
    return { row, rawOutput, ...(syscalls ? { syscalls } : {}) };
  } catch (error) {
    if (!(error instanceof CellFailure)) throw error;
    await tracer?.abort();
    if (server && context.servers) await context.servers.release(server);
    if (error.status === "interrupted") throw error;
    const processes = [
      ...(client ? [{ label: "client", child: client }] : []),
      ...((error.processes.server ?? server?.child) ? [{ label: "server", child: (error.processes.server ?? server?.child)! }] : []),
    ];
    saveRawOutput(rawFile, processes, clock.phases(), specRedactor(spec));
    return { row: { duration_s: spec.durationS, status: error.status, error: error.message, raw_output: rawOutput }, rawOutput };
  }
}

function round(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Number(value.toFixed(3));
}
