/**
 * `node dist/bench/compare-scale.js`: compare's cost and error rates, written into the
 * "compare" section of bench/RESULTS.md (and printed).
 *
 * 1. Cost: the Hodges-Lehmann interval by selection (pairwise-selection.ts) against the old way
 *    (build and sort all n·m differences), side by side in this process; then the whole
 *    `tcpsweep compare --json` at 1,000, 3,000 and 10,000 repeats a side as a child process under
 *    /usr/bin/time (wall time and peak RSS), three runs each, taking turns.
 * 2. Error rates: 1,000 seeded synthetic nights per repeat count and test (4 cells × 2 metrics,
 *    5 % log-normal noise): the false-alarm rate, and the power for a 10 % drop in one cell.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { median } from "simple-statistics";
import { falseAlarmRate, power, seededRandom, type Sampler } from "../calibrate/simulate-nights.js";
import { intervalCut, ratioInterval } from "../compare/significance.js";
import { TEST_MODES } from "../compare/two-sample-test.js";
import { BUILT_CLI } from "./options.js";
import { writeMarkedSection } from "./marked-section.js";

const gauss = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const sample = (random: () => number, n: number, scale: number) => Array.from({ length: n }, () => scale * Math.exp(0.1 * gauss(random)));

/** The interval as compare computed it before: every difference built and sorted. */
function bruteForceInterval(base: number[], next: number[], k: number): [number, number] {
  const differences = next.flatMap((y) => base.map((x) => Math.log(y) - Math.log(x))).sort((a, b) => a - b);
  return [Math.exp(differences[k - 1]!), Math.exp(differences[differences.length - k]!)];
}

function timeMs(work: () => unknown): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function writeSide(dir: string, name: string, n: number, scale: number, random: () => number): string {
  const file = path.join(dir, name);
  const resp = sample(random, n, 20_000 * scale);
  const p99 = sample(random, n, 1000 / scale);
  const rows = resp.map((value, i) => [
    name,
    "2026-01-01T00:00:00.000Z",
    "scale",
    "connections=10",
    i + 1,
    10,
    value.toFixed(2),
    100,
    p99[i]!.toFixed(0),
    10,
    "ok",
    "",
  ]);
  const header = [
    "run_id",
    "started_at",
    "spec",
    "cell",
    "repeat",
    "connections",
    "resp_per_s",
    "success_rate_pct",
    "latency_p99_us",
    "connections_served",
    "status",
    "error",
  ];
  writeFileSync(file, stringify([header, ...rows]));
  return file;
}

