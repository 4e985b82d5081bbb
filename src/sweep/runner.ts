/**
 * Runs a sweep: cells × repeats in order, one row each, a lock on the CSV, signals handled
 * so that an interrupted sweep leaves whole rows, no child process and an exit code of 130/143.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { hostname, release } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import { FIGURE_COLUMNS, csvHeader } from "../output/columns.js";
import { Progress } from "../output/progress.js";
import { VerdictSink } from "../compare/verdict-sink.js";
import { openSinks } from "../output/sinks/open.js";
import { runLabel, type RunSink } from "../output/sinks/sink.js";
import type { RunRecord, RunResult } from "../record/run-record.js";
import { LockBusyError, lockCsv, type CsvLock } from "../rundir/lock.js";
import { metaPath, rawDirPath, rawRunBase, updateRunMeta, type RemoteHostMeta } from "../rundir/run-dir.js";
import { formatAddress } from "../process/address.js";
import { chooseLaunchers } from "../launch/choose.js";
import { parseCpuList, pinnedArgv } from "../placement/cpus.js";
import type { Launcher } from "../launch/launcher.js";
import { killEveryChildNow } from "../process/child.js";
import { summarize, type ProfileTarget } from "../profile/profiler.js";
import { preflightRemoteHosts } from "./remote-preflight.js";
import { runCellOnce, type CellRunContext, type CellRunResult } from "./cell.js";
import { regexColumns } from "./client-output.js";
import { specRedactor } from "./secrets.js";
import { stripControl } from "../untrusted/terminal.js";
import { CellFailure } from "./failure.js";
import { planResume, runKey } from "./resume.js";
import { writeRunMeta } from "./run-meta.js";
import { HeldServer, ServerPool, serverGroupKey } from "./servers.js";
import { NamedClientLaunchers, NamedServerPools, compareByOf, planNamedJobs, specForCell } from "./named-runs.js";
import { PreflightError, checkHeader, checkLimitsAndProfiler, checkOutput } from "./preflight.js";
import { CellTracer, addProfileFindings, type TracePlan } from "./tracing.js";
import { cellTemplateValues, type Cell, type SweepSpec } from "./spec.js";
import { expandTemplate } from "./template.js";
import { timeWaitNotes } from "./time-wait.js";

export interface SweepOptions {
  /** `--resume`: continue the spec's latest unfinished run (see resume.ts). */
  resume: boolean;
  /** How long to wait for another run's lock on the CSV. */
  lockWaitMs: number;
  /** Where progress and the pivot go. */
  out: NodeJS.WriteStream;
  /** Told the run id once it is known (also the finished run that `--resume` leaves alone). */
  onRunId?: (runId: string) => void;
  /** quiet: no progress or pivot; verbose: also phases and internal steps (run -q / -v). */
  verbosity?: "quiet" | "normal" | "verbose";
}

export interface CellJob {
  cell: Cell;
  repeat: number;
}

/** Every run of the sweep, repeat-major: repeat 1 of every cell, then repeat 2…, so drift over time spreads over all cells (a warm server's runs adjacent within a repeat). */
export function planJobs(spec: SweepSpec, cells: readonly Cell[]): CellJob[] {
  if (spec.servers || spec.clients) return planNamedJobs(spec, cells); // named servers / clients: each cell's back to back, rotated
  const lifetime = spec.server?.lifetime;
  const groups = lifetime === "warm" || lifetime === "group" ? cellsByServerCommand(spec, cells) : [cells];
  const repeats = Array.from({ length: spec.repeat }, (_, i) => i + 1);
  const runsOf = (group: readonly Cell[], repeat: number) => group.map((cell) => ({ cell, repeat }));
  // group: one server per distinct command line for the whole sweep: each group's runs together so it starts once.
  if (lifetime === "group") return groups.flatMap((group) => repeats.flatMap((repeat) => runsOf(group, repeat)));
  // warm: within each repeat, runs of one server command line are adjacent, and the groups alternate
  // their order from repeat to repeat, so the last server of a repeat serves the next one's first runs.
  return repeats.flatMap((repeat) => (repeat % 2 === 1 ? groups : [...groups].reverse()).flatMap((group) => runsOf(group, repeat)));
}

