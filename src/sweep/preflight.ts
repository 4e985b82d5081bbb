/**
 * What a sweep checks before anything runs, shared by a real run and `--dry-run` so both refuse
 * with the same messages: open files, the profiler, the output path, the CSV header, the lock.
 */
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import path from "node:path";
import { IDENTITY_COLUMNS } from "../output/columns.js";
import { CsvHeaderError, headerMismatch, replaceRefusal } from "../output/csv.js";
import { isSymlink, symlinkRefusal } from "../untrusted/files.js";
import { lockBusyMessage, lockHolder } from "../rundir/lock.js";
import { chooseLaunchers } from "../launch/choose.js";
import type { Launcher } from "../launch/launcher.js";
import { tracePlan, tracePlanProblem, type TracePlan } from "./tracing.js";
import type { Cell, SweepSpec } from "./spec.js";

/** A problem that stops the sweep before it starts (exit 2): limits, output, profiling, header, lock. */
export class PreflightError extends Error {}

/** Open files for the largest cell and the profiler's permissions; the trace plan when profiling. */
export function checkLimitsAndProfiler(
  spec: SweepSpec,
  cells: readonly Cell[],
  clientLauncher: Launcher,
  serverLauncher?: Launcher,
): TracePlan | undefined {
  const maxConnections = Math.max(0, ...cells.map((cell) => Number(cell.values.connections ?? 0)));
  // Descriptors are counted per process: the built-in client spreads over processes (client.processes).
  const clientPerProcess = spec.client.builtin
    ? Math.ceil(maxConnections / (spec.client.processes ?? Number.POSITIVE_INFINITY))
    : maxConnections;
  const problems = [clientLauncher.openFileShortfall(clientPerProcess), serverWorkerShortfall(spec, cells, serverLauncher)].filter(
    (p) => p !== undefined,
  );
  if (problems.length > 0) throw new PreflightError(problems.map((p) => `${spec.file}: ${p}`).join("\n"));
  const plan = tracePlan(spec);
  if (plan) {
    const problem = tracePlanProblem(spec, plan);
    if (problem) throw new PreflightError(`${spec.file}: ${problem}`);
  }
  return plan;
}

/**
 * The built-in server's workers are processes, each under its own descriptor limit: a cell's
 * connections over its server threads must fit one worker (with room for an uneven share).
 */
function serverWorkerShortfall(spec: SweepSpec, cells: readonly Cell[], serverLauncher?: Launcher): string | undefined {
  if (!spec.server?.builtin || !serverLauncher) return undefined;
  let worst: { cell: Cell; perWorker: number; threads: number } | undefined;
  for (const cell of cells) {
    const threads = Number(cell.values.threads ?? 1) || 1;
    const perWorker = Math.ceil((Number(cell.values.connections ?? 0) / threads) * (threads > 1 ? SERVER_SHARE_MARGIN : 1));
    if (!worst || perWorker > worst.perWorker) worst = { cell, perWorker, threads };
  }
  if (!worst) return undefined;
  const shortfall = serverLauncher.openFileShortfall(worst.perWorker);
  return (
    shortfall &&
    `${shortfall} (in each of the built-in server's ${worst.threads} worker process${worst.threads === 1 ? "" : "es"}, one per server thread: more threads spread the connections)`
  );
}

/** A worker may take this much more than an even share of the connections (they race for the accept queue). */
const SERVER_SHARE_MARGIN = 1.1;

/** The nearest ancestor of `dir` that exists. */
function existingAncestor(dir: string): string {
  let found = dir;
  while (!existsSync(found) && path.dirname(found) !== found) found = path.dirname(found);
  return found;
}

/**
 * Makes sure rows can be written to output.csv: its directory exists (`create`: made now; otherwise
 * its nearest existing ancestor is a writable directory) and the file, if any, is a writable regular file.
 */
export function checkOutput(spec: SweepSpec, create: boolean): void {
  const file = spec.output.csv;
  const cannot = (error: unknown) => new PreflightError(`${spec.file}: output.csv: cannot write ${file}: ${(error as Error).message}`);
  try {
    if (!spec.output.followSymlinks && isSymlink(file)) throw new PreflightError(`${spec.file}: output.csv: ${symlinkRefusal(file)}`);
    const ancestor = existingAncestor(path.dirname(file));
    if (!statSync(ancestor).isDirectory()) throw new Error(`${ancestor} is not a directory`);
    if (create) mkdirSync(path.dirname(file), { recursive: true });
    else accessSync(ancestor, constants.W_OK);
    let isFile = true;
    try {
      isFile = statSync(file).isFile();
      if (isFile) closeSync(openSync(file, "r+")); // writable, and left as it is
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (!isFile) throw new Error("it exists and is not a regular file");
    const refusal = spec.output.mode === "new" ? replaceRefusal(file, IDENTITY_COLUMNS) : undefined;
    if (refusal) throw new PreflightError(`${spec.file}: output.csv: ${refusal}`);
  } catch (error) {
    throw error instanceof PreflightError ? error : cannot(error);
  }
}

/** Rows with `header` can go into output.csv (a new file, or one with the same header; `--resume` always appends). */
export function checkHeader(spec: SweepSpec, header: readonly string[], resume: boolean): void {
  const mode = resume ? "append" : spec.output.mode;
  const mismatch =
    mode === "append" ? headerMismatch(spec.output.csv, header, { followSymlinks: Boolean(spec.output.followSymlinks) }) : undefined;
  if (mismatch) throw new CsvHeaderError(mismatch);
}

/**
 * `--dry-run`: every check a real run makes before it starts, without creating or locking anything.
 * Returns the messages a real run would refuse with (empty when it would start).
 */
export function dryRunProblems(spec: SweepSpec, cells: readonly Cell[], header: readonly string[], resume: boolean): string[] {
  const problems: string[] = [];
  const attempt = (check: () => void) => {
    try {
      check();
    } catch (error) {
      problems.push((error as Error).message);
    }
  };
  const launchers = chooseLaunchers(spec);
  attempt(() => checkLimitsAndProfiler(spec, cells, launchers.client, launchers.server));
  const problemsBefore = problems.length;
  attempt(() => checkOutput(spec, false));
  if (problems.length === problemsBefore) attempt(() => checkHeader(spec, header, resume)); // a directory has no header to read
  const holder = lockHolder(spec.output.csv);
  if (holder !== undefined) problems.push(lockBusyMessage(spec.output.csv, holder));
  return problems;
}
