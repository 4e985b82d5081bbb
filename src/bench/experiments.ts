/**
 * The three comparisons. Within a point the variants take turns, A B A B …, one load at a time,
 * so drift on the machine (other work, thermal state) spreads over both sides alike.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Progress } from "../output/progress.js";
import { processTree } from "../process/proctree.js";
import { ProfileError, type Profiler } from "../profile/profiler.js";
import { PROFILERS, type ProfilerKind } from "../profile/registry.js";
import { LocalLauncher } from "../launch/local.js";
import type { NodeBinary } from "./nodes.js";
import type { BenchOptions, BenchSection } from "./options.js";
import { launchClient, withServer, type ClientRun, type ProcessScope, type RunningServer } from "./processes.js";
import { NATIVE_CLIENT, NATIVE_SERVER, TCPSWEEP_SERVER, tcpsweepClient, type ClientKind, type Load } from "./tools.js";

/** One native server thread leaves the other core of a 2-core machine to the client under test. */
export const CLIENT_BENCH_SERVER_THREADS = 1;
export const SERVER_BENCH_CONNECTIONS = 100;
export const SERVER_BENCH_THREADS = [1, 2];
export const PROFILED_SERVER_THREADS = 2;
/** The profilers' cost is measured at each of these loads, on the built-in and the native epoll server. */
export const PROFILED_CONNECTIONS = [100, 1000];
const PROFILED_SERVERS = [
  { label: "tcpsweep server", kind: TCPSWEEP_SERVER },
  { label: "native server", kind: NATIVE_SERVER },
] as const;
/** Pause before each run, so the previous run's connections are closed before the next one measures. */
const SETTLE_MS = 300;

export interface BenchContext {
  options: BenchOptions;
  scope: ProcessScope;
  progress: Progress;
  /** Where the profilers' own output files go. */
  rawDir: string;
  /** "point: variant #run: what went wrong", for every failed run. */
  failures: string[];
  /** Node binaries for the tcpsweep client: the running one first (see nodeBinaries). */
  clientNodes: NodeBinary[];
}

interface Variant<T> {
  label: string;
  run: () => Promise<T>;
  outcome: (result: T) => string;
}

/** Runs every variant once per round, in order, for --runs rounds; a failed run is recorded and left out. */
async function alternate<T>(ctx: BenchContext, point: string, variants: readonly Variant<T>[]): Promise<T[][]> {
  const results = variants.map((): T[] => []);
  for (let round = 1; round <= ctx.options.runs; round++) {
    for (const [index, variant] of variants.entries()) {
      const label = `${point}: ${variant.label} #${round}`;
      ctx.progress.cellStarted(label);
      await sleep(SETTLE_MS);
      try {
        const result = await variant.run();
        results[index]!.push(result);
        ctx.progress.cellFinished(label, variant.outcome(result));
      } catch (error) {
        const message = (error as Error).message;
        ctx.failures.push(`${label}: ${message}`);
        ctx.progress.cellFinished(label, `FAILED: ${message}`);
      }
    }
  }
  return results;
}

function loadOn(ctx: BenchContext, server: RunningServer, connections: number): Load {
  return { address: server.address, connections, durationS: ctx.options.durationS, warmupS: ctx.options.warmupS };
}

const describeRun = (run: ClientRun) =>
  `${Math.round(run.respPerS)} resp/s, ${run.cpuUsPerResponse.toFixed(1)} CPU µs/resp, p99 ${run.p99Us} µs`;

function clientVariant(ctx: BenchContext, label: string, kind: ClientKind, load: Load): Variant<ClientRun> {
  return { label, run: () => launchClient(ctx.scope, kind, load).finished, outcome: describeRun };
}

export interface ClientPoint {
  connections: number;
  /** The tcpsweep client under the node running the benchmark. */
  tcpsweep: ClientRun[];
  native: ClientRun[];
  /** The tcpsweep client under each further Node binary (`--node`), in order. */
  otherNodes?: NodeRuns[];
}

export interface NodeRuns {
  version: string;
  path: string;
  runs: ClientRun[];
}

/**
 * tcpsweep client (A) vs native client (B), both against one native epoll server; with `--node`,
 * the tcpsweep client under each Node binary too, every variant taking its turn within a point.
 */
