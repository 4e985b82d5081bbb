/** `npm run bench` flags; `--quick` changes the defaults, and flags given explicitly still win. */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { integerIn, duration } from "../cli/arguments.js";

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
  /** Run only this section (RESULTS.md keeps the others as they were). */
  only?: BenchSection;
  /** A built tcpsweep checkout whose CLI the overhead section measures side by side with this one. */
  baseline?: string;
  /**
   * Node binaries the client comparison runs the tcpsweep client under, side by side with the native
   * client: `--node PATH` (repeatable) and TCPSWEEP_BENCH_NODES (paths separated by ":"), after the
   * node running the benchmark, which always comes first. Checked (and versioned) by nodeBinaries().
   */
  nodes: string[];
  /** Connection counts of the scale section (`--only scale`). */
  scaleConnections: number[];
  /** Accept section (`--only accept`): connections × threads instead of sweeps/full.yaml's matrix. */
  acceptCells?: { connections: number[]; threads: number[] };
}

/** Extra Node binaries for the client comparison, from the environment: paths separated by ":". */
export const BENCH_NODES_ENV = "TCPSWEEP_BENCH_NODES";

/** Connection counts of the scale section unless `--scale` says otherwise. */
export const DEFAULT_SCALE_CONNECTIONS = [10_000, 19_000];

/**
 * "scale" and "accept" run only when asked for (`--only scale`, `--only accept`): minutes of connects
 * at 10,000 and more; sweeps/full.yaml's 30 cells × each accept strategy × 3 runs, about 20 minutes.
 */
export const BENCH_SECTIONS = ["clients", "servers", "profilers", "overhead", "warm-client", "accept", "scale"] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];
/** Sections a full run (no `--only`) leaves out. */
export const ON_REQUEST_SECTIONS: readonly BenchSection[] = ["accept", "scale"];

/** The repository root, from dist/bench/ (or src/bench/). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** This checkout's built CLI, which every benchmark runs. */
export const BUILT_CLI = path.join(REPO_ROOT, "dist/cli/main.js");

const FULL = { runs: 3, durationS: 3, warmupS: 1, connections: [1, 10, 100, 1000, 4000] };
const QUICK = { runs: 1, durationS: 1, warmupS: 0.5, connections: [1, 100] };

/** `10,100x2,4` → connections [10, 100] × threads [2, 4]. */
export function parseCells(value: string): { connections: number[]; threads: number[] } {
  const [connections, threads, ...rest] = value.split("x");
  if (connections === undefined || threads === undefined || rest.length > 0)
    throw new InvalidArgumentError("expected CONNECTIONSxTHREADS, each a comma-separated list, e.g. 10,100x2,4");
  const list = (text: string, max: number) => text.split(",").map((n) => integerIn(1, max)(n.trim()));
  return { connections: list(connections, 65000), threads: list(threads, 1024) };
}

export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const program = new Command("bench")
    .description("tcpsweep client and server against the native measuring sticks (bench/native), written to bench/RESULTS.md")
    .option("--runs <n>", `runs per point and variant (default ${FULL.runs}; --quick ${QUICK.runs})`, integerIn(1, 100))
    .option(
      "--duration <s>",
      `measured window in seconds (default ${FULL.durationS}; --quick ${QUICK.durationS})`,
      duration({ allowZero: false }),
    )
    .option(
      "--warmup <s>",
      `warmup before each window in seconds (default ${FULL.warmupS}; --quick ${QUICK.warmupS})`,
      duration({ allowZero: true }),
    )
    .option("--threads <n>", "worker threads of the tcpsweep client (default: its own, the CPU count)", integerIn(1, 1024))
    .option("--quick", `smoke test: ${QUICK.runs} run, ${QUICK.durationS} s windows, connections ${QUICK.connections.join(",")} only`)
    .option("--only <section>", `run one section: ${BENCH_SECTIONS.join(", ")} (RESULTS.md keeps the others)`)
    .option(
      "--baseline <dir>",
      "overhead section: a built tcpsweep checkout (the code before a change) to measure side by side with this one",
    )
    .option(
      "--node <path>",
      `client comparison: also run the tcpsweep client under this Node binary (repeatable; also ${BENCH_NODES_ENV}=PATH:PATH); the node running the bench always runs`,
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--scale <counts>",
      `scale section: connection counts, comma-separated (default ${DEFAULT_SCALE_CONNECTIONS.join(",")}; e.g. 10000,19000,50000)`,
      (value: string) => value.split(",").map((count) => integerIn(1, 65000)(count.trim())),
    )
    .option(
      "--accept-cells <matrix>",
      "accept section: CONNECTIONSxTHREADS lists instead of sweeps/full.yaml's matrix, e.g. 10,100x2,4 (connections 10 and 100 × threads 2 and 4) or 10x2",
      parseCells,
    )
    .option("--out <file>", "results file to (over)write", path.join(REPO_ROOT, "bench", "RESULTS.md"))
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  program.parse(argv, { from: "user" });
  const flags = program.opts<{
    runs?: number;
    duration?: number;
    warmup?: number;
    threads?: number;
    quick?: boolean;
    out: string;
    only?: string;
    baseline?: string;
    node: string[];
    scale?: number[];
    acceptCells?: { connections: number[]; threads: number[] };
  }>();
  if (flags.only !== undefined && !(BENCH_SECTIONS as readonly string[]).includes(flags.only))
    program.error(`--only ${flags.only}: expected one of ${BENCH_SECTIONS.join(", ")}`);
  if (flags.baseline !== undefined && !existsSync(path.join(flags.baseline, "dist/cli/main.js"))) {
    program.error(
      `--baseline ${flags.baseline}: no dist/cli/main.js there; check out the code to compare against and run \`npm run build\` in it`,
    );
  }
  const base = flags.quick ? QUICK : FULL;
  return {
    quick: Boolean(flags.quick),
    runs: flags.runs ?? base.runs,
    durationS: flags.duration ?? base.durationS,
    warmupS: flags.warmup ?? base.warmupS,
    connections: base.connections,
    clientThreads: flags.threads,
    resultsFile: path.resolve(flags.out),
    ...(flags.only ? { only: flags.only as BenchSection } : {}),
    ...(flags.baseline ? { baseline: path.resolve(flags.baseline) } : {}),
    scaleConnections: flags.scale ?? DEFAULT_SCALE_CONNECTIONS,
    ...(flags.acceptCells ? { acceptCells: flags.acceptCells } : {}),
    nodes: [...flags.node, ...(env[BENCH_NODES_ENV] ?? "").split(":").filter(Boolean)].map((node) => path.resolve(node)),
  };
}
