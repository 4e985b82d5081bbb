/**
 * Runs a sweep: cells × repeats in order, one row each, a lock on the CSV, signals handled
 * so that an interrupted sweep leaves whole rows, no child process and an exit code of 130/143.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname, release } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import { FIGURE_COLUMNS, csvHeader } from "../output/columns.js";
import { Progress } from "../output/progress.js";
import { openSinks } from "../output/sinks/open.js";
import { runLabel, type RunSink } from "../output/sinks/sink.js";
import type { RunRecord } from "../record/run-record.js";
import { LockBusyError, lockCsv, type CsvLock } from "../rundir/lock.js";
import { makeRawDir, metaPath, updateRunMeta } from "../rundir/run-dir.js";
import { formatAddress } from "../process/address.js";
import { chooseLaunchers, closeLaunchers, preflightLaunchers, type Launchers } from "../launch/choose.js";
import { retryOnLoss } from "../launch/kept.js";
import { parseCpuList, pinnedArgv } from "../placement/cpus.js";
import { killEveryChildNow } from "../process/child.js";
import { escapedKilledSoFar } from "../process/tree-marker.js";
import { runOnce } from "./run.js";
import { regexColumns } from "./client-output.js";
import { specRedactor } from "./secrets.js";
import { stripControl } from "../untrusted/terminal.js";
import { CellFailure } from "./failure.js";
import { planResume, runKey } from "./resume.js";
import { writeRunMeta } from "./run-meta.js";
import { serverGroupKey } from "./servers.js";
import { CellSetups, planNamedJobs, specForCell } from "./named-runs.js";
import { PreflightError, passPreflight } from "./preflight.js";
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
  /** Where the processes run (default: launch/choose.ts decides); test/runner-fast.test.ts passes fake launchers. */
  chooseLaunchers?: (spec: SweepSpec) => Launchers;
  /** Waits a cooldown, ending early on abort (default: a timer); the fast runner tests pass a fake clock. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
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
    const group = groups.get(key);
    if (group)
      group.push(cell); // pushed, not copied: a copy per cell was quadratic in the matrix
    else groups.set(key, [cell]);
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
    // Said as the dry run says it (rundir/writable.ts), with the spec and its key.
    if (error instanceof LockBusyError) throw new LockBusyError(`${spec.file}: output.csv: ${error.message}`);
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
  const launchers = (options.chooseLaunchers ?? chooseLaunchers)(spec);
  const wait = options.sleep ?? ((ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined));
  // The dry run's checks, through the same function; the CSV sink checks the header again under the lock.
  const plan = await passPreflight(spec, cells, { header: sweepHeader(spec), resume: options.resume, launchers });
  // Every launcher's own checks (remote hosts over ssh), before anything is written; every problem at once.
  const maxConnections = Math.max(0, ...cells.map((cell) => Number(cell.values.connections ?? 0)));
  const preflight = await preflightLaunchers(launchers, maxConnections, plan?.kind);
  if (preflight.problems.length > 0) {
    await closeLaunchers(launchers);
    throw new PreflightError(`${spec.file}: where its processes run:\n  ${preflight.problems.join("\n  ")}`);
  }
  const remoteHosts = preflight.hosts.length > 0 ? preflight.hosts : undefined;
  const verbose = options.verbosity === "verbose" ? (line: string) => options.out.write(`tcpsweep: ${line}\n`) : undefined;
  verbose?.(
    `preflight passed: ${cells.length} cells, ${plan ? `profiler ${plan.kind}` : "no profiler"}, server ${launchers.server.where}, client ${launchers.client.where}`,
  );
  const escapedBefore = escapedKilledSoFar();
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
  const setups = new CellSetups(spec, launchers);
  const profiling = plan ? { plan, launcher: launchers.profiler } : undefined;
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
      syscalls: plan?.kind !== undefined,
      cpuFrames: plan?.cpu !== undefined,
      runs: jobs.length,
      estimatedRunS: spec.warmupS + spec.durationS + spec.cooldownS + CELL_OVERHEAD_S,
      out: options.out,
      quiet: options.verbosity === "quiet",
    });
    const meta = metaPath(spec.output.csv, spec.name, runId);
    // <name>.<run_id>.meta.json beside the CSV: the run's environment, and whether it finished.
    if (resume.kind === "resume" && resume.meta)
      await updateRunMeta(meta, (m) => (m.resumed_at = [...(m.resumed_at ?? []), new Date().toISOString()]), options.out);
    else await writeRunMeta(spec, cells, runId, options.out, remoteHosts ? { remote_hosts: remoteHosts } : {});
    const rawDir = makeRawDir(spec.output.csv, runId, Boolean(spec.output.followSymlinks)); // profilers write there as a run starts; a link in its place is refused
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
          if (!first && spec.cooldownS > 0) await wait(spec.cooldownS * 1000, controller.signal);
          first = false;
          if (controller.signal.aborted) return;
          for (const sink of sinks) sink.started?.(runLabel({ cell: job.cell.id, repeat: job.repeat }));
          const startedAt = new Date().toISOString();
          try {
            const context = { ...setups.for(job.cell), cell: job.cell, repeat: job.repeat, rawDir, abort: controller.signal, log: verbose };
            const result = await retryOnLoss(context, () => runOnce(context, profiling));
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
    await setups.stopAll();
    await closeLaunchers(launchers);
    lock.release();
  }
  for (const sink of sinks) sink.close({ interrupted: interruptedBy !== undefined });
  reportEscaped(escapedKilledSoFar() - escapedBefore, options.out);
  // From here to the process's exit a signal must not kill it by the signal (the rows are whole, the
  // children gone): it ends with the usual status instead.
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.on("SIGINT", lateSignal);
  process.on("SIGTERM", lateSignal);
  if (interruptedBy) return interruptedBy === "SIGINT" ? 130 : 143;
  return notOk > 0 ? 1 : 0;
}

/** Descendants that left their tree (setsid, double fork, nohup) and were found by their marker: a person should know. */
function reportEscaped(count: number, out: NodeJS.WritableStream): void {
  if (count === 0) return;
  out.write(
    `tcpsweep: killed ${count} escaped descendant${count === 1 ? "" : "s"} (processes that left their tree: setsid, double fork, nohup)\n`,
  );
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
