import type { Command } from "commander";

export function registerAgentCommand(program: Command): void {
  program
    .command("agent")
    .description("the remote end of a sweep over ssh: newline-delimited JSON on stdin/stdout (see docs/remote-hosts.md)")
    .action(async () => {
      const { runAgent } = await import("../agent/agent.js");
      await runAgent();
    });
}
