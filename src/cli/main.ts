#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerAgentCommand } from "./agent-command.js";
import { registerClientCommand } from "./client-command.js";
import { registerCompareCommand } from "./compare-command.js";
import { registerReportCommand } from "./report-command.js";
import { registerRunCommand } from "./run-command.js";
import { registerServerCommand } from "./server-command.js";
import { registerStraceParseCommand } from "./strace-parse-command.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("tcpsweep")
  .description("measure TCP servers over a sweep of connections × threads: throughput, latency, success rate, syscalls")
  .version(version)
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

await program.parseAsync(process.argv);
