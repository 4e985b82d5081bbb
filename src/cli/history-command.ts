import type { HistoryFlags } from "./history-action.js";
import { Command, InvalidArgumentError } from "commander";

const positive = (what: string, integer: boolean) => (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    throw new InvalidArgumentError(`${what} must be a positive ${integer ? "integer" : "number"}, got ${value}`);
  }
  return number;
};

/** `tcpsweep history [DIR|CSV…]`: change points over every night (E-divisive with Otava's split and merge). */
export function registerHistoryCommand(program: Command): void {
  program
    .command("history")
    .description("find change points over every night: one series per cell × metric, E-divisive means with Otava's split and merge")
    .argument("[inputs...]", "a nightly directory (<night>/<spec>.csv; default results/nightly) or results CSVs (each run one point)")
    .option("--series <file>", "instead: an Otava-style CSV, a time column then one numeric column per series")
    .option("--window <n>", "E-divisive window (Otava's window_len)", positive("--window", true), 50)
    .option("--p <p>", "largest p-value of a change point (t-test between adjacent segments)", positive("--p", false), 0.001)
    .option("--min-magnitude <pct>", "smallest change in % kept (Otava's min_magnitude × 100)", positive("--min-magnitude", false))
    .option("--no-repeats", "judge by the nightly medians alone (Otava's t-test), not by each night's repeats")
    .option("--report <dir>", "also write the trend report (HTML, offline) to this directory")
    .option("--no-cache", "recompute every series (default: <dir>/.history.json keeps what earlier runs found)")
    .option("--json", "print {series: [{name, points, change_points: [{index, time, pvalue, change_pct, mean_before, mean_after}]}]}")
    .option("--markdown", "print the table as Markdown")
    .option("--summary", "print one line: the new change points, then how many in all (the nightly's summary uses it)")
    .action(async (inputs: string[], flags: HistoryFlags) => (await import("./history-action.js")).historyAction(inputs, flags));
}