/** The cells grouped by their server's command line (port aside), groups and cells in matrix order. */
function cellsByServerCommand(spec: SweepSpec, cells: readonly Cell[]): Cell[][] {
  const groups = new Map<string, Cell[]>();
  for (const cell of cells) {
    const key = serverGroupKey(spec.server!, cellTemplateValues(spec, cell, 0));
    groups.set(key, [...(groups.get(key) ?? []), cell]);
  }
  return [...groups.values()];
}

/** The commands a cell would run, with the port it would get left as a placeholder. */
export function describeCommands(sweep: SweepSpec, cell: Cell): { server?: string[]; client: string[] } {
  const spec = specForCell(sweep, cell);
  const values = {
    ...cellTemplateValues(spec, cell, 0),
    ...(spec.address ? {} : { port: "<port>", address: formatAddress(spec.connectHost ?? spec.host, "<port>") }),
  };
  // As this machine would start them: a pinned role starts under taskset (the pinned launcher's argv).
  const placed = (argv: string[], cpus: string | undefined) => (cpus === undefined ? argv : pinnedArgv(parseCpuList(cpus), argv));
  return {
    ...(spec.server ? { server: placed(expandTemplate(spec.server.argv, values), spec.server.cpus) } : {}),
    client: placed(expandTemplate(spec.client.argv, values), spec.client.cpus),
  };
}

export { PreflightError };

/** The CSV header of a sweep: identity, matrix keys, figures, regex groups. */
export const sweepHeader = (spec: SweepSpec) => csvHeader(spec.matrix.keys, sweepExtraColumns(spec));
/** With `clients:`, the regex groups of every client (a client's row leaves the others' empty). */
const sweepExtraColumns = (spec: SweepSpec) => [
  ...new Set([spec.client, ...Object.values(spec.clients ?? {})].flatMap((client) => regexColumns(client, [...FIGURE_COLUMNS]))),
];

/**
 * Printed on stderr (exactly this line) once SIGINT / SIGTERM are handled: from then on a signal stops
 * the sweep cleanly (exit 130 / 143); before it, a signal simply ends the process (nothing has run yet).
 */
export const SIGNAL_HANDLERS_LINE =
  "tcpsweep: signal handlers installed (SIGINT/SIGTERM stop the sweep cleanly; a second one kills at once)";

function newRunId(): string {
  return `${new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${randomBytes(2).toString("hex")}`;
}

const CELL_OVERHEAD_S = 1.5; // server start, connects, stop

/** Takes output.csv's lock, saying whom it waits for. */
async function prepareOutput(spec: SweepSpec, lockWaitMs: number, out: NodeJS.WritableStream): Promise<CsvLock> {
  const file = spec.output.csv;
  try {
    const sayWaiting = (holder: number | undefined) =>
      out.write(
        `waiting up to ${lockWaitMs / 1000} s for the lock on ${file}: held by another tcpsweep run, PID ${holder} (${commandOf(holder)})\n`,
      );
    return await lockCsv(file, lockWaitMs, sayWaiting);
  } catch (error) {
    if (error instanceof LockBusyError) throw error;
    // e.g. the directory does not take new files
    throw new PreflightError(`${spec.file}: output.csv: cannot write ${file}: ${(error as Error).message}`);
  }
}

/** A process's command line, for messages about it. */
function commandOf(pid: number | undefined): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ") || "command unknown";
  } catch {
    return "command unknown";
  }
}

