/**
 * Runs a sweep: cells × repeats in order, one row each, a lock on the CSV, signals handled
 * so that an interrupted sweep leaves whole rows, no child process and an exit code of 130/143.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { hostname, release } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import { FIGURE_COLUMNS } from "../output/columns.js";
import { readCsvRows } from "../output/csv.js";
import { LockBusyError, lockCsv, type CsvLock } from "../output/lock.js";
import { writeRunMeta, type RemoteHostMeta } from "../output/meta.js";
import { Progress } from "../output/progress.js";
import { openSinks } from "../output/sinks/open.js";
import { runLabel, type RunSink } from "../output/sinks/sink.js";
import type { RunRecord, RunResult } from "../record/run-record.js";
import { formatAddress } from "../process/address.js";
import { chooseLaunchers } from "../launch/choose.js";
import type { Launcher } from "../launch/launcher.js";
import { summarize, type ProfileTarget } from "../profile/profiler.js";
import { preflightRemoteHosts } from "../remote/preflight.js";
import { runCellOnce, type CellRunContext, type CellRunResult } from "./cell.js";
import { regexColumns } from "./client-output.js";
import { CellFailure } from "./failure.js";
import { ServerPool, serverGroupKey } from "./servers.js";
import { CellTracer, tracePlan, tracePlanProblem, type TracePlan } from "./tracing.js";
import { cellTemplateValues, type Cell, type SweepSpec } from "./spec.js";
import { expandTemplate } from "./template.js";

export interface SweepOptions {
  /** `--resume`: skip cell × repeat pairs this spec already has an ok row for. */
  resume: boolean;
  /** How long to wait for another run's lock on the CSV. */
  lockWaitMs: number;
  /** Where progress and the pivot go. */
  out: NodeJS.WriteStream;
}

export interface CellJob {
  cell: Cell;
  repeat: number;
}

/** Every run of the sweep, repeat-major: repeat 1 of every cell, then repeat 2…, so drift over time spreads over all cells. */
export function planJobs(spec: SweepSpec, cells: readonly Cell[]): CellJob[] {
  const jobs: CellJob[] = [];
  for (let repeat = 1; repeat <= spec.repeat; repeat++) for (const cell of cells) jobs.push({ cell, repeat });
  if (spec.server?.lifetime !== "group") return jobs;
  // One server per distinct command line: keep each group's runs together so it starts once.
  const groupOf = (job: CellJob) => serverGroupKey(spec.server!, cellTemplateValues(spec, job.cell, 0));
  const order = [...new Set(jobs.map(groupOf))];
  return jobs.map((job, i) => ({ job, group: order.indexOf(groupOf(job)), i })).sort((a, b) => a.group - b.group || a.i - b.i).map(({ job }) => job);
}

/** The commands a cell would run, with the port it would get left as a placeholder. */
export function describeCommands(spec: SweepSpec, cell: Cell): { server?: string[]; client: string[] } {
  const values = { ...cellTemplateValues(spec, cell, 0), ...(spec.address ? {} : { port: "<port>", address: formatAddress(spec.connectHost ?? spec.host, "<port>") }) };
  return {
    ...(spec.server ? { server: expandTemplate(spec.server.argv, values) } : {}),
    client: expandTemplate(spec.client.argv, values),
  };
}

/** A problem that stops the sweep before it starts (exit 2): limits, output, profiling. */
export class PreflightError extends Error {}