export async function compareClients(ctx: BenchContext): Promise<ClientPoint[]> {
  const [current, ...others] = ctx.clientNodes;
  const tcpsweep = (node: NodeBinary) => tcpsweepClient(ctx.options.clientThreads, node.path);
  const label = (node: NodeBinary) => `tcpsweep client${others.length > 0 ? ` (node ${node.version})` : ""}`;
  return withServer(ctx.scope, NATIVE_SERVER, CLIENT_BENCH_SERVER_THREADS, async (server) => {
    const points: ClientPoint[] = [];
    for (const connections of ctx.options.connections) {
      const load = loadOn(ctx, server, connections);
      const [a, b, ...rest] = await alternate(ctx, `clients @${connections}`, [
        clientVariant(ctx, label(current!), tcpsweep(current!), load),
        clientVariant(ctx, "native client", NATIVE_CLIENT, load),
        ...others.map((node) => clientVariant(ctx, label(node), tcpsweep(node), load)),
      ]);
      const otherNodes = others.map((node, index) => ({ version: node.version, path: node.path, runs: rest[index]! }));
      points.push({ connections, tcpsweep: a!, native: b!, ...(otherNodes.length > 0 ? { otherNodes } : {}) });
    }
    return points;
  });
}

export interface ServerPoint {
  threads: number;
  tcpsweep: ClientRun[];
  native: ClientRun[];
}

/** tcpsweep server (A) vs native epoll server (B), loaded by the native client; both stay up for the point. */
export async function compareServers(ctx: BenchContext): Promise<ServerPoint[]> {
  const points: ServerPoint[] = [];
  for (const threads of SERVER_BENCH_THREADS) {
    const [a, b] = await withServer(ctx.scope, TCPSWEEP_SERVER, threads, (tcpsweep) =>
      withServer(ctx.scope, NATIVE_SERVER, threads, (native) =>
        alternate(ctx, `servers @${threads} threads`, [
          clientVariant(ctx, "tcpsweep server", NATIVE_CLIENT, loadOn(ctx, tcpsweep, SERVER_BENCH_CONNECTIONS)),
          clientVariant(ctx, "native server", NATIVE_CLIENT, loadOn(ctx, native, SERVER_BENCH_CONNECTIONS)),
        ]),
      ),
    );
    points.push({ threads, tcpsweep: a!, native: b! });
  }
  return points;
}

export interface ProfiledRun {
  run: ClientRun;
  /** Server syscalls per response; undefined for the untraced runs. */
  syscallsPerResponse?: number;
}

export interface ProfilerChoice {
  name: "strace" | "perf" | "bpf" | "bpf counts";
  /** Why this profiler cannot run here (it is then left out), or undefined. */
  unavailable?: string;
  create(rawFile: string): Profiler;
}

export type ProfilerOutcome = Pick<ProfilerChoice, "name" | "unavailable"> & { runs: ProfiledRun[] };

export interface PerturbationPoint {
  server: (typeof PROFILED_SERVERS)[number]["label"];
  connections: number;
  untraced: ProfiledRun[];
  profilers: ProfilerOutcome[];
}

export interface Perturbation {
  points: PerturbationPoint[];
}

const LOCAL = new LocalLauncher();

export function profilerChoices(): ProfilerChoice[] {
  const choice = (name: ProfilerChoice["name"], kind: ProfilerKind): ProfilerChoice => ({
    name,
    unavailable: PROFILERS[kind].preflight(),
    create: (rawFile) => PROFILERS[kind].create({ target: "server", rawFile, extraArgs: [], launcher: LOCAL }),
  });
  return [choice("strace", "strace-window"), choice("perf", "perf"), choice("bpf", "bpf"), choice("bpf counts", "bpf-counts")];
}

/**
 * A native-client run against `server` with `profiler` attached to the server's whole process tree
 * for the measured window. The profiler's span is a few milliseconds off the client's window (it
 * attaches as the warmup ends), so syscalls per response compares rates over each one's own span.
 */
async function profiledRun(ctx: BenchContext, server: RunningServer, connections: number, profiler: Profiler): Promise<ProfiledRun> {
  const load = loadOn(ctx, server, connections);
  const launchedAt = performance.now();
  const client = launchClient(ctx.scope, NATIVE_CLIENT, load);
  ctx.scope.watch(profiler, () => profiler.abort());
  try {
    // The native client's window opens after its connects (milliseconds for 100) and the warmup.
    await sleep(load.warmupS * 1000);
    await profiler.begin(processTree(server.pid));
    const tracedFrom = performance.now();
    await sleep(Math.max(0, launchedAt + (load.warmupS + load.durationS) * 1000 - tracedFrom));
    const tracedS = (performance.now() - tracedFrom) / 1000;
    // A profiler that attached late would leave part of the window untraced, and its cost would look smaller than it is.
    if (tracedS < 0.5 * load.durationS)
      throw new Error(`the profiler traced only ${tracedS.toFixed(2)} s of the ${load.durationS} s window`);
    await profiler.end();
    const counts = await profiler.result();
    const run = await client.finished;
    if (counts instanceof ProfileError) throw counts;
    return { run, syscallsPerResponse: counts.total.calls / tracedS / run.respPerS };
  } finally {
    ctx.scope.forget(profiler);
    await profiler.abort();
  }
}