export async function runSweep(spec: SweepSpec, cells: readonly Cell[], options: SweepOptions): Promise<number> {
  const launchers = chooseLaunchers(spec);
  const plan = checkLimitsAndProfiler(spec, cells, launchers.client, launchers.server);
  const header = sweepHeader(spec);
  checkOutput(spec, true);
  checkHeader(spec, header, options.resume); // before waiting for the lock; the CSV sink checks again under it
  let remoteHosts: RemoteHostMeta[] | undefined;
  if (launchers.remote) {
    // Every remote host, before anything is written; every problem at once.
    const maxConnections = Math.max(0, ...cells.map((cell) => Number(cell.values.connections ?? 0)));
    const preflight = await preflightRemoteHosts(spec, launchers.remote, maxConnections, plan?.kind).catch((error: Error) => ({
      problems: [error.message],
      hosts: [],
    }));
    const problems = preflight.problems;
    remoteHosts = preflight.hosts;
    if (problems.length > 0) {
      await launchers.remote.close();
      throw new PreflightError(`${spec.file}: remote hosts:\n  ${problems.join("\n  ")}`);
    }
  }
  const verbose = options.verbosity === "verbose" ? (line: string) => options.out.write(`tcpsweep: ${line}\n`) : undefined;
  verbose?.(
    `preflight passed: ${cells.length} cells, ${plan ? `profiler ${plan.kind}` : "no profiler"}, server ${launchers.server.where}, client ${launchers.client.where}`,
  );
  const lock = await prepareOutput(spec, options.lockWaitMs, options.out);
  verbose?.(`locked ${spec.output.csv}`);
  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  let forced = false;
  const progress = new Progress(0, 0, options.out); // messages only; per-run lines come from the progress sink
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy) {
      // A second signal while stopping (e.g. a server that takes its stop_grace): do not wait any longer.
      if (forced) return;
      forced = true;
      progress.message(`second signal (${signal}): killing every child process now (SIGKILL); rows written so far are kept`);
      killEveryChildNow();
      return;
    }
    interruptedBy = signal;
    progress.message(`${signal}: stopping the current cell and every child process; rows written so far are kept`);
    controller.abort();
  };
  process.off("SIGINT", lateSignal);
  process.off("SIGTERM", lateSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (options.verbosity !== "quiet") options.out.write(`${SIGNAL_HANDLERS_LINE}\n`);
  const servers = new NamedServerPools(
    spec,
    spec.server && !spec.servers ? new ServerPool(launchers.server, spec.server, spec.host) : undefined,
    launchers.server,
  );
  const clientLaunchers = new NamedClientLaunchers(spec, launchers.client);
  let sinks: RunSink[] = [];
  let notOk = 0;
  try {
    const resume = options.resume ? planResume(spec) : { kind: "none" as const };
    if (resume.kind === "finished") {
      options.onRunId?.(resume.runId);
      options.out.write(`--resume: run ${resume.runId} finished; nothing to resume\n`);
      return 0;
    }
    const done = resume.kind === "resume" ? resume.done : new Set<string>();
    const jobs = planJobs(spec, cells).filter((job) => !done.has(runKey(job.cell.id, job.repeat)));
    const runId = resume.kind === "resume" ? resume.runId : newRunId();
    options.onRunId?.(runId);
    sinks = openSinks({
      csvFile: spec.output.csv,
      runId,
      mode: options.resume ? "append" : spec.output.mode, // resuming a `new` file must not wipe it
      followSymlinks: Boolean(spec.output.followSymlinks),
      matrixKeys: spec.matrix.keys,
      extraColumns: sweepExtraColumns(spec),
      syscalls: plan !== undefined,
      cpuFrames: plan?.cpu !== undefined,
      runs: jobs.length,
      estimatedRunS: spec.warmupS + spec.durationS + spec.cooldownS + CELL_OVERHEAD_S,
      out: options.out,
      quiet: options.verbosity === "quiet",
    });
    const compareBy = compareByOf(spec);
    if (compareBy) sinks.push(new VerdictSink(options.out, compareBy)); // after the pivot
    const meta = metaPath(spec.output.csv, spec.name, runId);
    // <name>.<run_id>.meta.json beside the CSV: the run's environment, and whether it finished.
    if (resume.kind === "resume" && resume.meta)
      await updateRunMeta(meta, (m) => (m.resumed_at = [...(m.resumed_at ?? []), new Date().toISOString()]), options.out);
    else await writeRunMeta(spec, cells, runId, options.out, remoteHosts ? { remote_hosts: remoteHosts } : {});
    const rawDir = rawDirPath(spec.output.csv, runId);
    mkdirSync(rawDir, { recursive: true, mode: 0o700 }); // profilers write their files there as a run starts; 0700: raw outputs may hold what a program printed
    const redactor = specRedactor(spec);
    verbose?.(`meta ${meta}; raw outputs under ${rawDir}`);
    if (options.verbosity !== "quiet")
      progress.message(
        `sweep ${spec.name}: ${jobs.length} runs${resume.kind === "resume" ? ` (resuming run ${runId}: ${done.size} already ok)` : ""}, run ${runId}, writing ${path.relative(process.cwd(), spec.output.csv)}`,
      );
    if (options.verbosity !== "quiet") for (const note of timeWaitNotes(spec, cells)) progress.message(`note: ${note}`);
    const identity = { run_id: runId, spec: spec.name, hostname: hostname(), kernel: release() };
    const limit = pLimit(spec.concurrency);
    let first = true;
    let unexpected: { error: unknown } | undefined;
    await Promise.all(
      jobs.map((job) =>
        limit(async () => {
          if (controller.signal.aborted) return;
          if (!first && spec.cooldownS > 0)
            await sleep(spec.cooldownS * 1000, undefined, { signal: controller.signal }).catch(() => undefined);
          first = false;
          if (controller.signal.aborted) return;
          for (const sink of sinks) sink.started?.(runLabel({ cell: job.cell.id, repeat: job.repeat }));
          const startedAt = new Date().toISOString();
          try {
            const context = {
              spec: specForCell(spec, job.cell),
              cell: job.cell,
              repeat: job.repeat,
              servers: servers.for(job.cell),
              clientLauncher: clientLaunchers.for(job.cell),
              rawDir,
              abort: controller.signal,
              ...(verbose ? { log: verbose } : {}),
            };
            const result = plan ? await runProfiled(context, plan, launchers.profiler) : (await runCellOnce(context)).row;
            const record: RunRecord = {
              ...identity,
              started_at: startedAt,
              cell: job.cell.id,
              repeat: job.repeat,
              matrix: job.cell.values,
              ...result,
            };
            // What a program printed (stderr's last lines) may hold a secret or escape sequences: neither goes further.
            record.error = stripControl(redactor.text(record.error));
            for (const sink of sinks) sink.write(record);
            if (record.status !== "ok") notOk++;
          } catch (error) {
            if (error instanceof CellFailure && error.status === "interrupted") return;
            // Unforeseen (ENOSPC, EROFS, a bug): stop the other runs cleanly, then let it through (exit 3).
            unexpected ??= { error: locate(error, runLabel({ cell: job.cell.id, repeat: job.repeat }), rawDir, spec.output.csv) };
            controller.abort();
          }
        }),
      ),
    );
    if (unexpected) throw unexpected.error;
    if (!interruptedBy) await updateRunMeta(meta, (m) => (m.finished_at = new Date().toISOString()), options.out);
  } finally {
    await servers.stopAll();
    await launchers.remote?.close();
    lock.release();
  }
  for (const sink of sinks) sink.close({ interrupted: interruptedBy !== undefined });
  // From here to the process's exit a signal must not kill it by the signal (the rows are whole, the
  // children gone): it ends with the usual status instead.
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.on("SIGINT", lateSignal);
  process.on("SIGTERM", lateSignal);
  if (interruptedBy) return interruptedBy === "SIGINT" ? 130 : 143;
  return notOk > 0 ? 1 : 0;
}

