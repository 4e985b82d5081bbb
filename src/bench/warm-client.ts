/**
 * Per-run overhead, cold vs warm client (issue 34), the issue's own figure: `sweeps/smoke.yaml
 * --repeat 2` with the built-in client cold (`TCPSWEEP_WARM_CLIENT=0`, a fresh client per run),
 * warm (kept between runs, the default) and warm with `profile: {perf: {}}`, one sweep each per
 * round, taking turns, for --runs rounds. A run's time outside warmup and window is the gap between
 * consecutive rows' `started_at` minus the warmup, window and cooldown the spec gives them (twice
 * warmup and window for a profiled row: a clean and a traced pass). Written into its own marked
 * block of bench/RESULTS.md.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { loadSpec } from "../sweep/spec.js";
import type { BenchContext } from "./experiments.js";
import { provenanceLines, type Provenance } from "./marked-section.js";
import { BUILT_CLI, REPO_ROOT } from "./options.js";
import { WARM_CLIENT_ENV, sweep } from "./overhead.js";
import { spread, type Spread } from "./stats.js";
import { spreadCell, table } from "./tables.js";

export const WARM_CLIENT_START = "<!-- warm-client: written by npm run bench (or -- --only warm-client) -->";
export const WARM_CLIENT_END = "<!-- /warm-client -->";
export const WARM_CLIENT_HEADING = "## Per-run overhead: warm vs cold client";
/** The repository's own spec, as the issue measured it. */
export const WARM_CLIENT_SPEC = path.join(REPO_ROOT, "sweeps", "smoke.yaml");
export const WARM_CLIENT_REPEAT = 2;
/** Goals (issue 34) for the warm client's median: unprofiled and perf-profiled. */
export const WARM_GOAL_S = 0.3;
export const WARM_PERF_GOAL_S = 0.5;
/** A sweep may take this long per run beyond the time the spec gives the run. */
const SLACK_PER_RUN_S = 20;

/** What the spec has each run spend besides its overhead. */
export interface SpecTimes {
  warmupS: number;
  durationS: number;
  cooldownS: number;
}

export interface WarmClientVariant {
  label: string;
  env: Record<string, string>;
  /** perf-profiled: each row has a clean and a traced pass. */
  profiled: boolean;
  goalS?: number;
  /** Per sweep, its gaps (seconds outside warmup and window), in row order. */
  gapsS: number[][];
  /** The rows' `overhead_s` column. */
  overheadS: number[];
}

export interface WarmClientResults {
  spec: string;
  times: SpecTimes;
  cells: number;
  repeat: number;
  rounds: number;
  variants: WarmClientVariant[];
  perfUnavailable?: string;
}

export interface WarmClientRun extends Provenance {
  results: WarmClientResults;
  failures: string[];
}

/**
 * Seconds each run spent outside its warmup and window: the gap from one row's `started_at` to
 * the next one's (rows in start order), minus `passes` × (warmup + window) and the cooldown the
 * runner waits before the next run. A sweep of n rows gives n − 1 gaps; the last run's own end is
 * not in the CSV.
 */
export function runGaps(rows: readonly Record<string, string>[], times: SpecTimes, passes: number): number[] {
  const starts = rows
    .map((row) => Date.parse(row.started_at ?? ""))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const spent = passes * (times.warmupS + times.durationS) + times.cooldownS;
  return starts.slice(1).map((start, i) => (start - starts[i]!) / 1000 - spent);
}

export function warmClientVariants(perfUnavailable: string | undefined): WarmClientVariant[] {
  const variant = (label: string, env: Record<string, string>, profiled: boolean, goalS?: number): WarmClientVariant => ({
    label,
    env,
    profiled,
    ...(goalS === undefined ? {} : { goalS }),
    gapsS: [],
    overheadS: [],
  });
  return [
    variant("cold client", WARM_CLIENT_ENV.cold, false),
    variant("warm client", WARM_CLIENT_ENV.warm, false, WARM_GOAL_S),
    ...(perfUnavailable ? [] : [variant("warm client, perf-profiled", WARM_CLIENT_ENV.warm, true, WARM_PERF_GOAL_S)]),
  ];
}

/** The spec as written (its own output dropped: the bench's sweep writes out.csv), its times, and its cell count. */
async function readSpec(file: string): Promise<{ raw: Record<string, unknown>; times: SpecTimes; cells: number }> {
  const spec = await loadSpec(file);
  const raw = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  delete raw.output;
  const cells = Object.values(spec.matrix.values).reduce((product, values) => product * values.length, 1);
  return { raw, times: { warmupS: spec.warmupS, durationS: spec.durationS, cooldownS: spec.cooldownS }, cells };
}

