/**
 * `npm run bench:history`: the seeded simulation behind `tcpsweep history`'s defaults (issue 32),
 * and the time a year of nights × 100 series takes, full and incremental. Prints Markdown tables;
 * bench/RESULTS.md keeps them with the machine and load.
 *
 * Noise: each repeat is 10000·exp(night effect + repeat noise), both normal on the log scale. A
 * sustained drop multiplies every repeat from night 40 on. "Caught within 5 nights": with nights
 * 0…44 known, a regression change point at night 38…42 (history), or any of nights 40…44 flagged
 * against the night before by compare's Welch test at its default α 0.05 and 5 % threshold.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { seededRandom } from "../compare/seeded-random.js";
import { welchTest } from "../compare/welch-test.js";
import { median } from "../output/stats.js";
import { analyse } from "../history/analyse.js";
import { emptyCache } from "../history/cache.js";
import { denseOf, detectDense, type HistoryOptions } from "../history/detect.js";
import type { HistorySeries } from "../history/series.js";

interface Noise {
  repeats: number;
  /** σ of log(value) between repeats of one night. */
  repeatSigma: number;
  /** σ of log(value) shared by a night's repeats (the machine that night). */
  nightSigma: number;
}

function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function simulate(noise: Noise, nights: number, drop: number, dropAt: number, random: () => number): HistorySeries {
  const normal = gaussian(random);
  const points = Array.from({ length: nights }, (_, night) => {
    const shift = noise.nightSigma * normal() + (night >= dropAt ? Math.log(1 - drop) : 0);
    const repeats = Array.from({ length: noise.repeats }, () => 10000 * Math.exp(shift + noise.repeatSigma * normal()));
    return { time: `n${String(night).padStart(3, "0")}`, value: median(repeats), repeats };
  });
  return { name: "sim", lowerIsBetter: false, points };
}

interface Method {
  name: string;
  options: HistoryOptions;
}

const METHODS: Method[] = [
  { name: "history, medians (Otava), p 0.001", options: { window: 50, maxPvalue: 0.001, minMagnitude: 0, repeats: false } },
  // maxPvalue is --p; with repeats the rule is REPEATS_STRICTER (4×) stricter: 0.004 → 0.001, 0.001 → 0.00025.
  { name: "history, repeats, p 0.001", options: { window: 50, maxPvalue: 0.004, minMagnitude: 0, repeats: true } },
  { name: "history, repeats, p 0.00025 (default)", options: { window: 50, maxPvalue: 0.001, minMagnitude: 0, repeats: true } },
];

const SERIES = 100;
const DROP_AT = 40;

function caughtByHistory(series: HistorySeries, options: HistoryOptions): boolean {
  const [result] = analyse([series], options);
  return result!.changePoints.some((point) => point.regression && Math.abs(point.index - DROP_AT) <= 2);
}

function caughtByCompare(series: HistorySeries): boolean {
  for (let night = DROP_AT; night < DROP_AT + 5; night++) {
    const before = series.points[night - 1]!.repeats;
    const after = series.points[night]!.repeats;
    const { p, interval } = welchTest.run(before, after, 0.95);
    if (p < 0.05 && interval && interval.high < 0.95) return true;
  }
  return false;
}

function falseAlarms(noise: Noise, seed: number): { history: number[]; compare: number } {
  const random = seededRandom(seed);
  const all = Array.from({ length: SERIES }, () => simulate(noise, 60, 0, 60, random));
  const history = METHODS.map((method) => all.filter((series) => analyse([series], method.options)[0]!.changePoints.length > 0).length);
  // Night-to-night compare over the same 60 nights: a series with any night flagged.
  const compare = all.filter((series) =>
    series.points.slice(1).some((point, i) => {
      const { p, interval } = welchTest.run(series.points[i]!.repeats, point.repeats, 0.95);
      return p < 0.05 && interval !== undefined && (interval.high < 0.95 || interval.low > 1.05);
    }),
  ).length;
  return { history, compare };
}