/** A signal after a sweep ended (its rows written, its children stopped): exit 130/143 rather than die by it. */
function lateSignal(signal: NodeJS.Signals): void {
  process.exit(signal === "SIGINT" ? 130 : 143);
}

/**
 * An unforeseen error of one run, saying which run, and where it was writing when the error itself does
 * not (Node's `write` errors carry no path: `ENOSPC: no space left on device, write`).
 */
function locate(error: unknown, label: string, rawDir: string, csvFile: string): Error {
  if (!(error instanceof Error)) return new Error(`run ${label}: ${String(error)}`);
  const errno = error as NodeJS.ErrnoException;
  const where =
    errno.code && !errno.path && !error.message.includes(csvFile) ? ` (its raw output goes under ${rawDir}, its row to ${csvFile})` : "";
  const located = new Error(`run ${label}: ${error.message}${where}`, { cause: error.cause });
  located.stack = error.stack;
  return located;
}

/**
 * A profiled run: a clean pass whose figures fill the row and a traced pass whose syscall tables
 * fill the syscall columns (`pass: same`: the traced pass alone, its rate kept out of resp_per_s).
 */
async function runProfiled(context: CellRunContext, plan: TracePlan, launcher: Launcher): Promise<RunResult> {
  const rawBase = rawRunBase(context.rawDir, context.cell.id, context.repeat);
  // Window profilers attach to the running server: both passes can share one (a launch profiler must start it).
  const held = plan.pass === "separate" && plan.kind !== "strace-launch" && context.servers ? new HeldServer(context.servers) : undefined;
  const passContext = held ? { ...context, servers: held } : context;
  const runTraced = () => runCellOnce({ ...passContext, trace: { tracer: new CellTracer(plan, rawBase, launcher), label: "traced" } });
  let base: RunResult;
  let cleanRespPerS: number | undefined;
  let traced: CellRunResult;
  if (plan.pass === "same") {
    traced = await runTraced();
    const { req_per_s: _req, resp_per_s: _resp, ...rest } = traced.row;
    base = rest;
  } else {
    try {
      base = (await runCellOnce(passContext)).row;
      // A broken cell is not worth tracing; a degraded one is (an io_uring server whose echoes differ is still profiled).
      if (base.status !== "ok" && base.status !== "degraded") return base;
      cleanRespPerS = base.resp_per_s;
      held?.lastPass();
      traced = await runTraced();
    } finally {
      await held?.releaseHeld();
    }
  }
  const row: RunResult = { ...base, syscall_source: plan.source, traced_resp_per_s: traced.row.resp_per_s };
  // Both passes' time outside their windows (pass: same has one pass, which `base` came from).
  if (plan.pass === "separate") row.overhead_s = Number(((base.overhead_s ?? 0) + (traced.row.overhead_s ?? 0)).toFixed(3));
  if (cleanRespPerS && traced.row.resp_per_s !== undefined) row.traced_ratio = Number((traced.row.resp_per_s / cleanRespPerS).toFixed(3));
  const counts = traced.syscalls?.counts ?? [];
  for (const table of counts) {
    const summary = summarize(table, traced.row.responses || undefined);
    const columns = SYSCALL_SUMMARY_COLUMNS[table.target];
    row[columns.total] = summary.syscalls_total;
    row[columns.errors] = summary.syscall_errors;
    row[columns.perRequest] = summary.syscalls_per_request;
    row[columns.top] = summary.top_syscall;
    if (table.target === "server" && summary.note) row.syscall_note = summary.note;
  }
  if (counts.length > 0) row.syscallTables = counts;
  addProfileFindings(row, plan, traced.syscalls?.cpu);
  const problems = [...(traced.syscalls?.problems ?? [])];
  // A degraded traced pass still counted the server's syscalls over a real window.
  if (plan.pass === "separate" && traced.row.status !== "ok" && traced.row.status !== "degraded")
    problems.push(`traced pass: ${traced.row.status}: ${traced.row.error}`);
  if (problems.length > 0) {
    if (row.status === "ok") row.status = "profile_failed";
    row.error = [row.error, ...problems].filter(Boolean).join("; ");
  }
  return row;
}

/** Where each target's syscall summary goes in the record. */
const SYSCALL_SUMMARY_COLUMNS = {
  server: {
    total: "server_syscalls_total",
    errors: "server_syscall_errors",
    perRequest: "server_syscalls_per_request",
    top: "server_top_syscall",
  },
  client: {
    total: "client_syscalls_total",
    errors: "client_syscall_errors",
    perRequest: "client_syscalls_per_request",
    top: "client_top_syscall",
  },
} as const satisfies Record<ProfileTarget, Record<string, keyof RunResult>>;