async function measureVariant(
  ctx: BenchContext,
  variant: WarmClientVariant,
  spec: Awaited<ReturnType<typeof readSpec>>,
  round: number,
): Promise<void> {
  const label = `warm-client: ${variant.label} #${round}`;
  ctx.progress.cellStarted(label);
  const passes = variant.profiled ? 2 : 1;
  const runs = spec.cells * WARM_CLIENT_REPEAT;
  const perRunS = passes * (spec.times.warmupS + spec.times.durationS) + spec.times.cooldownS + SLACK_PER_RUN_S;
  try {
    const run = await sweep(
      ctx,
      BUILT_CLI,
      `warm-client-${variant.env.TCPSWEEP_WARM_CLIENT}${variant.profiled ? "-perf" : ""}`,
      {
        ...spec.raw,
        ...(variant.profiled ? { profile: { perf: {} } } : {}),
      },
      { env: variant.env, args: ["--repeat", String(WARM_CLIENT_REPEAT)], limitMs: Math.max(120, runs * perRunS) * 1000 },
    );
    const gaps = runGaps(run.rows, spec.times, passes);
    variant.gapsS.push(gaps);
    variant.overheadS.push(...run.overheadS.filter(Number.isFinite));
    ctx.progress.cellFinished(label, `median outside warmup and window ${spread(gaps)?.median.toFixed(3) ?? "—"} s`);
  } catch (error) {
    ctx.failures.push(`${label}: ${(error as Error).message}`);
    ctx.progress.cellFinished(label, "FAILED");
  }
}

/** Every variant one sweep per round, for --runs rounds, taking turns. */
export async function measureWarmClient(ctx: BenchContext, perfUnavailable: string | undefined): Promise<WarmClientResults> {
  const spec = await readSpec(WARM_CLIENT_SPEC);
  const variants = warmClientVariants(perfUnavailable);
  for (let round = 1; round <= ctx.options.runs; round++) for (const variant of variants) await measureVariant(ctx, variant, spec, round);
  return {
    spec: path.relative(REPO_ROOT, WARM_CLIENT_SPEC),
    times: spec.times,
    cells: spec.cells,
    repeat: WARM_CLIENT_REPEAT,
    rounds: ctx.options.runs,
    variants,
    ...(perfUnavailable ? { perfUnavailable } : {}),
  };
}

const seconds = (s: Spread | undefined) => spreadCell(s, 3);

function goalCell(goalS: number | undefined, measured: Spread | undefined): string {
  if (goalS === undefined) return "—";
  const status = measured === undefined ? "not measured" : measured.median <= goalS ? "met" : "**not met**";
  return `≤ ${goalS.toFixed(3)} s: ${status}`;
}

/** One row per variant: gaps, their median (min–max), the rows' overhead_s, the goal beside it, every gap. */
export function warmClientTable(variants: readonly WarmClientVariant[]): string {
  return table(
    ["client", "gaps", "median s outside warmup and window (min–max)", "overhead_s column (min–max)", "goal (median)", "gaps per sweep, s"],
    variants.map((v) => {
      const gaps = spread(v.gapsS.flat());
      return [
        v.label,
        String(v.gapsS.flat().length),
        seconds(gaps),
        seconds(spread(v.overheadS)),
        goalCell(v.goalS, gaps),
        v.gapsS.map((sweepGaps) => sweepGaps.map((g) => g.toFixed(2)).join(", ")).join("; ") || "—",
      ];
    }),
  );
}

export function renderWarmClient(run: WarmClientRun): string {
  const { results } = run;
  const { times } = results;
  const [cold, warm] = results.variants;
  const median = (v: WarmClientVariant | undefined) => (v ? spread(v.gapsS.flat())?.median : undefined);
  const saved = median(cold) !== undefined && median(warm) !== undefined ? median(cold)! - median(warm)! : undefined;
  return [
    WARM_CLIENT_START,
    `${WARM_CLIENT_HEADING} (\`${results.spec} --repeat ${results.repeat}\`)`,
    "",
    ...provenanceLines(run),
    `- Each round runs \`tcpsweep run ${results.spec} --repeat ${results.repeat}\` (${results.cells} cells × ${results.repeat} = ${results.cells * results.repeat} runs a sweep) once per variant, taking turns, ${results.rounds} round(s): cold = \`TCPSWEEP_WARM_CLIENT=0\` (a fresh built-in client per run), warm = \`TCPSWEEP_WARM_CLIENT=1\` (one client kept between runs, the default), and warm with \`profile: {perf: {}}\`.`,
    `- Outside warmup and window = consecutive rows' \`started_at\` minus the spec's warmup ${times.warmupS} s + window ${times.durationS} s${times.cooldownS > 0 ? ` + cooldown ${times.cooldownS} s` : ""}; for a perf-profiled row twice warmup and window (a clean and a traced pass). A gap holds what a user's sweep pays between windows, server starts included (a new server for each threads value). \`overhead_s\` is the rows' own column (all runs, the last included). Cells: median (min–max).`,
    "",
    results.variants.length > 0 ? warmClientTable(results.variants) : "Not measured.",
    "",
    ...(saved === undefined ? [] : [`The warm client saves ${saved.toFixed(3)} s a run (median gap, cold − warm).`]),
    ...(results.perfUnavailable ? [`The perf-profiled variant was left out: ${results.perfUnavailable}.`] : []),
    ...(run.failures.length > 0 ? ["", "Failures:", ...run.failures.map((f) => `- ${f.replaceAll("\n", " ")}`)] : []),
    WARM_CLIENT_END,
  ].join("\n");
}
