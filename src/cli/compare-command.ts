import { sanitiseStandardStreams } from "../untrusted/terminal.js";
import type { CompareFlags } from "./compare-flags.js";
import { Command, Option } from "commander";
import { DEFAULT_ALPHA, DEFAULT_THRESHOLD_PCT } from "../compare/defaults.js";
import { fail, failOnBadInput } from "./exit.js";

export function registerCompareCommand(program: Command): void {
  program
    .command("compare")
    .description(
      "compare two runs cell by cell (or, with --by, the values of a matrix key within one run) (resp/s, p99, syscalls/request: Welch's t on the logs or a Mann-Whitney test); exit 1 when a cell regressed",
    )
    .argument("<file.csv>", "results: with no second file, its latest run is compared with the finished run before it")
    .argument("[new.csv]", "a second results file: the latest run of each file is compared (file.csv is the baseline)")
    .option(
      "--threshold <pct>",
      "smallest change that counts: the whole confidence interval must lie beyond it (5%, 5 or 0.5%: all percent)",
      `${DEFAULT_THRESHOLD_PCT}%`,
    )
    .option("--alpha <level>", "significance level, Holm-corrected over every cell and metric tested", String(DEFAULT_ALPHA))
    .option(
      "--test <mode>",
      "auto: Welch's t on the logs where both sides look log-normal, else the rank test; welch; rank (Mann-Whitney U)",
      "auto",
    )
    .option("--markdown", "print a GitHub-flavoured markdown table (for mail or CI comments)")
    .option("--json", "print the whole comparison as one JSON object")
    .option("--strict-env", "exit 2 when the runs' meta.json show another CPU, core count, kernel or tcpsweep build (or are missing)")
    .option(
      "--calibration <file>",
      "the calibration to report (default: <NEW name>.calibration.json beside NEW's CSV or beside its directory)",
    )
    .option("--base <run_id>", "the baseline run (default: the finished run before NEW in one file; the latest of the first of two files)")
    .option("--new <run_id>", "the run to check (default: the latest run of its file)")
    .addOption(new Option("--base-run <run_id>").hideHelp())
    .addOption(new Option("--new-run <run_id>").hideHelp())
    .option(
      "--flame [cell]",
      "write NEW's flame graph coloured by change per response vs BASE, for CELL or every regressed cell (needs profile.cpu); its file is named beside the cell (text, --markdown, --json)",
    )
    .option(
      "--by <key>",
      "one file: compare the values of a matrix key (e.g. server) in each cell of its run (--new picks the run; --base, --strict-env, --calibration refused)",
    )
    .option("--baseline <name>", "with --by: compare every value with this one (default: with the best in each cell)")
    .action(async (baseFile: string, newFile: string | undefined, flags: CompareFlags) => {
      sanitiseStandardStreams(); // what it prints came from files
      const { compareByAction, compareByFlagProblems } = await import("./compare-by-action.js");
      const problems = compareByFlagProblems(flags, newFile === undefined ? 1 : 2);
      if (problems.length > 0) fail(problems.map((problem) => `tcpsweep compare: ${problem}`).join("\n"), 2);
      if (flags.by !== undefined) return compareByAction(baseFile, { ...flags, by: flags.by });
      return compareAction(baseFile, newFile, flags);
    });
}

/** Exit 0: no regression; 1: some cell regressed; 2: bad input (or --strict-env and the environments differ). */
async function compareAction(baseFile: string, newFile: string | undefined, flags: CompareFlags): Promise<void> {
  const { regressedCells } = await import("../compare/compare.js");
  try {
    const judged = await judge(baseFile, newFile, flags);
    const { comparison, strictProblem } = judged;
    const exitStatus = strictProblem ? 2 : regressedCells(comparison).length > 0 ? 1 : 0;
    // A refused --strict-env refuses the comparison, its pictures too (the message says why).
    const flames = strictProblem ? [] : await differentialFlames(flags.flame, judged);
    await printComparison(flags, { ...judged, exitStatus, flames });
    process.exitCode = exitStatus;
  } catch (error) {
    failOnBadInput("compare", error, flags.json);
    throw error;
  }
}

