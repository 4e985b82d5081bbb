import { Command } from "commander";
import { fail } from "./exit.js";

export interface CompareFlags {
  threshold: string;
  markdown?: boolean;
  baseRun?: string;
  newRun?: string;
}

export function registerCompareCommand(program: Command): void {
  program
    .command("compare")
    .description("compare two result CSVs cell by cell (resp/s, p99, syscalls/request); exit 1 when a cell regressed beyond the threshold")
    .argument("<base.csv>", "the baseline results")
    .argument("<new.csv>", "the results to check (may be the same file, with --base-run / --new-run)")
    .option("--threshold <pct>", "relative change that counts as a regression: 5%, 5 or 0.5% (all percent)", "5%")
    .option("--markdown", "print a GitHub-flavoured markdown table (for mail or CI comments)")
    .option("--base-run <run_id>", "the run of BASE to compare (default: its latest, by started_at)")
    .option("--new-run <run_id>", "the run of NEW to compare (default: its latest, by started_at)")
    .action(async (baseFile: string, newFile: string, flags: CompareFlags) => compareAction(baseFile, newFile, flags));
}

/** Exit 0: no regression; 1: some cell regressed; 2: bad input, one line on stderr. */
async function compareAction(baseFile: string, newFile: string, flags: CompareFlags): Promise<void> {
  const { CompareInputError, compareRuns, formatComparison, parseThreshold, regressedCells, runEnvironmentDifferences, selectRun } = await import(
    "../output/compare.js"
  );
  try {
    const thresholdPct = parseThreshold(flags.threshold);
    const base = selectRun(baseFile, "BASE", flags.baseRun);
    const next = selectRun(newFile, "NEW", flags.newRun);
    const comparison = compareRuns(base, next, thresholdPct);
    const differences = runEnvironmentDifferences(base, next);
    if (differences && differences.length > 0) {
      process.stderr.write(
        `warning: BASE and NEW ran in different environments (from their meta.json), so differences may not be the server's:\n` +
          differences.map((d) => `  ${d.what}: ${d.base} -> ${d.new}\n`).join(""),
      );
    }
    process.stdout.write(`${formatComparison(comparison, { markdown: Boolean(flags.markdown) })}\n`);
    process.exitCode = regressedCells(comparison).length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof CompareInputError) fail(`tcpsweep compare: ${error.message}`, 2);
    throw error;
  }
}
