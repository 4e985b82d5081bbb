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
import { FIGURE_COLUMNS, csvHeader, type Row } from "../output/columns.js";
import { CsvWriter } from "../output/csv.js";
import { LockBusyError, lockCsv, type CsvLock } from "../output/lock.js";
import { metaPath, updateRunMeta, writeRunMeta } from "../output/meta.js";
import { formatPivot } from "../output/pivot.js";
import { Progress } from "../output/progress.js";
import { syscallRows, syscallsCsvWriter } from "../output/syscalls-csv.js";
import { formatAddress } from "../process/address.js";
import { openFileShortfall } from "../process/limits.js";
import { perfProblem, straceProblem } from "../profile/preflight.js";
import { summarize, type SyscallCounts } from "../profile/profiler.js";
import { runCellOnce, type CellRunContext, type CellRunResult } from "./cell.js";
import { regexColumns } from "./client-output.js";
import { CellFailure } from "./failure.js";
import { planResume, runKey } from "./resume.js";
import { ServerPool, serverGroupKey } from "./servers.js";
import { CellTracer, tracePlan, tracePlanProblem, type TracePlan } from "./tracing.js";
import { cellTemplateValues, type Cell, type SweepSpec } from "./spec.js";
import { expandTemplate } from "./template.js";

export interface SweepOptions {
  /** `--resume`: continue the spec's latest unfinished run (see resume.ts). */
  resume: boolean;
  /** How long to wait for another run's lock on the CSV. */
  lockWaitMs: number;
  /** Where progress and the pivot go. */
  out: NodeJS.WriteStream;
  /** Told the run id once it is known (also the finished run that `--resume` leaves alone). */
  onRunId?: (runId: string) => void;
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
  const values = { ...cellTemplateValues(spec, cell, 0), ...(spec.address ? {} : { port: "<port>", address: formatAddress(spec.host, "<port>") }) };
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
  const shortfall = openFileShortfall(maxConnections);
  if (shortfall) throw new PreflightError(`${spec.file}: ${shortfall}`);

  const plan = tracePlan(spec);
  if (plan) {
    const problem = tracePlanProblem(spec, plan) ?? (plan.source === "strace" ? straceProblem(plan.attach) : perfProblem());
    if (problem) throw new PreflightError(`${spec.file}: ${problem}`);
  }

