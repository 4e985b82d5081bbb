/**
 * The programs the benchmark runs: the tcpsweep client and server (dist/cli/main.js) and the
 * native measuring sticks (bench/build/), described so that one runner serves both sides.
 */
import path from "node:path";
import type { ClientReport } from "../client/index.js";
import { REPO_ROOT } from "./options.js";

const BUILD_DIR = path.join(REPO_ROOT, "bench", "build");
const TCPSWEEP_CLI = path.join(REPO_ROOT, "dist", "cli", "main.js");

export const NATIVE_BUILD_SCRIPT = path.join(REPO_ROOT, "bench", "native", "build.sh");
export const RUSAGE = path.join(BUILD_DIR, "rusage");

/** One closed-loop load against a server. */
export interface Load {
  address: string;
  connections: number;
  durationS: number;
  warmupS: number;
}

/** What a client reports about its measured window. */
export interface WindowFigures {
  respPerS: number;
  /** Responses inside the window. */
  responses: number;
  successPct: number;
  p99Us: number;
}

export interface ClientKind {
  name: string;
  argv(load: Load): string[];
  /** The window's figures, or why the output has none. */
  parse(stdout: string): WindowFigures | string;
}

export interface ServerKind {
  name: string;
  /** The server prints `listening on HOST:PORT` once it accepts. */
  argv(host: string, port: number, threads: number): string[];
}

/** The tcpsweep client run by the Node binary at `node` (default: the one running this). */
export function tcpsweepClient(threads: number | undefined, node = process.execPath): ClientKind {
  return {
    name: "tcpsweep client",
    argv: (load) => [
      node,
      TCPSWEEP_CLI,
      "client",
      "-a",
      load.address,
      "-c",
      String(load.connections),
      "-t",
      String(load.durationS),
      "--warmup",
      String(load.warmupS),
      "--json",
      ...(threads === undefined ? [] : ["--threads", String(threads)]),
    ],
    parse: (stdout) => {
      const line = stdout
        .split("\n")
        .reverse()
        .find((l) => l.trimStart().startsWith("{"));
      if (!line) return "no JSON report on stdout";
      let report: ClientReport;
      try {
        report = JSON.parse(line) as ClientReport;
      } catch (error) {
        return `report is not JSON: ${(error as Error).message}`;
      }
      if (!report.latency_us) return "no responses in the window";
      return {
        respPerS: report.resp_per_s,
        responses: report.responses,
        successPct: report.success_rate_pct,
        p99Us: report.latency_us.p99,
      };
    },
  };
}

const NATIVE_REPORT = {
  speed: /^Speed: [\d.]+ request\/sec, ([\d.]+) response\/sec$/m,
  responses: /^Responses: (\d+)$/m,
  success: /^Success rate: ([\d.]+)%$/m,
  latency: /^Latency p50: [\d.]+ us, p99: ([\d.]+) us$/m,
};

export const NATIVE_CLIENT: ClientKind = {
  name: "native client",
  argv: (load) => [
    path.join(BUILD_DIR, "client"),
    "-a",
    load.address,
    "-c",
    String(load.connections),
    "-t",
    String(load.durationS),
    "-w",
    String(load.warmupS),
  ],
  parse: (stdout) => {
    const missing = Object.entries(NATIVE_REPORT)
      .filter(([, pattern]) => !pattern.test(stdout))
      .map(([line]) => line);
    if (missing.length > 0) return `report has no ${missing.join(", ")} line`;
    const figure = (pattern: RegExp) => Number(pattern.exec(stdout)![1]);
    return {
      respPerS: figure(NATIVE_REPORT.speed),
      responses: figure(NATIVE_REPORT.responses),
      successPct: figure(NATIVE_REPORT.success),
      p99Us: figure(NATIVE_REPORT.latency),
    };
  },
};

export const TCPSWEEP_SERVER: ServerKind = {
  name: "tcpsweep server",
  argv: (host, port, threads) => [
    process.execPath,
    TCPSWEEP_CLI,
    "server",
    "--host",
    host,
    "--port",
    String(port),
    "--threads",
    String(threads),
  ],
};

export const NATIVE_SERVER: ServerKind = {
  name: "native epoll server",
  argv: (host, port, threads) => [path.join(BUILD_DIR, "server"), "-t", String(threads), "-h", host, "-p", String(port)],
};
