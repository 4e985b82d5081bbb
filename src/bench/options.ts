/** `npm run bench` flags; `--quick` changes the defaults, and flags given explicitly still win. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { integerIn, seconds } from "../cli/arguments.js";

export interface BenchOptions {
  quick: boolean;
  /** Runs per point and variant. */
  runs: number;
  durationS: number;
  warmupS: number;
  /** Connection counts of the client comparison. */
  connections: number[];
  /** `--threads` for the tcpsweep client; undefined = its default (CPU count). */
  clientThreads?: number;
  resultsFile: string;
}

/** The repository root, from dist/bench/ (or src/bench/). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const FULL = { runs: 3, durationS: 3, warmupS: 1, connections: [1, 10, 100, 1000, 4000] };
const QUICK = { runs: 1, durationS: 1, warmupS: 0.5, connections: [1, 100] };

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const program = new Command("bench")
    .description("tcpsweep client and server against the native measuring sticks (bench/native), written to bench/RESULTS.md")
    .option("--runs <n>", `runs per point and variant (default ${FULL.runs}; --quick ${QUICK.runs})`, integerIn(1, 100))
    .option("--duration <s>", `measured window in seconds (default ${FULL.durationS}; --quick ${QUICK.durationS})`, seconds({ allowZero: false }))
    .option("--warmup <s>", `warmup before each window in seconds (default ${FULL.warmupS}; --quick ${QUICK.warmupS})`, seconds({ allowZero: true }))
    .option("--threads <n>", "worker threads of the tcpsweep client (default: its own, the CPU count)", integerIn(1, 1024))
    .option("--quick", `smoke test: ${QUICK.runs} run, ${QUICK.durationS} s windows, connections ${QUICK.connections.join(",")} only`)
    .option("--out <file>", "results file to (over)write", path.join(REPO_ROOT, "bench", "RESULTS.md"))
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  program.parse(argv, { from: "user" });
  const flags = program.opts<{ runs?: number; duration?: number; warmup?: number; threads?: number; quick?: boolean; out: string }>();
  const base = flags.quick ? QUICK : FULL;
  return {
    quick: Boolean(flags.quick),
    runs: flags.runs ?? base.runs,
    durationS: flags.duration ?? base.durationS,
    warmupS: flags.warmup ?? base.warmupS,
    connections: base.connections,
    clientThreads: flags.threads,
    resultsFile: path.resolve(flags.out),
  };
}
