/** `tcpsweep compare FILE --by KEY [--baseline NAME]`: verdicts across one matrix key of one run (docs/servers.md). */
import { fail } from "./exit.js";

export interface CompareByFlags {
  by: string;
  baseline?: string;
  alpha: string;
  threshold: string;
  json?: boolean;
  newRun?: string;
}

/** `connections=4,server=node` → `connections, server` */
const matrixKeysOf = (cell: string) =>
  cell
    .split(",")
    .map((part) => part.split("=")[0])
    .join(", ");

/** Exit 0 with the verdicts; 2 on bad input (no such column, an unknown baseline). */
export async function compareByAction(file: string, flags: CompareByFlags): Promise<void> {
  const { ResultsInputError } = await import("../rundir/results-csv.js");
  const { parseAlpha, parseThreshold, selectRun } = await import("../compare/compare.js");
  const { formatVerdicts, verdictsBy } = await import("../compare/by-dimension.js");
  try {
    const alpha = parseAlpha(flags.alpha);
    const thresholdPct = parseThreshold(flags.threshold);
    const run = selectRun(file, "BASE", flags.newRun);
    const values = [...new Set(run.rows.map((row) => row[flags.by]).filter((v) => v !== undefined && v !== ""))];
    if (values.length === 0)
      throw new ResultsInputError(
        `--by ${flags.by}: run ${run.runId} of ${file} has no "${flags.by}" column with values; its matrix keys: ${matrixKeysOf(String(run.rows[0]?.cell ?? ""))}`,
      );
    if (flags.baseline !== undefined && !values.includes(flags.baseline)) {
      throw new ResultsInputError(
        `--baseline ${flags.baseline}: not a ${flags.by} of run ${run.runId} in ${file}; its ${flags.by} values: ${values.join(", ")}`,
      );
    }
    const verdicts = verdictsBy(run.rows, flags.by, {
      alpha,
      thresholdPct,
      ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
    });
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ file, run_id: run.runId, ...verdicts }, null, 2)}\n`
        : `${file}, run ${run.runId}\n${formatVerdicts(verdicts)}\n`,
    );
  } catch (error) {
    if (error instanceof ResultsInputError) {
      if (flags.json) process.stdout.write(`${JSON.stringify({ error: error.message, exit_status: 2 })}\n`);
      fail(`tcpsweep compare: ${error.message}`, 2);
    }
    throw error;
  }
}
