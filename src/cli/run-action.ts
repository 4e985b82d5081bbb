/** `tcpsweep run`: loaded only when that command runs, so the client and server start lean. */
import path from "node:path";
import { CsvHeaderError } from "../output/csv.js";
import { UnsafePathError } from "../untrusted/files.js";
import { LockBusyError } from "../rundir/lock.js";
import { runSummaryJson } from "../output/run-summary.js";
import { applyFilter, expandCells, parseOnlyFilter } from "../sweep/matrix.js";
import { PreflightError, runSweep } from "../sweep/runner.js";
import { SpecError, formatSpecIssue, loadSpec } from "../sweep/spec.js";
import { checkDuration, parseDuration } from "../sweep/spec/duration.js";
import { printDryRun } from "./dry-run.js";
import { shellQuote } from "../sweep/template.js";
import { compareByOf } from "../sweep/named-runs.js";
import type { DimensionVerdicts } from "../compare/by-dimension.js";
import { fail } from "./exit.js";

export interface RunFlags {
  dryRun?: boolean;
  only?: string[];
  set?: string[];
  resume?: boolean;
  repeat?: number;
  duration?: string;
  csv?: string;
  lockWait: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  followSymlinks?: boolean;
}

export async function runAction(specFile: string, flags: RunFlags): Promise<void> {
  const lockWaitS = checkDuration(flags.lockWait, false);
  if (typeof lockWaitS !== "number") fail(formatSpecIssue({ file: specFile, path: "--lock-wait", message: lockWaitS.message }), 2);
  // Only the syntax here: the range is checked with the spec, so its problems and this one come together.
  const durationS = flags.duration === undefined ? undefined : parseDuration(flags.duration);
  if (flags.duration !== undefined && durationS === undefined)
    fail(
      formatSpecIssue({
        file: specFile,
        path: "--duration",
        message: (checkDuration(flags.duration, true) as { message: string }).message,
      }),
      2,
    );
  try {
    const spec = await loadSpec(specFile, {
      repeat: flags.repeat,
      ...(durationS !== undefined ? { durationS } : {}),
      ...(flags.set ? { set: flags.set } : {}),
    });
    if (flags.csv) spec.output.csv = path.resolve(flags.csv);
    if (flags.followSymlinks) spec.output.followSymlinks = true;
    // Every --only is one more list of pairs: one filter over all of them (AND across keys, OR within a key).
    const cells = flags.only ? applyFilter(expandCells(spec), parseOnlyFilter(flags.only.join(","), spec)) : expandCells(spec);
    if (flags.dryRun) return await printDryRun(spec, cells, { resume: Boolean(flags.resume), json: Boolean(flags.json) });
    let runId: string | undefined;
    // Matrix values as the spec typed them (100, not "100"), for run --json.
    const values = new Map(cells.map((cell) => [cell.id, cell.values]));
    const compareBy = compareByOf(spec);
    // The statistics (and their @stdlib modules, a tenth of a second to load) only for a run that compares
    // servers or clients: a dry run and most runs never judge anything.
    const judge = compareBy
      ? {
          ...(await import("../compare/by-dimension.js")),
          ...(await import("../compare/by-dimension-format.js")),
        }
      : undefined;
    // The verdicts of a run that compares servers or clients: read from the CSV once the run has ended,
    // so a resumed run's printed verdicts judge every run of it, and equal --json's.
    let verdicts: DimensionVerdicts | undefined;
    const verdictsNow = () =>
      judge && compareBy && runId ? (verdicts ??= judge.verdictsOfRun(spec.output.csv, runId, compareBy)) : undefined;
    const summary = (exitStatus: number, error?: string) =>
      flags.json &&
      printJson({
        ...(runSummaryJson({
          csv: spec.output.csv,
          spec: spec.name,
          matrixKeys: spec.matrix.keys,
          cellValues: (cell) => values.get(cell),
          exitStatus,
          ...(runId ? { runId } : {}),
          ...(error ? { error } : {}),
        }) as object),
        ...(verdictsNow() ? { verdicts: verdictsNow() } : {}),
      });
    const verbosity = flags.quiet ? "quiet" : flags.verbose ? "verbose" : "normal";
    try {
      process.exitCode = await runSweep(spec, cells, {
        resume: Boolean(flags.resume),
        lockWaitMs: lockWaitS * 1000,
        out: process.stderr,
        onRunId: (id) => (runId = id),
        verbosity,
      });
    } catch (error) {
      if (
        error instanceof PreflightError ||
        error instanceof CsvHeaderError ||
        error instanceof LockBusyError ||
        error instanceof UnsafePathError
      )
        summary(2, `tcpsweep run: ${error.message}`);
      throw error;
    }
    const interrupted = process.exitCode === 130 || process.exitCode === 143;
    if (interrupted) process.stderr.write(`${resumeHint(process.argv.slice(2))}\n`);
    const judged = interrupted ? undefined : verdictsNow();
    if (judge && judged && judged.values.length > 0) process.stderr.write(`\n${judge.formatVerdicts(judged)}\n`);
    summary(Number(process.exitCode));
  } catch (error) {
    if (error instanceof SpecError) fail(jsonError(flags, error.issues.map(formatSpecIssue).join("\n")), 2);
    if (
      error instanceof PreflightError ||
      error instanceof CsvHeaderError ||
      error instanceof LockBusyError ||
      error instanceof UnsafePathError
    )
      fail(`tcpsweep run: ${error.message}`, 2);
    throw error;
  }
}

const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** With --json a spec error is also one JSON object on stdout; returns the message for stderr. */
function jsonError(flags: RunFlags, message: string): string {
  if (flags.json) printJson({ run_id: null, exit_status: 2, error: message });
  return message;
}

/** After an interrupt: the command that continues the run, as the user started it (through npm or not). */
export function resumeHint(args: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): string {
  const words = [...args.filter((arg) => arg !== "--resume"), "--resume"];
  const viaNpm = env.npm_lifecycle_event !== undefined && words[0] === "run" && /main\.js run\b/.test(env.npm_lifecycle_script ?? "");
  const command = viaNpm ? `npm run ${env.npm_lifecycle_event} -- ${shellQuote(words.slice(1))}` : `npx tcpsweep ${shellQuote(words)}`;
  return `interrupted: the rows written so far are whole; continue this run with: ${command}`;
}
