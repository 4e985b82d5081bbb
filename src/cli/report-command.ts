import { Command } from "commander";
import { sanitiseStandardStreams } from "../untrusted/terminal.js";

/** `tcpsweep report <results.csv>`: charts and a table of one run as a self-contained HTML page. */
export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description("chart one run of a results CSV: index.html (self-contained, no network) and one SVG per chart")
    .argument("<results.csv>", "a CSV written by tcpsweep run (its .syscalls.csv beside it is used when present)")
    .option("--out <dir>", "output directory (default: <csv dir>/<csv name>.report/)")
    .option("--run <id>", "the run_id to report (default: the latest run in the CSV)")
    .option("--json", "print what was written as one JSON object: run id, index.html, each chart's file, charts not drawn and why")
    .option(
      "--series <cell>",
      "also chart the per-second responses of this cell (its id, e.g. connections=100,threads=2); repeatable",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (csvFile: string, flags: { out?: string; run?: string; series?: string[]; json?: boolean }) => {
      sanitiseStandardStreams(); // what it prints came from files
      return (await import("./report-action.js")).reportAction(csvFile, flags);
    });
}
