/**
 * Sweep overhead (issue 14): where a run's wall time goes outside warmup and window, measured by
 * real `tcpsweep run` sweeps of the built-in pair: unprofiled and with perf at 100 connections,
 * and 4000 connections' set-up. This build runs twice per round, with the built-in client cold
 * (`TCPSWEEP_WARM_CLIENT=0`, a fresh client per run) and warm (kept between runs, the default;
 * issue 34). With `--baseline DIR` (another tcpsweep checkout, built), its CLI takes its turn too,
 * so a cut is shown against the code before it on the same machine state.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "yaml";
import { describeExit } from "../process/child.js";
import { lastLines } from "../sweep/servers.js";
import type { BenchContext } from "./experiments.js";
import { BUILT_CLI } from "./options.js";
import { spread, type Spread } from "./stats.js";

/** Where the section starts in bench/RESULTS.md. */
export const OVERHEAD_HEADING = "## Sweep overhead";
export const OVERHEAD_CONNECTIONS = 100;
export const CONNECT_BENCH_CONNECTIONS = 4000;
/** Short windows: the figures measured are the time around them. */
const WARMUP_S = 0.5;
const DURATION_S = 1;
const CONNECT_WARMUP_S = 0.2;
const SWEEP_LIMIT_MS = 120_000;
/**
 * Runs per sweep for the unprofiled and perf figures: what a sweep repeats is what is kept between
 * its runs (a warm server), so one run per sweep would only ever show a sweep's first run.
 */
export const RUNS_PER_SWEEP = 4;

/** One pass's phases (seconds, as the raw log lists them) and its time outside warmup and window. */
export interface PassTimes {
  phases: Record<string, number>;
  overheadS: number;
}

export interface OverheadVariant {
  label: string;
  cli: string;
  /** Added to the sweep's environment (TCPSWEEP_WARM_CLIENT). */
  env: Record<string, string>;
  /** Unprofiled runs. */
  clean: PassTimes[];
  /** Profiled runs (perf, pass: separate): each run's clean and traced pass, and the row's overhead_s (both passes). */
  perfClean: PassTimes[];
  perfTraced: PassTimes[];
  perfRunOverheadS: number[];
  /** 4000 connections: "client start, connects, warmup" minus the warmup, and the client's own connect_s (when it reports one). */
  startAndConnectS: number[];
  connectS: number[];
}

export interface OverheadResults {
  variants: OverheadVariant[];
  runs: number;
  perfUnavailable?: string;
}

/** "name: 0.123 s" lines after "### phases", up to "total". */
export function parsePhases(log: string): Record<string, number> {
  const section = log.slice(log.lastIndexOf("### phases"));
  const phases: Record<string, number> = {};
  for (const [, name, seconds] of section.matchAll(/^([^:\n]+): ([\d.]+) s$/gm)) {
    if (name === "total") break;
    phases[name!] = (phases[name!] ?? 0) + Number(seconds);
  }
  return phases;
}

const total = (phases: Record<string, number>) => Object.values(phases).reduce((sum, s) => sum + s, 0);
const passTimes = (phases: Record<string, number>, warmupS: number): PassTimes => ({
  phases,
  overheadS: total(phases) - warmupS - (phases.window ?? 0),
});

/** The built-in client kept warm between runs (the default) or started cold per run: the sweep's environment. */
export const WARM_CLIENT_ENV = { warm: { TCPSWEEP_WARM_CLIENT: "1" }, cold: { TCPSWEEP_WARM_CLIENT: "0" } } as const;

export interface SweepOptions {
  /** How long the whole sweep may take. */
  limitMs?: number;
  /** Added to the environment of `tcpsweep run`. */
  env?: Record<string, string>;
  /** More arguments of `tcpsweep run` after the spec (e.g. `--repeat 2`). */
  args?: readonly string[];
}

