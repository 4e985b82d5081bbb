import { DEFAULT_ALPHA, DEFAULT_THRESHOLD_PCT } from "../compare/defaults.js";
import { Command, InvalidArgumentError } from "commander";
import { integerIn } from "./arguments.js";
import type { CalibrateFlags } from "./calibrate-action.js";

/** "2-12" or "3,5,8": the repeat counts to simulate, ascending, each from 2 to 200. */
function repeatList(value: string): number[] {
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value);
  const list = range
    ? Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => Number(range[1]) + i)
    : value.split(",").map((part) => (/^\s*\d+\s*$/.test(part) ? Number(part) : Number.NaN));
  if (list.length === 0 || list.some((n) => !(n >= 2 && n <= 200)))
    throw new InvalidArgumentError(`expected a range like 2-12 or a list like 3,5,8 of repeats from 2 to 200, got "${value}"`);
  return [...new Set(list)].sort((a, b) => a - b);
}

export function registerCalibrateCommand(program: Command): void {
  program
    .command("calibrate")
    .description(
      "run a spec N times on the same build, then estimate by resampling the nightly's false-alarm rate and its power to catch a drop in one cell, against repeat; " +
        "writes <csv name>.calibration.json, which compare and the nightly read",
    )
    .argument("<spec.yaml>", "the sweep spec the nightly runs")
    .option("--runs <n>", "same-build runs of the whole spec (each with --repeat repeats of every cell)", integerIn(3, 1000), 10)
    .option("--repeat <n>", "repeats per cell in each run", integerIn(1, 1000), 1)
    .option("--duration <d>", "measured window per run, e.g. 1s (overrides the spec's duration)")
    .option(
      "--csv <path>",
      "the results CSV the calibration is for (default: the spec's output.csv); runs go to <name>.calibrate.csv beside it",
    )
    .option("--analyze", "run nothing: analyse every run already in <name>.calibrate.csv")
    .option(
      "--repeats <list>",
      "repeat counts to simulate: a range like 2-15 or a list like 3,5,8 (stops two past the first that qualifies)",
      repeatList,
      repeatList("2-15"),
    )
    .option("--nights <n>", "simulated nights per repeat count and test", integerIn(100, 100_000), 500)
    .option("--threshold <pct>", "compare's --threshold the nightly uses", `${DEFAULT_THRESHOLD_PCT}%`)
    .option("--alpha <level>", "compare's --alpha the nightly uses", String(DEFAULT_ALPHA))
    .option("--drop <pct>", "the drop injected into one random cell to measure power", "10%")
    .option("--lock-wait <d>", "how long to wait for another run's lock on the calibration CSV", "10s")
    .option("--json", "print the calibration file's content instead of the table")
    .action(async (specFile: string, flags: CalibrateFlags) => (await import("./calibrate-action.js")).calibrateAction(specFile, flags));
}