const describeProfiledRun = (result: ProfiledRun) =>
  `${Math.round(result.run.respPerS)} resp/s${result.syscallsPerResponse === undefined ? "" : `, ${result.syscallsPerResponse.toFixed(2)} syscalls/resp`}`;

/** Each server untraced vs under each available profiler, taking turns, one server for all runs of a point. */
export async function measurePerturbation(ctx: BenchContext, choices: readonly ProfilerChoice[]): Promise<Perturbation> {
  const usable = choices.filter((choice) => !choice.unavailable);
  const points: PerturbationPoint[] = [];
  for (const { label, kind } of PROFILED_SERVERS) {
    for (const connections of PROFILED_CONNECTIONS) {
      const point = await withServer(ctx.scope, kind, PROFILED_SERVER_THREADS, async (server) => {
        const untracedVariant: Variant<ProfiledRun> = {
          label: "untraced",
          run: async () => ({ run: await launchClient(ctx.scope, NATIVE_CLIENT, loadOn(ctx, server, connections)).finished }),
          outcome: describeProfiledRun,
        };
        const tracedVariants = usable.map((choice): Variant<ProfiledRun> => {
          let runs = 0;
          const file = () => path.join(ctx.rawDir, `${label.split(" ")[0]}-${connections}-${choice.name.replace(" ", "-")}-${++runs}.txt`);
          return {
            label: choice.name,
            run: () => profiledRun(ctx, server, connections, choice.create(file())),
            outcome: describeProfiledRun,
          };
        });
        const [untraced, ...traced] = await alternate(ctx, `profilers, ${label} @${connections}`, [untracedVariant, ...tracedVariants]);
        return { untraced: untraced!, traced };
      });
      points.push({
        server: label,
        connections,
        untraced: point.untraced,
        profilers: choices.map((choice) => ({
          name: choice.name,
          unavailable: choice.unavailable,
          runs: point.traced[usable.indexOf(choice)] ?? [],
        })),
      });
    }
  }
  return { points };
}

/** Measured on the 2-core VM this was written on: what a run costs beyond warmup + window. */
const RUN_OVERHEAD_S = 0.8; // process start-up, exit and the settle pause
const CONNECTS_S_PER_CONNECTION = 0.001; // one round of both clients: Node's connects and drain ~0.9 ms each, native ~0.15 ms
const SERVER_START_S = 0.5;
const PROFILER_OVERHEAD_S = 0.7; // attach, detach, summary
const PROFILED_POINTS = PROFILED_SERVERS.length * PROFILED_CONNECTIONS.length;

const runs = (options: BenchOptions, section: BenchSection) => (!options.only || options.only === section ? options.runs : 0);
/** Overhead section: sweeps per round (unprofiled, perf, 4000 connections) of each variant (cold, warm, baseline), ~6 s each. */
const overheadSweeps = (options: BenchOptions, perf: boolean) => runs(options, "overhead") * (options.baseline ? 3 : 2) * (perf ? 3 : 2);
const OVERHEAD_SWEEP_S = 6;
/** Warm-client section: sweeps of sweeps/smoke.yaml --repeat 2 per round (cold, warm, perf), ~25, 30 and 50 s. */
const warmClientSweeps = (options: BenchOptions, perf: boolean) => runs(options, "warm-client") * (perf ? 3 : 2);
const WARM_CLIENT_SWEEP_S = 35;
/** Sweeps, not loads: each is one step of the progress line and is timed on its own. */
const sweeps = (options: BenchOptions, perf: boolean) => overheadSweeps(options, perf) + warmClientSweeps(options, perf);

export function plannedRuns(options: BenchOptions, profilers: number, perf: boolean): number {
  return (
    runs(options, "clients") * (2 + options.nodes.length) * options.connections.length +
    runs(options, "servers") * 2 * SERVER_BENCH_THREADS.length +
    runs(options, "profilers") * (1 + profilers) * PROFILED_POINTS +
    sweeps(options, perf)
  );
}

export function estimateSeconds(options: BenchOptions, profilers: number, perf: boolean): number {
  const measuredRuns = plannedRuns(options, profilers, perf) - sweeps(options, perf);
  const loads = measuredRuns * (options.warmupS + options.durationS + RUN_OVERHEAD_S);
  const connects =
    runs(options, "clients") *
    (1 + options.nodes.length / 2) *
    options.connections.reduce((sum, c) => sum + c * CONNECTS_S_PER_CONNECTION, 0);
  const profiling = runs(options, "profilers") * profilers * PROFILED_POINTS * PROFILER_OVERHEAD_S;
  const serverStarts = measuredRuns > 0 ? (1 + 2 * SERVER_BENCH_THREADS.length + 1) * SERVER_START_S : 0;
  const sweepS = overheadSweeps(options, perf) * OVERHEAD_SWEEP_S + warmClientSweeps(options, perf) * WARM_CLIENT_SWEEP_S;
  return loads + connects + profiling + serverStarts + sweepS;
}
