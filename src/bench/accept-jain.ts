/**
 * Jain per cell by accept strategy (issue 34): the cells of sweeps/full.yaml (its matrix,
 * connections × threads, read from the file) for every accept strategy of the built-in server that
 * this Node offers, in one `tcpsweep run` sweep with `accept` as a matrix key, so the strategies
 * take turns within each repeat. The window is the bench's `--duration` (3 s by default, the
 * file's 10 s would take an hour), the repeats its `--runs`. Per cell and strategy: the lowest
 * `fairness_jain` of the runs, their statuses, the median resp/s. Written into its own marked block.
 */
import path from "node:path";
import { UNEVEN_JAIN_THRESHOLD, median } from "../output/stats.js";
import { ACCEPT_STRATEGY_NAMES, hasReusePort, type AcceptStrategyName } from "../server/accept/strategy.js";
import { loadSpec } from "../sweep/spec.js";
import type { BenchContext } from "./experiments.js";
import { provenanceLines, type Provenance } from "./marked-section.js";
import { BUILT_CLI, REPO_ROOT } from "./options.js";
import { sweep } from "./overhead.js";
import { table } from "./tables.js";

export const ACCEPT_START = "<!-- accept: written by npm run bench -- --only accept -->";
export const ACCEPT_END = "<!-- /accept -->";
export const ACCEPT_HEADING = "## Jain per cell by accept strategy";
export const ACCEPT_SPEC = path.join(REPO_ROOT, "sweeps", "full.yaml");
/** A sweep may take this long per run beyond warmup, window and cooldown (16 server workers starting). */
const SLACK_PER_RUN_S = 15;

export interface Cell {
  connections: number;
  threads: number;
}

/** The strategies to compare on `nodeVersion`, in this order (reuse-port only where listen() has reusePort). */
export function availableStrategies(nodeVersion = process.version): AcceptStrategyName[] {
  const order: AcceptStrategyName[] = ["shared-descriptors", "balanced", "reuse-port"];
  return order.filter((name) => ACCEPT_STRATEGY_NAMES.includes(name) && (name !== "reuse-port" || hasReusePort(nodeVersion)));
}

export interface StrategyFigures {
  runs: number;
  /** Lowest fairness_jain of the runs that have one. */
  lowestJain?: number;
  /** Each status once, in the order the runs gave them. */
  statuses: string[];
  medianRespPerS?: number;
}

export interface JainRow extends Cell {
  byStrategy: Record<string, StrategyFigures>;
}

const numbers = (values: readonly (string | undefined)[]) =>
  values
    .filter((v) => v !== undefined && v.trim() !== "")
    .map(Number)
    .filter(Number.isFinite);

/** Per cell (in the order given) and strategy, from the sweep's CSV rows (columns connections, threads, accept). */
export function jainTable(rows: readonly Record<string, string>[], cells: readonly Cell[], strategies: readonly string[]): JainRow[] {
  return cells.map((cell) => {
    const byStrategy: Record<string, StrategyFigures> = {};
    for (const strategy of strategies) {
      const runs = rows.filter(
        (row) => Number(row.connections) === cell.connections && Number(row.threads) === cell.threads && row.accept === strategy,
      );
      const jains = numbers(runs.map((row) => row.fairness_jain));
      const rates = numbers(runs.map((row) => row.resp_per_s));
      byStrategy[strategy] = {
        runs: runs.length,
        ...(jains.length > 0 ? { lowestJain: Math.min(...jains) } : {}),
        statuses: [...new Set(runs.map((row) => row.status ?? "?"))],
        ...(rates.length > 0 ? { medianRespPerS: median(rates) } : {}),
      };
    }
    return { connections: cell.connections, threads: cell.threads, byStrategy };
  });
}

const cellName = (cell: Cell) => `${cell.connections} × ${cell.threads}`;

/** "Cells with a lowest Jain below 0.9: 100 × 4 (shared-descriptors 0.783, balanced 0.820); …", or that there are none. */
export function unevenLine(jain: readonly JainRow[], strategies: readonly string[], below = UNEVEN_JAIN_THRESHOLD): string {
  const uneven = jain.flatMap((row) => {
    const low = strategies.flatMap((s) => {
      const lowest = row.byStrategy[s]?.lowestJain;
      return lowest !== undefined && lowest < below ? [`${s} ${lowest.toFixed(3)}`] : [];
    });
    return low.length > 0 ? [`${cellName(row)} (${low.join(", ")})`] : [];
  });
  return uneven.length > 0
    ? `Cells with a lowest Jain below ${below}: ${uneven.join("; ")}.`
    : `No cell has a lowest Jain below ${below} under any strategy.`;
}

function figuresCell(figures: StrategyFigures | undefined): string {
  if (!figures || figures.runs === 0) return "n/a (no row)";
  return `${figures.lowestJain === undefined ? "n/a" : figures.lowestJain.toFixed(3)} (${figures.statuses.join(",")})`;
}