type Judged = Awaited<ReturnType<typeof judge>>;

/** The two runs, their comparison, the calibration and environments that go with it, and --strict-env's objection. */
async function judge(baseFile: string, newFile: string | undefined, flags: CompareFlags) {
  const { compareRuns, parseAlpha, parseTestMode, parseThreshold } = await import("../compare/compare.js");
  const { selectRunsToCompare } = await import("../compare/select-runs.js");
  const { STRICT_ENV_FIELDS, runEnvironmentDifferences } = await import("../compare/environment-diff.js");
  const { calibrationOf } = await import("../rundir/nightly-layout.js");
  const { readCalibrationFile } = await import("../rundir/calibration-file.js");
  const thresholdPct = parseThreshold(flags.threshold);
  const alpha = parseAlpha(flags.alpha);
  const baseRun = flags.base ?? flags.baseRun;
  const newRun = flags.new ?? flags.newRun;
  const { base, next } = selectRunsToCompare({
    baseFile,
    ...(newFile !== undefined ? { newFile } : {}),
    ...(baseRun !== undefined ? { baseRun } : {}),
    ...(newRun !== undefined ? { newRun } : {}),
  });
  const comparison = compareRuns(base, next, thresholdPct, alpha, { test: parseTestMode(flags.test) });
  const calibrationFile = flags.calibration ?? calibrationOf(newFile ?? baseFile);
  const calibration = calibrationFile ? { file: calibrationFile, ...readCalibrationFile(calibrationFile) } : undefined;
  const differences = runEnvironmentDifferences(base, next);
  const environment = differences ? { differences } : { unknown: "a run has no meta.json beside its CSV" };
  const strictProblem =
    flags.strictEnv && (!differences || differences.some((d) => STRICT_ENV_FIELDS.includes(d.what)))
      ? `--strict-env: ${differences ? "the runs ran in different environments" : "the environments cannot be compared (a run has no meta.json)"}`
      : undefined;
  return { base, next, comparison, calibration, environment, strictProblem };
}

/** --flame [CELL]: the differential flame graph of CELL, or of every regressed cell; an unknown CELL is bad input (exit 2). */
async function differentialFlames(flame: string | boolean | undefined, { base, next, comparison }: Judged) {
  if (flame === undefined) return [];
  const { regressedCells } = await import("../compare/compare.js");
  const { BadInputError } = await import("../model/bad-input.js");
  const cells = comparison.cells.map((cell) => cell.cell);
  if (typeof flame === "string" && !cells.includes(flame)) {
    // "; " between cells, as report's --series says it: a cell id holds commas.
    const some = cells.slice(0, 8).join("; ") + (cells.length > 8 ? ` … (${cells.length} in all)` : "");
    throw new BadInputError(`--flame ${flame}: not a cell of run ${base.runId} or run ${next.runId}; their cells: ${some}`);
  }
  const { writeDifferentialFlames } = await import("../flame/compare-flames.js");
  return writeDifferentialFlames(base, next, typeof flame === "string" ? [flame] : regressedCells(comparison).map((cell) => cell.cell));
}

async function printComparison(
  flags: CompareFlags,
  judged: Judged & { exitStatus: number; flames: Awaited<ReturnType<typeof differentialFlames>> },
): Promise<void> {
  const { comparisonJson, environmentLines, formatComparison } = await import("../compare/compare-format.js");
  const { comparison, environment, calibration, strictProblem, exitStatus, flames } = judged;
  if (flags.json) {
    const json = comparisonJson(comparison, environment, exitStatus, calibration, flames) as object;
    process.stdout.write(`${JSON.stringify({ ...json, ...(strictProblem ? { error: strictProblem } : {}) }, null, 2)}\n`);
  } else if (strictProblem) {
    process.stderr.write(
      [
        ...environmentLines(environment),
        `tcpsweep compare: ${strictProblem}; compare runs from one machine and build, or drop --strict-env`,
        "",
      ].join("\n"),
    );
  } else {
    process.stdout.write(`${formatComparison(comparison, { markdown: Boolean(flags.markdown), environment, calibration, flames })}\n`);
  }
}