function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(2).toString("hex")}`;
}

const CELL_OVERHEAD_S = 1.5; // server start, connects, stop

/**
 * Makes sure rows can be written to `file` (creating its directory) and takes its lock,
 * before anything runs: a path under a file, in /proc or unwritable is a PreflightError.
 */
async function prepareOutput(spec: SweepSpec, lockWaitMs: number): Promise<CsvLock> {
  const file = spec.output.csv;
  const cannot = (error: unknown) => new PreflightError(`${spec.file}: output.csv: cannot write ${file}: ${(error as Error).message}`);
  try {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" && code !== "ENOTDIR") throw error;
      let blocker = path.dirname(file);
      while (!existsSync(blocker) && path.dirname(blocker) !== blocker) blocker = path.dirname(blocker);
      throw new Error(`${blocker} is not a directory`);
    }
    let isFile = true;
    try {
      isFile = statSync(file).isFile();
      if (isFile) closeSync(openSync(file, "r+")); // writable, and left as it is
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (!isFile) throw new Error("it exists and is not a regular file");
  } catch (error) {
    throw cannot(error);
  }
  try {
    return await lockCsv(file, lockWaitMs);
  } catch (error) {
    if (error instanceof LockBusyError) throw error;
    throw cannot(error); // e.g. the directory does not take new files
  }
}

export async function runSweep(spec: SweepSpec, cells: readonly Cell[], options: SweepOptions): Promise<number> {
  const maxConnections = Math.max(0, ...cells.map((cell) => Number(cell.values.connections ?? 0)));
  const launchers = chooseLaunchers(spec);
  const shortfall = launchers.client.openFileShortfall(maxConnections);
  if (shortfall) throw new PreflightError(`${spec.file}: ${shortfall}`);

  const plan = tracePlan(spec);
  if (plan) {
    const problem = tracePlanProblem(spec, plan);
    if (problem) throw new PreflightError(`${spec.file}: ${problem}`);
  }

  let remoteHosts: RemoteHostMeta[] | undefined;
  if (launchers.remote) {
    // Every remote host, before anything is written; every problem at once.
    const preflight = await preflightRemoteHosts(spec, launchers.remote, maxConnections, plan?.kind).catch((error: Error) => ({ problems: [error.message], hosts: [] }));
    const problems = preflight.problems;
    remoteHosts = preflight.hosts;
    if (problems.length > 0) {
      await launchers.remote.close();
      throw new PreflightError(`${spec.file}: remote hosts:\n  ${problems.join("\n  ")}`);
    }
  }

  const lock = await prepareOutput(spec, options.lockWaitMs);
  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const progress = new Progress(0, 0, options.out); // messages only; per-run lines come from the progress sink
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy) return;
    interruptedBy = signal;
    progress.message(`${signal}: stopping the current cell and every child process; rows written so far are kept`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const servers = spec.server ? new ServerPool(launchers.server, spec.server, spec.host) : undefined;
  let sinks: RunSink[] = [];
  let notOk = 0;
  try {
    const done = options.resume ? completedRuns(spec) : new Set<string>();
    const jobs = planJobs(spec, cells).filter((job) => !done.has(runKey(job.cell.id, job.repeat)));
    sinks = openSinks({
      csvFile: spec.output.csv,
      mode: options.resume ? "append" : spec.output.mode, // resuming a `new` file must not wipe it
      matrixKeys: spec.matrix.keys,
      extraColumns: regexColumns(spec.client, [...FIGURE_COLUMNS]),
      syscalls: plan !== undefined,
      runs: jobs.length,
      estimatedRunS: spec.warmupS + spec.durationS + spec.cooldownS + CELL_OVERHEAD_S,
      out: options.out,
    });
    const runId = newRunId();
    await writeRunMeta(spec, cells, runId, options.out, remoteHosts ? { remote_hosts: remoteHosts } : {}); // <name>.<run_id>.meta.json beside the CSV: the run's environment
    const rawDir = path.join(path.dirname(spec.output.csv), `${path.basename(spec.output.csv, ".csv")}.raw`, runId);
    mkdirSync(rawDir, { recursive: true }); // profilers write their files there as a run starts
    progress.message(
      `sweep ${spec.name}: ${jobs.length} runs${done.size > 0 ? ` (${done.size} already done, resumed)` : ""}, run ${runId}, writing ${path.relative(process.cwd(), spec.output.csv)}`,
    );
    const identity = { run_id: runId, spec: spec.name, hostname: hostname(), kernel: release() };
    const limit = pLimit(spec.concurrency);
    let first = true;
    await Promise.all(
      jobs.map((job) =>
        limit(async () => {
          if (controller.signal.aborted) return;
          if (!first && spec.cooldownS > 0) await sleep(spec.cooldownS * 1000, undefined, { signal: controller.signal }).catch(() => undefined);
          first = false;
          if (controller.signal.aborted) return;
          for (const sink of sinks) sink.started?.(runLabel({ cell: job.cell.id, repeat: job.repeat }));
          const startedAt = new Date().toISOString();
          try {
            const context = { spec, cell: job.cell, repeat: job.repeat, servers, clientLauncher: launchers.client, rawDir, abort: controller.signal };
            const result = plan ? await runProfiled(context, plan, launchers.profiler) : (await runCellOnce(context)).row;
            const record: RunRecord = { ...identity, started_at: startedAt, cell: job.cell.id, repeat: job.repeat, matrix: job.cell.values, ...result };
            for (const sink of sinks) sink.write(record);
            if (record.status !== "ok") notOk++;
          } catch (error) {
            if (error instanceof CellFailure && error.status === "interrupted") return;
            throw error;
          }
        }),
      ),
    );
  } finally {
    await servers?.stopAll();
    await launchers.remote?.close();
    lock.release();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  for (const sink of sinks) sink.close({ interrupted: interruptedBy !== undefined });
  if (interruptedBy) return interruptedBy === "SIGINT" ? 130 : 143;
  return notOk > 0 ? 1 : 0;
}

const runKey = (cellId: string, repeat: number | string) => `${cellId}#${repeat}`;

