/**
 * `run --dry-run`: the plan (every run and the exact commands), then everything a real run would
 * refuse (the spec's checks, open files, profiler, output, CSV header, lock) and every program it
 * would start that is not there. Creates and locks nothing. Exit 2 when a real run would not start
 * or a program is missing; with --json the plan and its problems are one JSON object on stdout.
 */
import { chooseLaunchers } from "../launch/choose.js";
import { preflight } from "../sweep/preflight.js";
import { specRedactor } from "../sweep/secrets.js";
import type { ResolvedProgram } from "../sweep/programs.js";
import { describeCommands, planJobs, sweepHeader } from "../sweep/runner.js";
import type { Cell, SweepSpec } from "../sweep/spec.js";
import { shellQuote } from "../sweep/template.js";

export async function printDryRun(spec: SweepSpec, cells: readonly Cell[], options: { resume: boolean; json: boolean }): Promise<void> {
  const jobs = planJobs(spec, cells);
  const launchers = chooseLaunchers(spec);
  const { problems, programs } = await preflight(spec, cells, {
    header: sweepHeader(spec),
    resume: options.resume,
    real: false,
    launchers,
  });
  // Commands as they would run, but with every secret the spec names or shows replaced (docs/security.md).
  const redactor = specRedactor(spec);
  // Once per cell, not per run: every repeat of a cell runs the same commands.
  const byCell = new Map<Cell, { server?: string[]; client: string[] }>();
  const commandsOf = (cell: Cell) => {
    let redacted = byCell.get(cell);
    if (!redacted) {
      const commands = describeCommands(spec, cell);
      redacted = { ...(commands.server ? { server: redactor.argv(commands.server) } : {}), client: redactor.argv(commands.client) };
      byCell.set(cell, redacted);
    }
    return redacted;
  };
  if (options.json) {
    const plan = {
      spec: spec.name,
      file: spec.file,
      csv: spec.output.csv,
      cells: cells.length,
      repeat: spec.repeat,
      runs: jobs.map((job) => ({ cell: job.cell.id, repeat: job.repeat, values: job.cell.values, ...commandsOf(job.cell) })),
      programs,
      problems,
      exit_status: problems.length > 0 ? 2 : 0,
    };
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  } else {
    const lines = [`${spec.name}: ${cells.length} cells × ${spec.repeat} repeats = ${jobs.length} runs → ${spec.output.csv}`];
    for (const job of jobs) {
      const commands = commandsOf(job.cell);
      lines.push(`${job.cell.id} #${job.repeat}`);
      if (commands.server) lines.push(`  server: ${shellQuote(commands.server)}`);
      lines.push(`  client: ${shellQuote(commands.client)}`);
    }
    lines.push(`programs: ${programs.map(describeProgram).join("; ")}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (problems.length > 0) {
    process.stderr.write(`${problems.map((problem) => `tcpsweep run: ${problem}`).join("\n")}\n`);
    process.exitCode = 2;
  }
}

function describeProgram(program: ResolvedProgram): string {
  const where = program.note ?? program.path ?? "NOT FOUND";
  return `${program.role} ${program.program} → ${where}`;
}
