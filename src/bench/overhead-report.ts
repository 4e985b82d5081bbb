/** bench/RESULTS.md, the sweep-overhead section: per-phase medians per variant (before/after), and its goals. */
import {
  CONNECT_BENCH_CONNECTIONS,
  OVERHEAD_CONNECTIONS,
  RUNS_PER_SWEEP,
  OVERHEAD_HEADING,
  phaseSpread,
  type OverheadResults,
  type OverheadVariant,
  type PassTimes,
} from "./overhead.js";
import type { BenchResults } from "./results.js";
import { goalsTable, spreadCell, table, type Goal } from "./tables.js";
import { ratioOfMedians, spread, type Spread } from "./stats.js";

/** Phases in the order a run goes through them (a phase missing from a pass counts 0 s). */
function phaseNames(passes: readonly PassTimes[]): string[] {
  const names: string[] = [];
  for (const pass of passes) for (const name of Object.keys(pass.phases)) if (!names.includes(name)) names.push(name);
  return names;
}

const seconds = (s: Spread | undefined) => spreadCell(s, 3);

/** "B/A" (ratio of medians) of every later variant to the first: warm/cold, or each to the baseline ("before"). */
const ratioHeads = (variants: readonly OverheadVariant[]) => variants.slice(1).map((v) => `${v.label} ÷ ${variants[0]!.label}`);
function ratioCells(variants: readonly OverheadVariant[], of: (v: OverheadVariant) => Spread | undefined): string[] {
  return variants.slice(1).map((v) => {
    const ratio = ratioOfMedians(of(v), of(variants[0]!));
    return ratio === undefined || !Number.isFinite(ratio) ? "—" : `${ratio.toFixed(2)}×`;
  });
}

/** One row per phase plus the overhead, one column per variant, and each later variant ÷ the first. */
function phaseTable(
  variants: readonly OverheadVariant[],
  passesOf: (v: OverheadVariant) => PassTimes[],
  extra: [string, (v: OverheadVariant) => number[]][] = [],
): string {
  const names = phaseNames(variants.flatMap(passesOf));
  const rows: [string, (v: OverheadVariant) => Spread | undefined][] = [
    ...names.map((name): [string, (v: OverheadVariant) => Spread | undefined] => [name, (v) => phaseSpread(passesOf(v), name)]),
    ["**outside warmup and window**", (v) => phaseSpread(passesOf(v), "overhead")],
    ...extra.map(([label, values]): [string, (v: OverheadVariant) => Spread | undefined] => [label, (v) => spread(values(v))]),
  ];
  return table(
    ["phase (s)", ...variants.map((v) => `${v.label} (${passesOf(v).length} passes)`), ...ratioHeads(variants)],
    rows.map(([label, of]) => [label, ...variants.map((v) => seconds(of(v))), ...ratioCells(variants, of)]),
  );
}

/** The variant the goals judge: this build ("after" with a baseline) with the warm client, the default. */
const current = (overhead: OverheadResults) => overhead.variants.at(-1)!;

export function overheadGoals(overhead: OverheadResults): Goal[] {
  const v = current(overhead);
  return [
    {
      goal: `median overhead per run, built-in pair, ${OVERHEAD_CONNECTIONS} connections, no profiling`,
      ratio: phaseSpread(v.clean, "overhead")?.median,
      bound: { atMost: 0.3 },
      unit: "s",
    },
    {
      goal: `median overhead of the perf pass (its server start and stop, attach, detach), ${OVERHEAD_CONNECTIONS} connections`,
      ratio: phaseSpread(v.perfTraced, "overhead")?.median,
      bound: { atMost: 1.0 },
      unit: "s",
    },
    {
      goal: `connection set-up, ${CONNECT_BENCH_CONNECTIONS} connections (client connect_s)`,
      ratio: spread(v.connectS)?.median,
      bound: { atMost: 1.0 },
      unit: "s",
    },
  ];
}

export function overheadSection(results: BenchResults): string {
  const overhead = results.overhead;
  if (!overhead) return `${OVERHEAD_HEADING}\n\nNot measured (see Failures, or run \`npm run bench -- --only overhead\`).`;
  const { variants } = overhead;
  const names = variants.map((v) => `${v.label}: \`${v.cli}\`, TCPSWEEP_WARM_CLIENT=${v.env.TCPSWEEP_WARM_CLIENT}`).join("; ");
  return [
    OVERHEAD_HEADING,
    "",
    `- Measured ${results.startedAt} with \`${results.commandLine}\`, load average ${results.machine.loadAtStart.toFixed(2)} at start, ${results.machine.cores} cores.`,
    `- Each round runs real \`tcpsweep run\` sweeps of the built-in pair with each variant in turn (${names}; cold = a fresh built-in client per run, warm = one kept between the runs of a sweep), ${overhead.runs} round(s): unprofiled (one sweep of ${RUNS_PER_SWEEP} runs: ${OVERHEAD_CONNECTIONS} connections, server threads 1, 0.5 s warmup + 1 s window; a sweep's first run starts the server, a warm server serves the others), the same with \`profile: {perf: {}}\` (clean and traced pass), and ${CONNECT_BENCH_CONNECTIONS} connections (server threads 2).`,
    "- Phases come from each pass's raw log (`### phases`); \"outside warmup and window\" is the pass's total minus the nominal warmup and the measured window (the `overhead_s` column of an unprofiled run). Cells: median (min–max); the last columns are ratios of the medians to the first variant's.",
    "",
    `### Unprofiled run, ${OVERHEAD_CONNECTIONS} connections`,
    "",
    phaseTable(variants, (v) => v.clean),
    "",
    `### Profiled run (perf, pass: separate), ${OVERHEAD_CONNECTIONS} connections: the traced pass`,
    "",
    overhead.perfUnavailable
      ? `perf unavailable: ${overhead.perfUnavailable}`
      : phaseTable(variants, (v) => v.perfTraced, [
          ["clean pass: server stop", (v) => v.perfClean.map((pass) => pass.phases["server stop"] ?? 0)],
          ["clean pass: outside warmup and window", (v) => v.perfClean.map((pass) => pass.overheadS)],
          ["overhead_s of the whole profiled run (both passes)", (v) => v.perfRunOverheadS],
        ]),
    "",
    `### Connection set-up, ${CONNECT_BENCH_CONNECTIONS} connections`,
    "",
    table(
      ["figure (s)", ...variants.map((v) => v.label)],
      [
        [
          'client process start + connects (phase "client start, connects, warmup" minus the warmup)',
          ...variants.map((v) => seconds(spread(v.startAndConnectS))),
        ],
        [
          "connects alone (client JSON `connect_s`)",
          ...variants.map((v) => (v.connectS.length > 0 ? seconds(spread(v.connectS)) : "not reported")),
        ],
      ],
    ),
    "",
    "### Overhead goals",
    "",
    goalsTable(overheadGoals(overhead)),
  ].join("\n");
}
