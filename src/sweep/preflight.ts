/**
 * What a sweep checks before anything runs, one function for a real run and `--dry-run` so both
 * refuse alike and with the same messages: open files, the profiler, programs, the output CSV.
 */
import { outputRefusals } from "../rundir/writable.js";
import { closeLaunchers, type Launchers } from "../launch/choose.js";
import type { Launcher } from "../launch/launcher.js";
import { missingProgramProblems, resolvePrograms, type ResolvedProgram } from "./programs.js";
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
  const problem = tracePlanProblem(spec, plan);
  if (problem) throw new PreflightError(`${spec.file}: ${problem}`);
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

/** What a sweep's preflight found: every problem (empty: it may start), the trace plan, the programs it starts. */
export interface Preflight {
  problems: string[];
  plan?: TracePlan;
  programs: ResolvedProgram[];
}

/**
 * Every check before anything runs, for the real run and `--dry-run` alike (one list, every problem
 * at once): open files, the profiler, every program the sweep starts, the output CSV (rundir/writable.ts).
 * `real`: the CSV's directory is made now and another run's lock is waited for, not refused.
 */
export async function preflight(
  spec: SweepSpec,
  cells: readonly Cell[],
  options: { header: readonly string[]; resume: boolean; real: boolean; launchers: Pick<Launchers, "client" | "server"> },
): Promise<Preflight> {
  const problems: string[] = [];
  let plan: TracePlan | undefined;
  try {
    plan = checkLimitsAndProfiler(spec, cells, options.launchers.client, options.launchers.server);
  } catch (error) {
    if (!(error instanceof PreflightError)) throw error;
    problems.push(error.message);
  }
  const programs = await resolvePrograms(spec, cells);
  problems.push(...missingProgramProblems(spec, programs));
  const refusals = outputRefusals(spec.output.csv, {
    header: options.header,
    mode: options.resume ? "append" : spec.output.mode,
    followSymlinks: spec.output.followSymlinks,
    create: options.real && problems.length === 0, // a run refused already makes no directory
    lock: options.real ? "wait" : "refuse",
  });
  problems.push(...refusals.map((refusal) => `${spec.file}: output.csv: ${refusal}`));
  return { problems, plan, programs };
}

/** The real run's preflight: throws every problem at once (each line as the dry run prints it); else the trace plan. */
export async function passPreflight(
  spec: SweepSpec,
  cells: readonly Cell[],
  options: { header: readonly string[]; resume: boolean; launchers: Launchers },
): Promise<TracePlan | undefined> {
  const { problems, plan } = await preflight(spec, cells, { ...options, real: true });
  if (problems.length === 0) return plan;
  await closeLaunchers(options.launchers);
  throw new PreflightError(problems.join("\ntcpsweep run: "));
}
