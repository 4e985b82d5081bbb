/**
 * The sections that write their own marked block of bench/RESULTS.md and need none of the native
 * tools: `--only scale`, `--only accept` and `--only warm-client` (which a full run also runs,
 * see main.ts). Each leaves the rest of the file as it was.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { Progress } from "../output/progress.js";
import { readOpenFileLimit } from "../process/limits.js";
import { ACCEPT_END, ACCEPT_START, acceptExpectedS, measureAccept, planAccept, renderAccept, type AcceptRun } from "./accept-jain.js";
import type { BenchContext } from "./experiments.js";
import { profilerChoices } from "./experiments.js";
import { describeMachine, type Machine } from "./machine.js";
import { spliceMarked } from "./marked-section.js";
import { REPO_ROOT, type BenchOptions } from "./options.js";
import { SetupError, type ProcessScope } from "./processes.js";
import { SCALE_ACCEPT, measureScale, renderScale, spliceScale, type ScaleRun } from "./scale.js";
import { WARM_CLIENT_END, WARM_CLIENT_START, measureWarmClient, renderWarmClient, type WarmClientRun } from "./warm-client.js";

export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Client and server of a run each hold one socket per connection under the limit they inherit
 * from here; twice the connections plus headroom gives the 9000 the default 4000 connections need.
 */
export function checkOpenFileLimit(connections: number): void {
  const needed = 2 * connections + 1000;
  const { soft, hard } = readOpenFileLimit();
  if (soft >= needed) return;
  const howToRaise =
    hard >= needed
      ? `raise it in this shell with \`ulimit -n ${needed}\` (the hard limit is ${hard}) and run again`
      : `the hard limit is ${hard}: raise it as root (\`ulimit -Hn ${needed}\`, or nofile in /etc/security/limits.conf), then \`ulimit -n ${needed}\``;
  throw new SetupError(`ulimit -n is ${soft} but ${connections} connections need at least ${needed}; ${howToRaise}`);
}

export const commandLine = () => ["node", "dist/bench/main.js", ...process.argv.slice(2)].join(" ");

/** bench/out/<start time>/, created. */
export function rawDirFor(startedAt: Date): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const dir = path.join(REPO_ROOT, "bench", "out", stamp);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function warnIfBusy(machine: Machine, what: string): void {
  if (machine.loadAtStart >= 1)
    process.stderr.write(`warning: load average is ${machine.loadAtStart.toFixed(2)}: something else is using the machine, ${what}\n`);
}

function newContext(options: BenchOptions, scope: ProcessScope, startedAt: Date, steps: number, stepS: number): BenchContext {
  return { options, scope, progress: new Progress(steps, stepS), rawDir: rawDirFor(startedAt), failures: [], clientNodes: [] };
}

/** What every on-request block says of its run besides its results: when, the command, the machine, its load at the end, and what failed. */
function runFacts(ctx: BenchContext, machine: Machine, startedAt: Date) {
  return { startedAt: startedAt.toISOString(), commandLine: commandLine(), machine, loadAtEnd: loadavg()[0] ?? 0, failures: ctx.failures };
}

/** The run's figures as JSON beside its raw outputs. */
function saveRun(ctx: BenchContext, name: string, run: unknown): void {
  writeFileSync(path.join(ctx.rawDir, `${name}.json`), `${JSON.stringify(run, null, 2)}\n`);
}

/** Splices `block` between its markers into the results file and prints it. */
function writeBlock(options: BenchOptions, start: string, end: string, block: string): void {
  writeFileSync(options.resultsFile, spliceMarked(readIfExists(options.resultsFile), start, end, block));
  process.stdout.write(`${block}\n`);
}

/** `--only scale`: its own marked block of RESULTS.md (scale.ts). */
export async function runScaleOnly(options: BenchOptions, scope: ProcessScope, startedAt: Date): Promise<number> {
  const machine = describeMachine();
  const counts = options.scaleConnections;
  process.stderr.write(
    `scale: ${counts.join(", ")} connections, one \`tcpsweep run\` cell each per accept strategy (${SCALE_ACCEPT.join(", ")})\n`,
  );
  warnIfBusy(machine, "expect slower connects");
  const ctx = newContext(options, scope, startedAt, counts.length * SCALE_ACCEPT.length, 60);
  const rows = await measureScale(ctx, counts);
  const run: ScaleRun = { rows, openFileLimit: readOpenFileLimit().soft, ...runFacts(ctx, machine, startedAt) };
  saveRun(ctx, "scale", run);
  const block = renderScale(run);
  writeFileSync(options.resultsFile, spliceScale(readIfExists(options.resultsFile), block));
  process.stdout.write(`${block}\n`);
  return ctx.failures.length > 0 || rows.some((row) => row.status !== "ok") ? 1 : 0;
}

/** `--only accept`: Jain per cell by accept strategy (accept-jain.ts). */
export async function runAcceptOnly(options: BenchOptions, scope: ProcessScope, startedAt: Date): Promise<number> {
  const machine = describeMachine();
  const plan = await planAccept({ options });
  const runs = plan.cells.length * plan.strategies.length * plan.repeat;
  process.stderr.write(
    `accept: ${plan.cells.length} cells × ${plan.strategies.join(", ")} × ${plan.repeat} = ${runs} runs of ${plan.warmupS} s warmup + ${plan.durationS} s window in one sweep; expected to take about ${Math.ceil(acceptExpectedS(plan) / 60)} min\n`,
  );
  warnIfBusy(machine, "expect noisy numbers");
  const ctx = newContext(options, scope, startedAt, 1, acceptExpectedS(plan));
  let results: AcceptRun["results"];
  try {
    results = await measureAccept(ctx, plan);
  } catch (error) {
    ctx.failures.push(`accept: ${(error as Error).message}`);
  }
  const run: AcceptRun = { results, ...runFacts(ctx, machine, startedAt) };
  saveRun(ctx, "accept", run);
  writeBlock(options, ACCEPT_START, ACCEPT_END, renderAccept(run));
  return ctx.failures.length > 0 ? 1 : 0;
}

/** The warm-client block of a run that measured it (`--only warm-client`, or a full run: main.ts). */
export function writeWarmClient(options: BenchOptions, run: WarmClientRun): void {
  writeBlock(options, WARM_CLIENT_START, WARM_CLIENT_END, renderWarmClient(run));
}

/** `--only warm-client`: per-run overhead, cold vs warm client (warm-client.ts). */
export async function runWarmClientOnly(options: BenchOptions, scope: ProcessScope, startedAt: Date): Promise<number> {
  const machine = describeMachine();
  const perfUnavailable = profilerChoices().find((p) => p.name === "perf")?.unavailable;
  const sweeps = options.runs * (perfUnavailable ? 2 : 3);
  process.stderr.write(`warm-client: ${sweeps} sweeps of sweeps/smoke.yaml --repeat 2, about ${Math.ceil((sweeps * 35) / 60)} min\n`);
  warnIfBusy(machine, "expect noisy numbers");
  const ctx = newContext(options, scope, startedAt, sweeps, 35);
  const results = await measureWarmClient(ctx, perfUnavailable);
  const run: WarmClientRun = { results, ...runFacts(ctx, machine, startedAt) };
  saveRun(ctx, "warm-client", run);
  writeWarmClient(options, run);
  return ctx.failures.length > 0 ? 1 : 0;
}
