import { Command, Option } from "commander";
import { integerIn } from "./arguments.js";
import type { RunFlags } from "./run-action.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run a sweep spec: every cell starts the server, drives it with the client and appends a row to the CSV")
    .argument("<spec.yaml>", "the sweep spec (see docs/spec.md; flags: docs/cli.md)")
    .option("--dry-run", "print the cells and the exact commands, check every program and the output, run nothing")
    .option(
      "--only <key=value,...>",
      "run only matching cells: AND across keys, OR within one key (connections=1,connections=10); repeatable, combined the same way",
      collect,
    )
    .option(
      "--set <key=v1,v2,...>",
      "replace a matrix key's values for this run, e.g. --set threads=1,4 (checked like the spec); repeatable",
      collect,
    )
    .option("--resume", "continue the spec's interrupted run in the CSV: same run_id, only its missing or not-ok cell × repeat runs")
    .option(
      "--json",
      "print one JSON object on stdout: the plan with --dry-run, else at the end run id, CSV, per-cell medians, statuses, exit status",
    )
    .option("--repeat <n>", "runs per cell (overrides the spec's repeat)", integerIn(1, 1000))
    .option("--duration <d>", "measured window per run, e.g. 5s, 500ms or 1m30s (overrides the spec's duration)")
    .option("--csv <path>", "write rows to this CSV instead of the spec's output.csv")
    .option("--follow-symlinks", "write the CSVs even when their paths are symbolic links (refused by default)")
    .option("--lock-wait <d>", "how long to wait for another run's lock on the same CSV", "10s")
    .addOption(new Option("-q, --quiet", "no progress lines and no pivot table (errors, and --json, still print)").conflicts("verbose"))
    .option("-v, --verbose", "also print internal steps: preflight, lock, each run's client command and phases")
    .action(async (specFile: string, flags: RunFlags) => (await import("./run-action.js")).runAction(specFile, flags));
}