function costSection(): string[] {
  const random = seededRandom(1);
  const lines = [
    "### Cost",
    "",
    "Hodges-Lehmann 95 % interval of one metric, in this process (median of 3):",
    "",
    "| repeats a side | selection ms | build-and-sort ms | ratio |",
    "|---:|---:|---:|---:|",
  ];
  for (const n of [300, 1000, 2000]) {
    const base = sample(random, n, 1);
    const next = sample(random, n, 0.95);
    const k = intervalCut(n, n, 0.95);
    const fast: number[] = [];
    const slow: number[] = [];
    for (let run = 0; run < 3; run++) {
      fast.push(timeMs(() => ratioInterval(base, next, 0.95)));
      slow.push(timeMs(() => bruteForceInterval(base, next, k)));
    }
    const interval = ratioInterval(base, next, 0.95)!;
    const [low, high] = bruteForceInterval(base, next, k);
    if (Math.abs(interval.low - low) > 1e-12 || Math.abs(interval.high - high) > 1e-12)
      throw new Error(`selection and sort disagree at n=${n}`);
    lines.push(`| ${n} | ${median(fast).toFixed(1)} | ${median(slow).toFixed(0)} | ${(median(slow) / median(fast)).toFixed(0)}× |`);
  }
  lines.push(
    "",
    "Whole `tcpsweep compare --json` of one cell (resp/s and p99), child process under `/usr/bin/time` (median of 3, taking turns):",
    "",
    "| repeats a side | wall s | peak RSS MiB |",
    "|---:|---:|---:|",
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), "tcpsweep-compare-scale-"));
  try {
    const sizes = [1000, 3000, 10_000];
    const files = sizes.map(
      (n) => [writeSide(dir, `base-${n}.csv`, n, 1, random), writeSide(dir, `new-${n}.csv`, n, 0.97, random)] as const,
    );
    const runs = sizes.map(() => ({ wall: [] as number[], rss: [] as number[] }));
    for (let round = 0; round < 3; round++) {
      files.forEach(([base, next], i) => {
        const timing = path.join(dir, "time.txt");
        try {
          execFileSync("/usr/bin/time", ["-f", "%e %M", "-o", timing, process.execPath, BUILT_CLI, "compare", base, next, "--json"], {
            stdio: ["ignore", "ignore", "pipe"],
          });
        } catch (error) {
          if ((error as { status?: number }).status !== 1) throw error; // 1: a regression found, which is fine here
        }
        const [wall, rssKb] = readFileSync(timing, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
        runs[i]!.wall.push(wall!);
        runs[i]!.rss.push(rssKb! / 1024);
      });
    }
    sizes.forEach((n, i) =>
      lines.push(`| ${n.toLocaleString("en")} | ${median(runs[i]!.wall).toFixed(2)} | ${median(runs[i]!.rss).toFixed(0)} |`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

function ratesSection(): string[] {
  const sampler: Sampler = (_cell, column, count, random) =>
    Array.from({ length: count }, () => (column === "resp_per_s" ? 20_000 : 1000) * Math.exp(0.05 * gauss(random)));
  const cells = ["connections=10", "connections=20", "connections=30", "connections=40"];
  const repeats = [3, 4, 5, 6, 8, 10, 12];
  const nights = 1000;
  const header = "| repeat | rank | welch | auto |\n|---:|---:|---:|---:|";
  const table = (measure: (repeat: number, test: (typeof TEST_MODES)[number]) => number) =>
    repeats.map(
      (repeat) =>
        `| ${repeat} | ${["rank", "welch", "auto"].map((test) => `${(measure(repeat, test as "rank") * 100).toFixed(1)}%`).join(" | ")} |`,
    );
  const plan = (repeat: number, test: "rank" | "welch" | "auto") => ({
    cells,
    columns: ["resp_per_s", "latency_p99_us"],
    repeat,
    thresholdPct: 5,
    alpha: 0.05,
    test,
  });
  return [
    "### Error rates on synthetic nights",
    "",
    `${nights.toLocaleString("en")} seeded nights per entry; 4 cells × 2 metrics (resp/s, p99), 5 % log-normal noise, α = 0.05 Holm-corrected over the 8 tests, --threshold 5%.`,
    "",
    "False alarms (share of nights, same distribution on both sides, that report any slower cell):",
    "",
    header,
    ...table((repeat, test) => falseAlarmRate(plan(repeat, test), sampler, nights, 11)),
    "",
    "Power (share of nights with a 10 % drop in one random cell that flag that cell):",
    "",
    header,
    ...table((repeat, test) => power(plan(repeat, test), sampler, nights, 0.9, 12)),
  ];
}

const START = "<!-- compare-scale: written by node dist/bench/compare-scale.js -->";
const END = "<!-- /compare-scale -->";

const load = os.loadavg()[0]!.toFixed(2);
const started = new Date().toISOString();
const body = [
  START,
  "## compare: cost at scale and error rates",
  "",
  `- Date: ${started}; command: \`node dist/bench/compare-scale.js\`; machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, Node ${process.version}; load average (1 min) at start: ${load}`,
  "",
  ...costSection(),
  "",
  ...ratesSection(),
  END,
].join("\n");
writeMarkedSection(START, END, body);
