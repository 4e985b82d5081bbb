/** The command line: every command registered, flags parsed, unexpected errors to one line (main.ts loads it after the Node version check). */
import { Command } from "commander";
import { registerAgentCommand } from "./agent-command.js";
import { registerCalibrateCommand } from "./calibrate-command.js";
import { registerClientCommand } from "./client-command.js";
import { failUnexpected } from "./exit.js";
import { registerCompareCommand } from "./compare-command.js";
import { registerCompletionCommand } from "./completion-command.js";
import { registerHistoryCommand } from "./history-command.js";
import { registerNightlyPathsCommand } from "./nightly-paths-command.js";
import { registerReportCommand } from "./report-command.js";
import { registerRunCommand } from "./run-command.js";
import { registerServerCommand } from "./server-command.js";
import { registerStraceParseCommand } from "./strace-parse-command.js";
import { registerWarmClientCommand } from "./warm-client-command.js";
import { EXIT_CODES_HELP } from "./exit-codes.js";
import { refuseNpmEatenFlags } from "./npm-guard.js";
import { tcpsweepBuild } from "../version.js";

const program = new Command("tcpsweep")
  .description("measure TCP servers over a sweep of connections × threads: throughput, latency, success rate, syscalls")
  // Our own -V/--version: the build string runs git, which only --version (not every client or server start) should pay for.
  .option("-V, --version", "print the version: package, git commit and Node (tcpsweep 0.2.0 (git 1a2b3c4, node v20.19.0))")
  .on("option:version", () => {
    process.stdout.write(`${tcpsweepBuild()}\n`);
    process.exit(0);
  })
  .option("--debug", "on an unexpected error (exit 3), print its stack")
  .showHelpAfterError("(run with --help for usage)")
  // Bad flags exit 2, as every tcpsweep command promises; help and --version exit 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

registerRunCommand(program);
registerClientCommand(program);
registerServerCommand(program);
registerStraceParseCommand(program);
registerCompareCommand(program);
registerCalibrateCommand(program);
registerReportCommand(program);
registerHistoryCommand(program);
registerAgentCommand(program);
registerCompletionCommand(program);
registerWarmClientCommand(program);
registerNightlyPathsCommand(program);
program.addHelpText("after", `\n${EXIT_CODES_HELP}`);

// Before anything runs: `npm run sweep SPEC --dry-run` must not start the sweep npm left without its flag.
refuseNpmEatenFlags(program, process.argv.slice(2));

// Anything not foreseen (ENOSPC, EROFS, a bug) ends with one line and exit 3, distinct from 1 (runs not ok) and 2 (bad input).
const debug = process.argv.includes("--debug");
process.on("uncaughtException", (error) => failUnexpected(error, debug));
process.on("unhandledRejection", (error) => failUnexpected(error, debug));
// A reader that stops early (`tcpsweep report … | head`) closes our stdout: its choice, not our error.
process.stdout.on("error", (error: NodeJS.ErrnoException) =>
  error.code === "EPIPE" ? process.exit(process.exitCode ?? 0) : failUnexpected(error, debug),
);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  failUnexpected(error, debug);
}
