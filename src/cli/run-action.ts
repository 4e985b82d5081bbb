/** `tcpsweep run`: loaded only when that command runs, so the client and server start lean. */
import path from "node:path";
import { CsvHeaderError } from "../output/csv.js";
import { LockBusyError } from "../rundir/lock.js";
import { runSummaryJson } from "../output/run-summary.js";
import { applyFilter, expandCells, parseOnlyFilter } from "../sweep/matrix.js";
import { dryRunProblems } from "../sweep/preflight.js";
import { compareByOf } from "../sweep/server-dimension.js";
import { verdictsOfRun } from "../compare/by-dimension.js";
import { PreflightError, describeCommands, planJobs, runSweep, sweepHeader } from "../sweep/runner.js";
import { SpecError, formatSpecIssue, loadSpec, parseDuration } from "../sweep/spec.js";
import { shellQuote } from "../sweep/template.js";
import { fail } from "./exit.js";

export interface RunFlags {
  dryRun?: boolean;
  only?: string;
  resume?: boolean;
  repeat?: number;
  duration?: string;
  csv?: string;
  lockWait: string;
  json?: boolean;
}

export async function runAction(specFile: string, flags: RunFlags): Promise<void> {
  const lockWaitS = parseDuration(flags.lockWait);
  if (lockWaitS === undefined) fail(`tcpsweep run: --lock-wait: expected a duration like 10s, got "${flags.lockWait}"`, 2);
  const durationS = flags.duration === undefined ? undefined : parseDuration(flags.duration);
  if (flags.duration !== undefined && durationS === undefined) {
    const message = `expected a duration like "10s", "500ms", "2m" or a number of seconds, got ${JSON.stringify(flags.duration)}`;
    fail(formatSpecIssue({ file: specFile, path: "--duration", message }), 2);
  }
  try {
    const spec = await loadSpec(specFile, { repeat: flags.repeat, ...(durationS !== undefined ? { durationS } : {}) });
    if (flags.csv) spec.output.csv = path.resolve(flags.csv);
    const cells = flags.only ? applyFilter(expandCells(spec), parseOnlyFilter(flags.only, spec)) : expandCells(spec);
    if (flags.dryRun) return printDryRun(spec, cells, Boolean(flags.resume));
    let runId: string | undefined;
    const compareBy = compareByOf(spec);
    const summary = (exitStatus: number, error?: string) =>
      flags.json &&
      printJson({
        ...(runSummaryJson({ csv: spec.output.csv, spec: spec.name, matrixKeys: spec.matrix.keys, exitStatus, ...(runId ? { runId } : {}), ...(error ? { error } : {}) }) as object),
        ...(compareBy && runId ? { verdicts: verdictsOfRun(spec.output.csv, runId, compareBy) } : {}),
      });
    try {
      process.exitCode = await runSweep(spec, cells, { resume: Boolean(flags.resume), lockWaitMs: lockWaitS * 1000, out: process.stderr, onRunId: (id) => (runId = id) });
    } catch (error) {
      if (error instanceof PreflightError || error instanceof CsvHeaderError || error instanceof LockBusyError) summary(2, `tcpsweep run: ${error.message}`);
      throw error;
    }
    summary(Number(process.exitCode));
  } catch (error) {
    if (error instanceof SpecError) fail(jsonError(flags, error.issues.map(formatSpecIssue).join("\n")), 2);
    if (error instanceof PreflightError || error instanceof CsvHeaderError || error instanceof LockBusyError) fail(`tcpsweep run: ${error.message}`, 2);
    throw error;
  }
}

const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** With --json a spec error is also one JSON object on stdout; returns the message for stderr. */
function jsonError(flags: RunFlags, message: string): string {
  if (flags.json) printJson({ run_id: null, exit_status: 2, error: message });
  return message;
}

/** The plan on stdout; then what a real run would refuse (same messages, exit 2). Creates and locks nothing. */
function printDryRun(spec: Awaited<ReturnType<typeof loadSpec>>, cells: ReturnType<typeof expandCells>, resume: boolean): void {
  const jobs = planJobs(spec, cells);
  const lines = [`${spec.name}: ${cells.length} cells × ${spec.repeat} repeats = ${jobs.length} runs → ${spec.output.csv}`];
  for (const job of jobs) {
    const commands = describeCommands(spec, job.cell);
    lines.push(`${job.cell.id} #${job.repeat}`);
    if (commands.server) lines.push(`  server: ${shellQuote(commands.server)}`);
    lines.push(`  client: ${shellQuote(commands.client)}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  const problems = dryRunProblems(spec, cells, sweepHeader(spec), resume);
  if (problems.length > 0) fail(problems.map((problem) => `tcpsweep run: ${problem}`).join("\n"), 2);
}
