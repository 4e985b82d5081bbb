import { Command } from "commander";
import { ACCEPT_STRATEGY_NAMES, runServer } from "../server/index.js";
import { integerIn, oneOf } from "./arguments.js";
import { fail } from "./exit.js";

export function registerServerCommand(program: Command): void {
  program
    .command("server")
    .description("the reference chat server: CLIENT_CHAT → SERVER_ECHO (or SERVER_ACK), CLIENT_INFO → SERVER_INFO")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", integerIn(0, 65535), 0)
    .option("--threads <n>", "event loops sharing the port (one worker process each)", integerIn(1, 1024), 1)
    .option("--reply <mode>", "reply to CLIENT_CHAT with echo (same payload) or ack", oneOf(["echo", "ack"] as const), "echo")
    .option(
      "--accept <strategy>",
      "how workers take in connections: shared-descriptors, reuse-port (SO_REUSEPORT, Node >= 22.12), or auto (today shared-descriptors on every Node; see docs/server.md)",
      oneOf(["auto", ...ACCEPT_STRATEGY_NAMES] as const),
      "auto",
    )
    .action(async (flags) => {
      try {
        await runServer({ host: flags.host, port: flags.port, threads: flags.threads, reply: flags.reply, accept: flags.accept });
      } catch (error) {
        fail(`tcpsweep server: cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}`, 2);
      }
    });
}
