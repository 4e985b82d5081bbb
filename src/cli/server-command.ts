import { Command } from "commander";
import { PROTOCOL_NAMES, protocolNamed } from "../protocol/index.js";
import { ACCEPT_STRATEGY_NAMES, runServer } from "../server/index.js";
import { integerIn, oneOf } from "./arguments.js";
import { fail } from "./exit.js";

export function registerServerCommand(program: Command): void {
  program
    .command("server")
    .description("the reference server: chat (CLIENT_CHAT → SERVER_ECHO or SERVER_ACK, CLIENT_INFO → SERVER_INFO) or a plain echo")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", integerIn(0, 65535), 0)
    .option(
      "--threads <n>",
      "event loops: n worker processes (forked with child_process, not node:cluster), one loop each, accepting on the one listening socket; this process supervises them",
      integerIn(1, 1024),
      1,
    )
    .option("--protocol <name>", `wire protocol: ${PROTOCOL_NAMES.join(" or ")} (docs/protocols.md)`, oneOf(PROTOCOL_NAMES), "chat")
    .option("--reply <mode>", "chat: reply to CLIENT_CHAT with echo (same payload) or ack", oneOf(["echo", "ack"] as const), "echo")
    .option(
      "--accept <strategy>",
      "how workers take in connections: balanced (the supervisor deals connections to the least-loaded worker, shared descriptors past 64 per worker), shared-descriptors, reuse-port (SO_REUSEPORT, Node >= 22.12), or auto (today balanced on every Node; see docs/server.md)",
      oneOf(["auto", ...ACCEPT_STRATEGY_NAMES] as const),
      "auto",
    )
    .option(
      "--work-us <n>",
      "microseconds of CPU work before each reply (default 0): the server slowed by a known cost per request, for trying compare and history",
      integerIn(0, 1_000_000),
      0,
    )
    .action(async (flags: ServerCommandFlags) => {
      const problem = protocolNamed(flags.protocol).serverOptionsProblem({ reply: flags.reply });
      if (problem) fail(`tcpsweep server: --protocol ${flags.protocol} --reply ${flags.reply}: ${problem}`, 2);
      try {
        await runServer({
          host: flags.host,
          port: flags.port,
          threads: flags.threads,
          protocol: flags.protocol,
          reply: flags.reply,
          accept: flags.accept,
          workUs: flags.workUs,
        });
      } catch (error) {
        fail(`tcpsweep server: cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}`, 2);
      }
    });
}

/** The server command's options as commander parses them. */
interface ServerCommandFlags {
  host: string;
  port: number;
  threads: number;
  protocol: (typeof PROTOCOL_NAMES)[number];
  reply: "echo" | "ack";
  accept: "auto" | (typeof ACCEPT_STRATEGY_NAMES)[number];
  workUs: number;
}