export function acceptTable(jain: readonly JainRow[], strategies: readonly string[], runs: number): string {
  return table(
    [
      "connections × threads",
      ...strategies.map((s) => `${s}: lowest Jain of ${runs} (status)`),
      ...strategies.map((s) => `${s} resp/s median`),
    ],
    jain.map((row) => [
      cellName(row),
      ...strategies.map((s) => figuresCell(row.byStrategy[s])),
      ...strategies.map((s) => {
        const rate = row.byStrategy[s]?.medianRespPerS;
        return rate === undefined ? "n/a" : String(Math.round(rate));
      }),
    ]),
  );
}

export interface AcceptResults {
  spec: string;
  cells: Cell[];
  /** The cells came from `--accept-cells` rather than the spec's matrix. */
  cellsOverridden: boolean;
  strategies: string[];
  warmupS: number;
  durationS: number;
  specDurationS: number;
  cooldownS: number;
  repeat: number;
  jain: JainRow[];
}

export interface AcceptRun extends Provenance {
  results?: AcceptResults;
  failures: string[];
}

const cartesian = (connections: readonly number[], threads: readonly number[]): Cell[] =>
  connections.flatMap((c) => threads.map((t) => ({ connections: c, threads: t })));

/** The section's plan: the spec's cells (or `--accept-cells`), strategies, times. */
export async function planAccept(ctx: Pick<BenchContext, "options">): Promise<Omit<AcceptResults, "jain">> {
  const spec = await loadSpec(ACCEPT_SPEC);
  const values = (key: string) => (spec.matrix.values[key] ?? []).map(Number);
  const override = ctx.options.acceptCells;
  return {
    spec: path.relative(REPO_ROOT, ACCEPT_SPEC),
    cells: override ? cartesian(override.connections, override.threads) : cartesian(values("connections"), values("threads")),
    cellsOverridden: override !== undefined,
    strategies: availableStrategies(),
    warmupS: spec.warmupS,
    durationS: ctx.options.durationS,
    specDurationS: spec.durationS,
    cooldownS: spec.cooldownS,
    repeat: ctx.options.runs,
  };
}

/** Runs the planned sweep (one, every strategy a matrix value) and tabulates its rows. */
export async function measureAccept(ctx: BenchContext, plan: Omit<AcceptResults, "jain">): Promise<AcceptResults> {
  const unique = (key: keyof Cell) => [...new Set(plan.cells.map((cell) => cell[key]))];
  const runs = plan.cells.length * plan.strategies.length * plan.repeat;
  const label = `accept: ${plan.cells.length} cells × ${plan.strategies.join(", ")} × ${plan.repeat}`;
  ctx.progress.cellStarted(label);
  const run = await sweep(
    ctx,
    BUILT_CLI,
    "accept",
    {
      duration: `${plan.durationS}s`,
      warmup: `${plan.warmupS}s`,
      cooldown: `${plan.cooldownS}s`,
      repeat: plan.repeat,
      matrix: { connections: unique("connections"), threads: unique("threads"), accept: plan.strategies },
    },
    { limitMs: (120 + runs * (plan.warmupS + plan.durationS + plan.cooldownS + SLACK_PER_RUN_S)) * 1000 },
  );
  const jain = jainTable(run.rows, plan.cells, plan.strategies);
  ctx.progress.cellFinished(label, `${run.rows.length} rows`);
  return { ...plan, jain };
}

/** Expected seconds of the sweep: each run's warmup, window and cooldown plus about 2 s of its own. */
export const acceptExpectedS = (plan: Omit<AcceptResults, "jain">) =>
  plan.cells.length * plan.strategies.length * plan.repeat * (plan.warmupS + plan.durationS + plan.cooldownS + 2);

export function renderAccept(run: AcceptRun): string {
  const r = run.results;
  const body = r
    ? [
        `- One \`tcpsweep run\` of the built-in pair: ${r.cellsOverridden ? "the cells given by `--accept-cells` (connections × threads) instead of" : "the cells (connections × threads) of"} \`${r.spec}\` with \`accept: [${r.strategies.join(", ")}]\` as a matrix key (every strategy this Node offers), \`--repeat ${r.repeat}\`: within each repeat the strategies take turns. Jain's index is the CSV's \`fairness_jain\` (per-connection responses; 1 = even); resp/s the median of the runs' \`resp_per_s\`.`,
        "",
        `### Lowest Jain of ${r.repeat} runs per cell and strategy (${r.warmupS} s warmup, ${r.durationS} s windows: shortened from the spec's ${r.specDurationS} s by the bench's \`--duration\`; cooldown ${r.cooldownS} s)`,
        "",
        acceptTable(r.jain, r.strategies, r.repeat),
        "",
        unevenLine(r.jain, r.strategies),
      ]
    : ["Not measured (see Failures)."];
  return [
    ACCEPT_START,
    `${ACCEPT_HEADING}: \`npm run bench -- --only accept\``,
    "",
    ...provenanceLines(run),
    ...body,
    ...(run.failures.length > 0 ? ["", "Failures:", ...run.failures.map((f) => `- ${f.replaceAll("\n", " ")}`)] : []),
    ACCEPT_END,
  ].join("\n");
}
