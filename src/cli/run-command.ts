import path from "node:path";
import { Command } from "commander";
import { CsvHeaderError } from "../output/csv.js";
import { LockBusyError } from "../output/lock.js";
import { applyFilter, expandCells, parseOnlyFilter } from "../sweep/matrix.js";
import { PreflightError, describeCommands, planJobs, runSweep } from "../sweep/runner.js";
import { SpecError, formatSpecIssue, loadSpec, parseDuration } from "../sweep/spec.js";
import { integerIn } from "./arguments.js";
import { fail } from "./exit.js";

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run a sweep spec: every cell starts the server, drives it with the client and appends a row to the CSV")
    .argument("<spec.yaml>", "the sweep spec (see README: Spec reference)")
    .option("--dry-run", "print the cells and the exact commands, run nothing")
    .option("--only <key=value,...>", "run only the cells matching every pair, e.g. connections=100,threads=4")
    .option("--resume", "skip cell × repeat runs this spec already has an ok row for in the CSV")
    .option("--repeat <n>", "runs per cell (overrides the spec's repeat)", integerIn(1, 1000))
    .option("--duration <d>", "measured window per run, e.g. 5s or 500ms (overrides the spec's duration)")
    .option("--csv <path>", "write rows to this CSV instead of the spec's output.csv")
    .option("--lock-wait <d>", "how long to wait for another run's lock on the same CSV", "10s")
    .action(async (specFile: string, flags) => {
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
        if (flags.dryRun) return printDryRun(spec, cells);
        process.exitCode = await runSweep(spec, cells, { resume: Boolean(flags.resume), lockWaitMs: lockWaitS * 1000, out: process.stderr });
      } catch (error) {
        if (error instanceof SpecError) fail(error.issues.map(formatSpecIssue).join("\n"), 2);
        if (error instanceof PreflightError || error instanceof CsvHeaderError || error instanceof LockBusyError) fail(`tcpsweep run: ${error.message}`, 2);
        throw error;
      }
    });
}

function printDryRun(spec: Awaited<ReturnType<typeof loadSpec>>, cells: ReturnType<typeof expandCells>): void {
  const jobs = planJobs(spec, cells);
  const lines = [`${spec.name}: ${cells.length} cells × ${spec.repeat} repeats = ${jobs.length} runs → ${spec.output.csv}`];
  for (const job of jobs) {
    const commands = describeCommands(spec, job.cell);
    lines.push(`${job.cell.id} #${job.repeat}`);
    if (commands.server) lines.push(`  server: ${commands.server.join(" ")}`);
    lines.push(`  client: ${commands.client.join(" ")}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
