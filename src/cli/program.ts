/** The tcpsweep command line: every command, parsed and run. Started by main.ts once the Node version is known to be supported. */
import { Command } from "commander";
import { registerAgentCommand } from "./agent-command.js";
import { registerClientCommand } from "./client-command.js";
import { failUnexpected } from "./exit.js";
import { registerCompareCommand } from "./compare-command.js";
import { registerReportCommand } from "./report-command.js";
import { registerRunCommand } from "./run-command.js";
import { registerServerCommand } from "./server-command.js";
import { registerStraceParseCommand } from "./strace-parse-command.js";
import { tcpsweepVersion } from "../version.js";

const program = new Command("tcpsweep")
  .description("measure TCP servers over a sweep of connections × threads: throughput, latency, success rate, syscalls")
  .version(tcpsweepVersion() ?? "unknown")
  .option("--debug", "on an unexpected error (exit 3), print its stack")
  .showHelpAfterError("(run with --help for usage)")
  // Bad flags exit 2, as every tcpsweep command promises; help and --version exit 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

registerRunCommand(program);
registerClientCommand(program);
registerServerCommand(program);
registerStraceParseCommand(program);
registerCompareCommand(program);
registerReportCommand(program);
registerAgentCommand(program);

// Anything not foreseen (ENOSPC, EROFS, a bug) ends with one line and exit 3, distinct from 1 (runs not ok) and 2 (bad input).
const debug = process.argv.includes("--debug");
process.on("uncaughtException", (error) => failUnexpected(error, debug));
process.on("unhandledRejection", (error) => failUnexpected(error, debug));
try {
  await program.parseAsync(process.argv);
} catch (error) {
  failUnexpected(error, debug);
}
