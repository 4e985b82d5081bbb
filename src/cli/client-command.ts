import { availableParallelism } from "node:os";
import { Command, InvalidArgumentError, Option } from "commander";
import { ANY_LENGTH, PROTOCOLS, PROTOCOL_NAMES, lengthProblem, type ProtocolName } from "../protocol/index.js";
import {
  MAX_CONNECTIONS,
  NoConnectionError,
  SpreadError,
  clientSpread,
  READY_LINE,
  WINDOW_ENDED_LINE,
  WINDOW_STARTED_LINE,
  buildReport,
  type ClientOptions,
  formatTextReport,
  runLoad,
} from "../client/index.js";
import { parseAddress } from "../process/address.js";
import { encodeHistogram } from "../remote/histogram-wire.js";
import { waitForStdinLine } from "../remote/stdin-signal.js";
import { duration, integerIn, oneOf, positiveNumber } from "./arguments.js";
import { fail } from "./exit.js";
import type { ClientIo } from "../client/io.js";

/** `tcpsweep client`: this process's stdio, and its exit status. */
export const PROCESS_CLIENT_IO: ClientIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  waitForStart: waitForStdinLine,
  fail,
};

export function registerClientCommand(program: Command, io: ClientIo = PROCESS_CLIENT_IO): void {
  program
    .command("client")
    .description(
      "closed-loop load client: each connection sends a request (a CLIENT_CHAT frame, or echo bytes), waits for the whole response, repeats",
    )
    .requiredOption("-a, --address <host:port>", "server to load", (value) => {
      const address = parseAddress(value);
      if (typeof address === "string") throw new InvalidArgumentError(address);
      return address;
    })
    .option("-c, --connections <n>", `concurrent connections (1…${MAX_CONNECTIONS})`, integerIn(1, MAX_CONNECTIONS), 1)
    .option("--threads <n>", "worker threads; connections spread evenly (default: CPU count, at most <connections>)", integerIn(1, 1024))
    .option("-t, --duration <d>", "measured window: seconds, or a duration like 500ms, 2s, 1m30s", duration({ allowZero: false }), 10)
    .option("--warmup <d>", "traffic before the window, not counted (seconds or a duration)", duration({ allowZero: true }), 1)
    .option(
      "--protocol <name>",
      `wire protocol: ${PROTOCOL_NAMES.map((name) => `${name} (${PROTOCOLS[name].summary})`).join("; ")}`,
      oneOf(PROTOCOL_NAMES),
      "chat",
    )
    .option(
      "-l, --length <bytes>",
      `request size: ${PROTOCOL_NAMES.map((name) => {
        const l = PROTOCOLS[name].length;
        return `${name}, ${l.meaning} ${l.min}…${l.max} (default ${l.default})`;
      }).join("; ")}`,
      integerIn(ANY_LENGTH.min, ANY_LENGTH.max),
    )
    .option("--timeout <d>", "per connect/read/write timeout (seconds or a duration)", duration({ allowZero: false }), 5)
    .option(
      "--connect-rate <conn/s>",
      "open at most this many connections per second (default: as fast as the server takes them)",
      positiveNumber,
    )
    .option(
      "--processes <n>",
      "load processes (default: as many as the open-file limit needs; each holds its share of the connections)",
      integerIn(1, 1024),
    )
    .option(
      "--source-addresses <n>",
      "connect from 127.0.0.1, 127.0.0.2, … (server on loopback; default: as many as the ephemeral ports need)",
      integerIn(1, 254),
    )
    .option("--rate <req/s>", "open loop: send this many requests per second in total, on schedule, replies or not", positiveNumber)
    .addOption(
      new Option(
        "--verify <what>",
        "what makes a reply a response: type (chat: a whole ECHO/ACK/INFO frame; echo: as many bytes as sent; payload mismatches counted apart) or payload (a wrong payload is a bad frame)",
      )
        .choices(["type", "payload"])
        .default("type"),
    )
    .option("--json", "print one JSON object instead of the text report")
    .addOption(new Option("--announce-window", "print a line on stderr as the window opens and closes (for tcpsweep run)").hideHelp())
    .addOption(
      new Option(
        "--wait-for-start",
        "after the warmup, say so on stderr and open the window on a line on stdin (for several load hosts)",
      ).hideHelp(),
    )
    .action(async (flags: ClientCommandFlags) => {
      const protocol = flags.protocol;
      const length: number = flags.length ?? PROTOCOLS[protocol].length.default;
      const badLength = lengthProblem(protocol, length);
      if (badLength) io.fail(`tcpsweep client: --length ${length}: ${badLength}`, 2);
      const options = {
        host: flags.address.host,
        port: flags.address.port,
        connections: flags.connections,
        threads: Math.min(flags.threads ?? availableParallelism(), flags.connections),
        durationS: flags.duration,
        warmupS: flags.warmup,
        protocol,
        length,
        timeoutS: flags.timeout,
        rate: flags.rate,
        connectRate: flags.connectRate,
        processes: flags.processes,
        sourceAddresses: flags.sourceAddresses,
        verify: flags.verify,
      } satisfies ClientOptions;
      try {
        clientSpread(options); // refuses before any connection, naming every limit that is in the way
      } catch (error) {
        if (error instanceof SpreadError) io.fail(`tcpsweep client: ${error.message}`, 2);
        throw error;
      }
      try {
        const hooks = flags.announceWindow
          ? {
              windowStarted: () => io.err(`${WINDOW_STARTED_LINE}\n`),
              windowEnded: () => io.err(`${WINDOW_ENDED_LINE}\n`),
            }
          : {};
        const beforeWindow = flags.waitForStart ? () => (io.err(`${READY_LINE}\n`), io.waitForStart()) : undefined;
        const result = await runLoad(options, { ...hooks, beforeWindow });
        const report = buildReport(result);
        // The encoded histogram lets several hosts' latencies be merged exactly (src/remote/histogram-wire.ts);
        // a load host of several also sends its per-connection counts, so fairness merges exactly too.
        const perConnection = flags.waitForStart ? { conn_resp_counts: result.connectionResponses } : {};
        const json = () =>
          JSON.stringify({
            ...report,
            latency_histogram: encodeHistogram(result.latencyUs),
            turnaround_histogram: encodeHistogram(result.turnaroundNs),
            ...perConnection,
          });
        io.out(flags.json ? `${json()}\n` : `${formatTextReport(report)}\n`);
      } catch (error) {
        if (error instanceof NoConnectionError) io.fail(`tcpsweep client: ${error.message}`, 1);
        throw error;
      }
    });
}

/** The client command's options as commander parses them (each parser above gives its type). */
interface ClientCommandFlags {
  address: { host: string; port: number };
  connections: number;
  threads?: number;
  duration: number;
  warmup: number;
  protocol: ProtocolName;
  length?: number;
  timeout: number;
  connectRate?: number;
  processes?: number;
  sourceAddresses?: number;
  rate?: number;
  verify: "type" | "payload";
  json?: boolean;
  announceWindow?: boolean;
  waitForStart?: boolean;
}
