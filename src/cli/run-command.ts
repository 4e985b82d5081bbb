import { Command } from "commander";
import { integerIn } from "./arguments.js";

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run a sweep spec: every cell starts the server, drives it with the client and appends a row to the CSV")
    .argument("<spec.yaml>", "the sweep spec (see README: Spec reference)")
    .option("--dry-run", "print the cells and the exact commands, run nothing")
    .option("--only <key=value,...>", "run only the cells matching every pair, e.g. connections=100,threads=4")
    .option("--resume", "continue the spec's interrupted run in the CSV: same run_id, only its missing or not-ok cell × repeat runs")
    .option("--json", "print one JSON object on stdout at the end: run id, CSV, per-cell medians and statuses, exit status")
    .option("--repeat <n>", "runs per cell (overrides the spec's repeat)", integerIn(1, 1000))
    .option("--duration <d>", "measured window per run, e.g. 5s or 500ms (overrides the spec's duration)")
    .option("--csv <path>", "write rows to this CSV instead of the spec's output.csv")
    .option("--follow-symlinks", "write the CSVs even when their paths are symbolic links (refused by default)")
    .option("--lock-wait <d>", "how long to wait for another run's lock on the same CSV", "10s")
    .action(async (specFile: string, flags) => (await import("./run-action.js")).runAction(specFile, flags));
}