/** Runs one sweep of `spec` with `cli` in a fresh directory; returns its CSV rows' raw logs (clean and traced). */
export async function sweep(
  ctx: BenchContext,
  cli: string,
  name: string,
  spec: Record<string, unknown>,
  { limitMs = SWEEP_LIMIT_MS, env = {}, args = [] }: SweepOptions = {},
): Promise<{ logs: Map<string, string>; overheadS: number[]; dir: string; rows: Record<string, string>[] }> {
  const dir = path.join(ctx.rawDir, "overhead", `${name}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "spec.yaml"), stringify({ name, output: { csv: "out.csv" }, server: { builtin: true }, ...spec }));
  const child = ctx.scope.spawn([process.execPath, cli, "run", "spec.yaml", ...args], { cwd: dir, env });
  let limit: ReturnType<typeof setTimeout> | undefined;
  const exit = await Promise.race([
    child.exited,
    new Promise<undefined>((resolve) => {
      limit = setTimeout(() => resolve(undefined), limitMs);
    }),
  ]);
  clearTimeout(limit); // a pending limit would keep the benchmark alive after its last sweep
  await ctx.scope.stop(child);
  // Exit 1 is a run with a not-ok row (e.g. 4000 connections degraded on a busy machine): its phases still count.
  if (!exit || (exit.exitCode !== 0 && exit.exitCode !== 1)) {
    throw new Error(
      `tcpsweep run (${name}, ${cli}) ${exit ? describeExit(exit) : `did not finish in ${limitMs / 1000} s`}${lastLines(child.stderr())}`,
    );
  }
  const rows = parse<Record<string, string>>(readFileSync(path.join(dir, "out.csv"), "utf8"), { columns: true, skip_empty_lines: true });
  const overheadS = rows.map((row) => Number(row.overhead_s));
  const rawDir = path.join(dir, "out.raw");
  const logs = new Map<string, string>();
  for (const file of readdirSync(rawDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".log")))
    logs.set(file, readFileSync(path.join(rawDir, file), "utf8"));
  return { logs, overheadS, dir, rows };
}

async function measureVariant(ctx: BenchContext, variant: OverheadVariant, withPerf: boolean): Promise<void> {
  const common = {
    duration: `${DURATION_S}s`,
    warmup: `${WARMUP_S}s`,
    repeat: RUNS_PER_SWEEP,
    matrix: { connections: [OVERHEAD_CONNECTIONS], threads: [1] },
  };
  const label = (what: string) => `overhead: ${variant.label} ${what}`;

  ctx.progress.cellStarted(label("unprofiled"));
  const clean = await sweep(ctx, variant.cli, "clean", common, { env: variant.env });
  for (const log of clean.logs.values()) variant.clean.push(passTimes(parsePhases(log), WARMUP_S));
  ctx.progress.cellFinished(label("unprofiled"), `overhead_s ${clean.overheadS.join(", ")}`);

  if (withPerf) {
    ctx.progress.cellStarted(label("perf"));
    const perf = await sweep(ctx, variant.cli, "perf", { ...common, profile: { perf: {} } }, { env: variant.env });
    for (const [file, log] of perf.logs)
      (file.endsWith(".traced.log") ? variant.perfTraced : variant.perfClean).push(passTimes(parsePhases(log), WARMUP_S));
    variant.perfRunOverheadS.push(...perf.overheadS);
    ctx.progress.cellFinished(label("perf"), `overhead_s ${perf.overheadS.join(", ")}`);
  }

  ctx.progress.cellStarted(label(`${CONNECT_BENCH_CONNECTIONS} connections`));
  const many = await sweep(
    ctx,
    variant.cli,
    "connect",
    { duration: "1s", warmup: `${CONNECT_WARMUP_S}s`, matrix: { connections: [CONNECT_BENCH_CONNECTIONS], threads: [2] } },
    { env: variant.env },
  );
  for (const log of many.logs.values()) {
    variant.startAndConnectS.push((parsePhases(log)["client start, connects, warmup"] ?? NaN) - CONNECT_WARMUP_S);
    const connectS = /"connect_s":([\d.]+)/.exec(log)?.[1];
    if (connectS !== undefined) variant.connectS.push(Number(connectS));
  }
  ctx.progress.cellFinished(
    label(`${CONNECT_BENCH_CONNECTIONS} connections`),
    `start + connects ${variant.startAndConnectS.at(-1)?.toFixed(3)} s`,
  );
}

/**
 * The variants in the order they take turns: the baseline (when given), this build with a cold
 * client, this build with a warm one (the default, last: the goals judge it).
 */
export function overheadVariants(baseline: string | undefined): OverheadVariant[] {
  const build = baseline ? "after" : "this build";
  return [
    ...(baseline ? [{ label: "before", cli: path.join(path.resolve(baseline), "dist/cli/main.js"), env: WARM_CLIENT_ENV.warm }] : []),
    { label: `${build}, cold client`, cli: BUILT_CLI, env: WARM_CLIENT_ENV.cold },
    { label: `${build}, warm client`, cli: BUILT_CLI, env: WARM_CLIENT_ENV.warm },
  ].map((v) => ({ ...v, clean: [], perfClean: [], perfTraced: [], perfRunOverheadS: [], startAndConnectS: [], connectS: [] }));
}

/** Every variant (see overheadVariants) once per round, for --runs rounds, taking turns. */
export async function measureOverhead(ctx: BenchContext, perfUnavailable: string | undefined): Promise<OverheadResults> {
  const variants = overheadVariants(ctx.options.baseline);
  for (let round = 1; round <= ctx.options.runs; round++) {
    for (const variant of variants) {
      try {
        await measureVariant(ctx, variant, !perfUnavailable);
      } catch (error) {
        ctx.failures.push(`overhead: ${variant.label} #${round}: ${(error as Error).message}`);
      }
    }
  }
  return { variants, runs: ctx.options.runs, ...(perfUnavailable ? { perfUnavailable } : {}) };
}

/** Median of one phase over passes (0 for a pass that lacks it), or of their overhead (phase "overhead"). */
export function phaseSpread(passes: readonly PassTimes[], phase: string): Spread | undefined {
  return spread(passes.map((pass) => (phase === "overhead" ? pass.overheadS : (pass.phases[phase] ?? 0))));
}