  const header = csvHeader(spec.matrix.keys, regexColumns(spec.client, [...FIGURE_COLUMNS]));
  const csv = new CsvWriter(spec.output.csv, header);
  const syscallsCsv = plan ? syscallsCsvWriter(spec.output.csv) : undefined;
  const lock = await prepareOutput(spec, options.lockWaitMs);
  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy) return;
    interruptedBy = signal;
    progress.message(`${signal}: stopping the current cell and every child process; rows written so far are kept`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const servers = spec.server ? new ServerPool(spec.server, spec.host) : undefined;
  const rows: Row[] = [];
  let progress = new Progress(0, 0, options.out);
  try {
    const resume = options.resume ? planResume(spec) : { kind: "none" as const };
    if (resume.kind === "finished") {
      options.onRunId?.(resume.runId);
      options.out.write(`--resume: run ${resume.runId} finished; nothing to resume\n`);
      return 0;
    }
    const done = resume.kind === "resume" ? resume.done : new Set<string>();
    const mode = options.resume ? "append" : spec.output.mode; // resuming a `new` file must not wipe it
    csv.open(mode);
    syscallsCsv?.open(mode);
    const jobs = planJobs(spec, cells).filter((job) => !done.has(runKey(job.cell.id, job.repeat)));
    const runId = resume.kind === "resume" ? resume.runId : newRunId();
    options.onRunId?.(runId);
    const meta = metaPath(spec.output.csv, spec.name, runId);
    // <name>.<run_id>.meta.json beside the CSV: the run's environment, and whether it finished.
    if (resume.kind === "resume" && resume.meta) await updateRunMeta(meta, (m) => (m.resumed_at = [...(m.resumed_at ?? []), new Date().toISOString()]), options.out);
    else await writeRunMeta(spec, cells, runId, options.out);
    const rawDir = path.join(path.dirname(spec.output.csv), `${path.basename(spec.output.csv, ".csv")}.raw`, runId);
    mkdirSync(rawDir, { recursive: true }); // profilers write their files there as a run starts
    progress = new Progress(jobs.length, spec.warmupS + spec.durationS + spec.cooldownS + CELL_OVERHEAD_S, options.out);
    progress.message(
      `sweep ${spec.name}: ${jobs.length} runs${resume.kind === "resume" ? ` (resuming run ${runId}: ${done.size} already ok)` : ""}, run ${runId}, writing ${path.relative(process.cwd(), spec.output.csv)}`,
    );
    const identity = { run_id: runId, spec: spec.name, hostname: hostname(), kernel: release() };
    const limit = pLimit(spec.concurrency);
    let lastRespPerS: number | undefined;
    let first = true;
    await Promise.all(
      jobs.map((job) =>
        limit(async () => {
          if (controller.signal.aborted) return;
          if (!first && spec.cooldownS > 0) await sleep(spec.cooldownS * 1000, undefined, { signal: controller.signal }).catch(() => undefined);
          first = false;
          if (controller.signal.aborted) return;
          const label = `${job.cell.id} #${job.repeat}`;
          progress.cellStarted(label, lastRespPerS);
          const startedAt = new Date().toISOString();
          try {
            const context = { spec, cell: job.cell, repeat: job.repeat, servers, rawDir, abort: controller.signal };
            const { row, syscalls } = plan ? await runProfiled(context, plan) : { row: (await runCellOnce(context)).row, syscalls: [] };
            const full: Row = { ...identity, started_at: startedAt, cell: job.cell.id, repeat: job.repeat, ...job.cell.values, ...row };
            const tableIdentity = { run_id: runId, cell: job.cell.id, repeat: job.repeat };
            if (syscalls.length > 0) syscallsCsv!.append(...syscalls.flatMap((counts) => syscallRows(tableIdentity, counts)));
            csv.append(full);
            rows.push(full);
            if (row.status === "ok") lastRespPerS = Number(row.resp_per_s);
            progress.cellFinished(label, row.status === "ok" ? `${Math.round(Number(row.resp_per_s))} resp/s` : `${row.status}: ${row.error}`);
          } catch (error) {
            if (error instanceof CellFailure && error.status === "interrupted") return;
            throw error;
          }
        }),
      ),
    );
    if (!interruptedBy) await updateRunMeta(meta, (m) => (m.finished_at = new Date().toISOString()), options.out);
  } finally {
    await servers?.stopAll();
    lock.release();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const pivot = formatPivot(rows, spec.matrix.keys);
  if (pivot) options.out.write(`\n${pivot}\n`);
  if (interruptedBy) return interruptedBy === "SIGINT" ? 130 : 143;
  const failed = rows.filter((row) => row.status !== "ok").length;
  options.out.write(`\n${rows.length} runs, ${failed} not ok; rows in ${path.relative(process.cwd(), spec.output.csv)}\n`);
  return failed > 0 ? 1 : 0;
}

/**
 * A profiled run: a clean pass whose figures fill the row and a traced pass whose syscall tables
 * fill the syscall columns (`pass: same`: the traced pass alone, its rate kept out of resp_per_s).
 */
async function runProfiled(context: CellRunContext, plan: TracePlan): Promise<{ row: Row; syscalls: SyscallCounts[] }> {
  const runTraced = () =>
    runCellOnce({ ...context, trace: { tracer: new CellTracer(plan, path.join(context.rawDir, `${context.cell.id}.r${context.repeat}`)), label: "traced" } });
  let base: Row;
  let cleanRespPerS: number | undefined;
  let traced: CellRunResult;
  if (plan.pass === "same") {
    traced = await runTraced();
    const { req_per_s: _req, resp_per_s: _resp, ...rest } = traced.row;
    base = rest;
  } else {
    base = (await runCellOnce(context)).row;
    if (base.status !== "ok") return { row: base, syscalls: [] }; // a broken cell is not worth tracing
    cleanRespPerS = Number(base.resp_per_s);
    traced = await runTraced();
  }
  const row: Row = { ...base, syscall_source: plan.source, traced_resp_per_s: traced.row.resp_per_s };
  if (cleanRespPerS && traced.row.resp_per_s !== undefined) row.traced_ratio = Number((Number(traced.row.resp_per_s) / cleanRespPerS).toFixed(3));
  const counts = traced.syscalls?.counts ?? [];
  for (const table of counts) {
    const summary = summarize(table, Number(traced.row.responses) || undefined);
    row[`${table.target}_syscalls_total`] = summary.syscalls_total;
    row[`${table.target}_syscall_errors`] = summary.syscall_errors;
    row[`${table.target}_syscalls_per_request`] = summary.syscalls_per_request;
    row[`${table.target}_top_syscall`] = summary.top_syscall;
  }
  const problems = [...(traced.syscalls?.problems ?? [])];
  if (plan.pass === "separate" && traced.row.status !== "ok") problems.push(`traced pass: ${traced.row.status}: ${traced.row.error}`);
  if (problems.length > 0) {
    if (row.status === "ok") row.status = "profile_failed";
    row.error = [row.error, ...problems].filter(Boolean).join("; ");
  }
  return { row, syscalls: counts };
}
