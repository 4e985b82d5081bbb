/** `tcpsweep compare FILE --by KEY [--baseline NAME]`: verdicts across one matrix key of one run (docs/servers.md). */
import type { CompareFlags } from "./compare-flags.js";
import { fail, failOnBadInput } from "./exit.js";

/**
 * Flags of `compare` that mean nothing within one run: refused (exit 2) rather than ignored. Every
 * other flag of compare is used: --threshold, --alpha, --test, --markdown, --json, --new.
 */
const REFUSED: { flag: string; given: (flags: CompareFlags) => boolean; why: string }[] = [
  {
    flag: "--base",
    given: (f) => f.base !== undefined || f.baseRun !== undefined,
    why: "--by compares the values of a key within one run; --new picks it",
  },
  { flag: "--strict-env", given: (f) => Boolean(f.strictEnv), why: "the values of one run share its one environment" },
  {
    flag: "--calibration",
    given: (f) => f.calibration !== undefined,
    why: "a calibration measures run-to-run noise of one build, which --by does not compare",
  },
  {
    flag: "--flame",
    given: (f) => f.flame !== undefined,
    why: "a differential flame graph compares a cell of two runs; compare BASE.csv NEW.csv --flame CELL draws one",
  },
];

/** The flag problems of `compare --by`, every one at once. */
export function compareByFlagProblems(flags: CompareFlags, files: number): string[] {
  return [
    ...(flags.by !== undefined && files > 1 ? ["--by compares within one file; give one CSV"] : []),
    ...(flags.baseline !== undefined && flags.by === undefined ? ["--baseline needs --by KEY"] : []),
    ...(flags.by !== undefined ? REFUSED.filter((r) => r.given(flags)).map((r) => `${r.flag} does not apply with --by: ${r.why}`) : []),
  ];
}

/** Exit 0 with the verdicts; 2 on bad input (no such column, an unknown baseline, a flag that does not apply). */
export async function compareByAction(file: string, flags: CompareFlags & { by: string }): Promise<void> {
  const problems = compareByFlagProblems(flags, 1);
  if (problems.length > 0) {
    if (flags.json) process.stdout.write(`${JSON.stringify({ error: problems.join("; "), exit_status: 2 })}\n`);
    fail(problems.map((problem) => `tcpsweep compare: ${problem}`).join("\n"), 2);
  }
  const { BadInputError } = await import("../model/bad-input.js");
  const { cellIdKeys } = await import("../model/cell-id.js");
  const { parseAlpha, parseTestMode, parseThreshold, selectRun } = await import("../compare/compare.js");
  const { verdictsBy } = await import("../compare/by-dimension.js");
  const { escapeMarkdown } = await import("../untrusted/markdown.js");
  const { formatVerdicts, verdictsMarkdown } = await import("../compare/by-dimension-format.js");
  try {
    const alpha = parseAlpha(flags.alpha);
    const thresholdPct = parseThreshold(flags.threshold);
    const test = parseTestMode(flags.test);
    const runId = flags.new ?? flags.newRun;
    const run = selectRun(file, undefined, runId === undefined ? {} : { runId });
    const values = [...new Set(run.rows.map((row) => row[flags.by]).filter((v) => v !== undefined && v !== ""))];
    if (values.length === 0)
      throw new BadInputError(
        `--by ${flags.by}: run ${run.runId} of ${file} has no "${flags.by}" column with values; its matrix keys: ${cellIdKeys(String(run.rows[0]?.cell ?? "")).join(", ")}`,
      );
    if (flags.baseline !== undefined && !values.includes(flags.baseline)) {
      throw new BadInputError(
        `--baseline ${flags.baseline}: not a ${flags.by} of run ${run.runId} in ${file}; its ${flags.by} values: ${values.join(", ")}`,
      );
    }
    const verdicts = verdictsBy(run.rows, flags.by, {
      alpha,
      thresholdPct,
      test,
      ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
    });
    const where = `${file}, run ${run.runId}`;
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ file, run_id: run.runId, ...verdicts, exit_status: 0 }, null, 2)}\n`
        : flags.markdown
          ? `**${escapeMarkdown(where)}**\n\n${verdictsMarkdown(verdicts)}\n`
          : `${where}\n${formatVerdicts(verdicts)}\n`,
    );
  } catch (error) {
    failOnBadInput("compare", error, flags.json);
    throw error;
  }
}