/**
 * A profiled run: a clean pass whose figures fill the row and a traced pass whose syscall tables
 * fill the syscall columns (`pass: same`: the traced pass alone, its rate kept out of resp_per_s).
 */
async function runProfiled(context: CellRunContext, plan: TracePlan, launcher: Launcher): Promise<RunResult> {
  const rawBase = path.join(context.rawDir, `${context.cell.id}.r${context.repeat}`);
  const runTraced = () => runCellOnce({ ...context, trace: { tracer: new CellTracer(plan, rawBase, launcher), label: "traced" } });
  let base: RunResult;
  let cleanRespPerS: number | undefined;
  let traced: CellRunResult;
  if (plan.pass === "same") {
    traced = await runTraced();
    const { req_per_s: _req, resp_per_s: _resp, ...rest } = traced.row;
    base = rest;
  } else {
    base = (await runCellOnce(context)).row;
    if (base.status !== "ok") return base; // a broken cell is not worth tracing
    cleanRespPerS = base.resp_per_s;
    traced = await runTraced();
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
  }
  if (counts.length > 0) row.syscallTables = counts;
  const problems = [...(traced.syscalls?.problems ?? [])];
  if (plan.pass === "separate" && traced.row.status !== "ok") problems.push(`traced pass: ${traced.row.status}: ${traced.row.error}`);
  if (problems.length > 0) {
    if (row.status === "ok") row.status = "profile_failed";
    row.error = [row.error, ...problems].filter(Boolean).join("; ");
  }
  return row;
}

/** Where each target's syscall summary goes in the record. */
const SYSCALL_SUMMARY_COLUMNS = {
  server: { total: "server_syscalls_total", errors: "server_syscall_errors", perRequest: "server_syscalls_per_request", top: "server_top_syscall" },
  client: { total: "client_syscalls_total", errors: "client_syscall_errors", perRequest: "client_syscalls_per_request", top: "client_top_syscall" },
} as const satisfies Record<ProfileTarget, Record<string, keyof RunResult>>;

/** Cell × repeat pairs this spec already has an ok row for (failed ones are run again by --resume). */
function completedRuns(spec: SweepSpec): Set<string> {
  return new Set(
    readCsvRows(spec.output.csv)
      .filter((row) => row.spec === spec.name && row.status === "ok")
      .map((row) => runKey(row.cell ?? "", row.repeat ?? "")),
  );
}
