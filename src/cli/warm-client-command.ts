import { Command } from "commander";
import { serveWarmClient } from "../client/warm-host.js";
import { WARM_CLIENT_COMMAND } from "../client/warm-protocol.js";
import { registerClientCommand } from "./client-command.js";

/** Hidden: the warm client a sweep keeps between runs (src/client/warm-host.ts, src/launch/warm-client.ts). */
export function registerWarmClientCommand(program: Command): void {
  program.addCommand(
    new Command(WARM_CLIENT_COMMAND)
      .description("for tcpsweep run: run `tcpsweep client` command lines sent as JSON lines on stdin, one after another")
      .action(() => serveWarmClient(registerClientCommand)),
    { hidden: true },
  );
}