function caught(noise: Noise, drop: number, seed: number): { history: number[]; compare: number } {
  const random = seededRandom(seed);
  const all = Array.from({ length: SERIES }, () => simulate(noise, DROP_AT + 5, drop, DROP_AT, random));
  return {
    history: METHODS.map((method) => all.filter((series) => caughtByHistory(series, method.options)).length),
    compare: all.filter(caughtByCompare).length,
  };
}

const NOISES: Noise[] = [
  { repeats: 9, repeatSigma: 0.15, nightSigma: 0 },
  { repeats: 9, repeatSigma: 0.2, nightSigma: 0 },
  { repeats: 9, repeatSigma: 0.15, nightSigma: 0.03 },
  { repeats: 9, repeatSigma: 0.2, nightSigma: 0.05 },
  // A machine whose nights differ by far more than their repeats (load from other jobs).
  { repeats: 9, repeatSigma: 0.1, nightSigma: 0.1 },
];

function simulationTable(): string {
  const header = ["noise (9 repeats)", "method", "A/A series with a false change point", "5 % caught", "10 % caught", "20 % caught"];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  NOISES.forEach((noise, n) => {
    const label = `repeat σ ${noise.repeatSigma}, night σ ${noise.nightSigma}`;
    const aa = falseAlarms(noise, 1000 + n);
    const drops = [0.05, 0.1, 0.2].map((drop, d) => caught(noise, drop, 2000 + 10 * n + d));
    METHODS.forEach((method, m) => {
      lines.push(`| ${label} | ${method.name} | ${aa.history[m]} % | ${drops.map((r) => `${r.history[m]} %`).join(" | ")} |`);
    });
    lines.push(
      `| ${label} | night-to-night compare (Welch, α 0.05, 5 %) | ${aa.compare} % | ${drops.map((r) => `${r.compare} %`).join(" | ")} |`,
    );
  });
  return lines.join("\n");
}

function timing(): string {
  const random = seededRandom(7);
  const noise = NOISES[0]!;
  const year = Array.from({ length: 100 }, (_, i) => ({ ...simulate(noise, 365, i % 2 === 0 ? 0.1 : 0, 200, random), name: `s${i}` }));
  // Wall time suffers from the other processes on a loaded machine; this process's CPU time less so.
  const clock = () => ({ wall: performance.now(), cpu: process.cpuUsage() });
  const since = (start: ReturnType<typeof clock>) => {
    const cpu = process.cpuUsage(start.cpu);
    return `${(performance.now() - start.wall).toFixed(0)} ms | ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`;
  };
  const rows: string[] = ["| run | series × nights | wall time | CPU time |", "|---|---|---|---|"];
  for (const repeats of [false, true]) {
    const options: HistoryOptions = { window: 50, maxPvalue: 0.001, minMagnitude: 0, repeats };
    const t0 = clock();
    for (const series of year) detectDense(denseOf(series), options);
    const full = since(t0);
    // Incremental: the cache knows 364 nights; the 365th arrives.
    const cache = emptyCache(options);
    analyse(
      year.map((series) => ({ ...series, points: series.points.slice(0, -1) })),
      options,
      cache,
    );
    const t1 = clock();
    analyse(year, options, cache);
    const incremental = since(t1);
    const how = repeats ? "repeats" : "medians";
    rows.push(`| full recompute, ${how} | 100 × 365 | ${full} |`, `| incremental (+1 night), ${how} | 100 × 365 | ${incremental} |`);
  }
  return rows.join("\n");
}

const started = new Date().toISOString();
const load = loadavg()
  .map((value) => value.toFixed(2))
  .join(" ");
process.stdout.write(`## History: change points over the nights (simulation)\n\n`);
process.stdout.write(
  `${started}, node ${process.version}, load average at start ${load}; \`npm run bench:history\` (seeded: the same table every run).\n\n`,
);
process.stdout.write(
  `${simulationTable()}\n\n${timing()}\n\nload average at end ${loadavg()
    .map((value) => value.toFixed(2))
    .join(" ")}\n`,
);
