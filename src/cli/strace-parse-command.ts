import { sanitiseStandardStreams } from "../untrusted/terminal.js";
import { readNamedInput } from "../untrusted/files.js";
import { Command, Option } from "commander";
import { formatSummaryTable, parseStraceSummary, StraceParseError, summaryToCsv } from "../profile/strace-summary.js";

/** `tcpsweep strace-parse <file>`: reads the `strace -c` / `-C` call summary from a saved output. */
export function registerStraceParseCommand(program: Command): void {
  program
    .command("strace-parse")
    .description("parse the call-summary table of `strace -c` / `strace -C` from its saved stderr or -o file")
    .argument("<file>", "strace's output: its stderr, or the file given to strace -o")
    .addOption(new Option("--json", "print the parse as JSON (columns, rows, total, extra_tables)").conflicts("csv"))
    .option("--csv", "print CSV: one line per syscall and per total line, for every table")
    .action((file: string, flags: { json?: boolean; csv?: boolean }) => {
      sanitiseStandardStreams(); // what it prints came from files
      let text: string;
      try {
        text = readNamedInput(file, MAX_STRACE_BYTES);
      } catch (error) {
        reportInputProblem(`cannot read ${file}: ${readErrorReason(error)}`);
        return;
      }
      const summary = parseStraceSummary(text);
      if (summary instanceof StraceParseError) {
        reportInputProblem(`${file}: ${summary.message}`);
        return;
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else if (flags.csv) process.stdout.write(summaryToCsv(summary));
      else process.stdout.write(formatSummaryTable(summary));
    });
}

/** `strace -c` output is a table of at most a few hundred lines; a saved stderr with the program's own output may be larger, not this. */
const MAX_STRACE_BYTES = 64 * 1024 * 1024;

/** One line on stderr and exit status 2; exitCode rather than exit() lets stdout drain. */
function reportInputProblem(message: string): void {
  process.stderr.write(`tcpsweep strace-parse: ${message}\n`);
  process.exitCode = 2;
}

/** "ENOENT: no such file or directory, open 'x'" → "ENOENT: no such file or directory" (the path is already in the line). */
function readErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/, \w+ '.*'$/, "");
}
