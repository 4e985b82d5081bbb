/**
 * Verdicts across one dimension of a single run (`server`, or any matrix key): in every cell
 * (the matrix values apart from that key) each value is compared with the best one, or with a
 * named baseline, like hyperfine's "A ran 1.31× faster than B". The statistics are compare's:
 * Mann-Whitney on the ok repeats, Holm over every test of the run, and the distribution-free
 * interval of the ratio; a difference counts only when significant and its interval excludes 1.
 * A value with a run that was not ok in a cell never wins that cell: the verdict says so and why.
 */
import type { Row } from "../output/columns.js";
import { median, numeric } from "../output/stats.js";
import { readCsvRows } from "../rundir/results-csv.js";
import { DEFAULT_ALPHA, METRICS, MIN_REPEATS, formatP, type MetricName } from "./compare.js";
import { holm, mannWhitney, ratioInterval, repeatsNeeded } from "./significance.js";

export interface PairVerdict {
  /** The cell without the dimension's key (`connections=1000,threads=4`). */
  cell: string;
  metric: MetricName;
  /** The value with the better median, and the other one. */
  better: string;
  worse: string;
  /** median(better) ÷ median(worse), and its interval (absent with too few repeats). */
  ratio: number;
  ci?: { low: number; high: number };
  p?: number;
  pAdjusted?: number;
  /** Ok repeats of each. */
  n: { better: number; worse: number };
  /** `win`: significant, interval wholly beyond the threshold; `degraded`: the better one had runs that were not ok. */
  verdict: "win" | "~" | "too few repeats" | "degraded";
}

export interface NotOkNote {
  cell: string;
  value: string;
  notOk: number;
  total: number;
  statuses: string[];
  reason: string;
}

export interface Tally {
  value: string;
  wins: number;
  losses: number;
  ties: number;
  /** Geometric mean of its resp/s ratios to the values it was compared with (undefined: none). */
  geomean?: number;
}

export interface DimensionVerdicts {
  key: string;
  baseline?: string;
  alpha: number;
  /** Smallest difference that counts, percent: a win's whole interval lies beyond ±thresholdPct. */
  thresholdPct: number;
  values: string[];
  pairs: PairVerdict[];
  notOk: NotOkNote[];
  tallies: Tally[];
  /** The value that won resp/s in every cell, if one did. */
  overall?: string;
  /** Ok repeats per side one test of this family needs before any difference can be significant. */
  repeatsNeeded: number;
}

/** `connections=4,server=node` → `connections=4` for key `server`. */
const cellWithout = (cell: string, key: string) =>
  cell
    .split(",")
    .filter((part) => !part.startsWith(`${key}=`))
    .join(",");

/** As `compare`'s --threshold: a difference counts only when its whole interval lies beyond ±5 %. */
export const DEFAULT_THRESHOLD_PCT = 5;

/** The interval of better ÷ worse lies wholly beyond ±thresholdPct (above 1 + t, or below 1 − t). */
const beyondThreshold = (ci: { low: number; high: number } | undefined, thresholdPct: number) =>
  ci !== undefined && (ci.low > 1 + thresholdPct / 100 || ci.high < 1 - thresholdPct / 100);

export function verdictsBy(
  rows: readonly Row[],
  key: string,
  options: { baseline?: string; alpha?: number; thresholdPct?: number } = {},
): DimensionVerdicts {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const thresholdPct = options.thresholdPct ?? DEFAULT_THRESHOLD_PCT;
  const values = [...new Set(rows.map((row) => String(row[key] ?? "")).filter(Boolean))];
  const cells = new Map<string, Map<string, Row[]>>();
  for (const row of rows) {
    const value = String(row[key] ?? "");
    if (!value) continue;
    const cell = cellWithout(String(row.cell ?? ""), key);
    const byValue = cells.get(cell) ?? new Map<string, Row[]>();
    byValue.set(value, [...(byValue.get(value) ?? []), row]);
    cells.set(cell, byValue);
  }
  const metrics = METRICS.filter((m) => m.name !== "syscalls/req" || rows.some((row) => numeric(row[m.column]) !== undefined));
  const pairs: PairVerdict[] = [];
  const notOk: NotOkNote[] = [];
  for (const [cell, byValue] of cells) {
    const clean = (value: string) => (byValue.get(value) ?? []).every((row) => row.status === "ok");
    for (const [value, list] of byValue) {
      const bad = list.filter((row) => row.status !== "ok");
      if (bad.length === 0) continue;
      const statuses = [...new Set(bad.map((row) => String(row.status)))];
      notOk.push({
        cell,
        value,
        notOk: bad.length,
        total: list.length,
        statuses,
        reason: String(bad.find((row) => row.error)?.error ?? statuses.join("/")),
      });
    }
    for (const metric of metrics) {
      const ok = (value: string) =>
        (byValue.get(value) ?? []).filter((row) => row.status === "ok").flatMap((row) => numeric(row[metric.column]) ?? []);
      const better = (a: number, b: number) => (metric.worseWhen === "lower" ? a > b : a < b);
      const present = [...byValue.keys()].filter((value) => ok(value).length > 0);
      // The reference: the baseline, else the best median among values whose every run was ok.
      const candidates = present.filter(clean);
      const reference =
        options.baseline !== undefined
          ? present.includes(options.baseline)
            ? options.baseline
            : undefined
          : candidates.sort((a, b) => (better(median(ok(a)), median(ok(b))) ? -1 : 1))[0];
      if (reference === undefined) continue;
      for (const other of present) {
        if (other === reference) continue;
        const [b, w] = better(median(ok(other)), median(ok(reference))) ? [other, reference] : [reference, other];
        const pair: PairVerdict = {
          cell,
          metric: metric.name,
          better: b,
          worse: w,
          ratio: median(ok(b)) / median(ok(w)),
          n: { better: ok(b).length, worse: ok(w).length },
          verdict: "too few repeats",
        };
        if (ok(b).length >= MIN_REPEATS && ok(w).length >= MIN_REPEATS) {
          pair.p = mannWhitney(ok(w), ok(b)).p;
          const interval = ratioInterval(ok(w), ok(b), 1 - alpha);
          if (interval) pair.ci = { low: interval.low, high: interval.high };
          pair.verdict = "~";
        }
        if (!clean(b)) pair.verdict = "degraded";
        pairs.push(pair);
      }
    }
  }
  const tested = pairs.filter((pair) => pair.p !== undefined);
  holm(tested.map((pair) => pair.p!)).forEach((adjusted, i) => (tested[i]!.pAdjusted = adjusted));
  for (const pair of tested) {
    if (pair.verdict !== "~") continue;
    if (pair.pAdjusted! < alpha && beyondThreshold(pair.ci, thresholdPct)) pair.verdict = "win";
  }
  const tallies = values.map((value): Tally => {
    const mine = pairs.filter((pair) => pair.metric === "resp/s" && (pair.better === value || pair.worse === value));
    const ratios = mine.map((pair) => (pair.better === value ? pair.ratio : 1 / pair.ratio)).filter((r) => r > 0 && Number.isFinite(r));
    return {
      value,
      wins: mine.filter((pair) => pair.verdict === "win" && pair.better === value).length,
      losses: mine.filter((pair) => pair.verdict === "win" && pair.worse === value).length,
      ties: mine.filter((pair) => pair.verdict !== "win").length,
      ...(ratios.length ? { geomean: Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length) } : {}),
    };
  });
  const everyCell = [...cells.keys()];
  const overall = values.find((value) =>
    everyCell.every((cell) => {
      const mine = pairs.filter(
        (pair) => pair.cell === cell && pair.metric === "resp/s" && (pair.better === value || pair.worse === value),
      );
      return mine.length > 0 && mine.every((pair) => pair.verdict === "win" && pair.better === value);
    }),
  );
  const needed = Math.max(MIN_REPEATS, repeatsNeeded(alpha, Math.max(1, cells.size * metrics.length * Math.max(1, values.length - 1))));
  return {
    key,
    ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
    alpha,
    thresholdPct,
    values,
    pairs,
    notOk,
    tallies,
    ...(overall ? { overall } : {}),
    repeatsNeeded: needed,
  };
}

const times = (x: number) => `${x.toFixed(2)}×`;

/** `epoll ran 1.31× [1.22, 1.40] the resp/s of uring at connections=1000,threads=4 (p=0.002, 7 repeats each)` */
export function formatPair(pair: PairVerdict, repeatsNeededEach: number, thresholdPct: number, alpha: number): string {
  const verb = pair.metric === "resp/s" ? "ran" : "had";
  const ci = pair.ci ? ` [${pair.ci.low.toFixed(2)}, ${pair.ci.high.toFixed(2)}]` : "";
  const at = pair.cell ? ` at ${pair.cell}` : "";
  const each = pair.n.better === pair.n.worse ? `${pair.n.better} repeats each` : `${pair.n.better} and ${pair.n.worse} ok repeats`;
  const stats = `p=${formatP(pair.pAdjusted)}, ${each}`;
  switch (pair.verdict) {
    case "win":
      return `${pair.better} ${verb} ${times(pair.ratio)}${ci} the ${pair.metric} of ${pair.worse}${at} (${stats})`;
    case "degraded":
      return `${pair.better} ${verb} ${times(pair.ratio)}${ci} the ${pair.metric} of ${pair.worse}${at}, but does not win: ${pair.better} was not ok in every run here (see below)`;
    case "too few repeats":
      return `~ ${pair.better} vs ${pair.worse} ${pair.metric}${at}: ${times(pair.ratio)}, too few ok repeats (${each}); needs ${repeatsNeededEach} each`;
    default: {
      const n = Math.min(pair.n.better, pair.n.worse);
      const guess = repeatsForEffect(pair, repeatsNeededEach);
      const more =
        n < repeatsNeededEach
          ? `; needs ≥ ${repeatsNeededEach} repeats each to show any difference`
          : pair.pAdjusted !== undefined && pair.pAdjusted < alpha
            ? `; significant, but the interval reaches within ±${thresholdPct}%: not a difference that counts`
            : guess === undefined
              ? "; no difference seen"
              : `; not significant: were the ${times(pair.ratio)} real, ${guess > 1000 ? "more than 1000" : `about ${guess}`} repeats each would show it`;
      return `~ ${pair.better} vs ${pair.worse} ${pair.metric}${at}: ${times(pair.ratio)}${ci} (${stats})${more}`;
    }
  }
}

/**
 * Repeats per side that would make this pair's interval exclude 1 if the ratio seen were real: the
 * interval narrows as 1/√n, so n × (half-width ÷ |log ratio|)², at least what one test needs.
 */
function repeatsForEffect(pair: PairVerdict, minimum: number): number | undefined {
  const effect = Math.abs(Math.log(pair.ratio));
  if (!pair.ci || !(effect > 0.005)) return undefined;
  const half = (Math.log(pair.ci.high) - Math.log(pair.ci.low)) / 2;
  const n = Math.min(pair.n.better, pair.n.worse);
  return Math.max(minimum, n + 1, Math.ceil(n * (half / effect) ** 2)); // not significant with n: more than n
}

export function formatVerdicts(v: DimensionVerdicts): string {
  const lines = [
    `verdicts by ${v.key} (${v.baseline !== undefined ? `each against the baseline ${v.baseline}` : "each against the best"}; Mann-Whitney, Holm over ${v.pairs.filter((p) => p.p !== undefined).length} tests, ${Math.round((1 - v.alpha) * 100)}% intervals wholly beyond ±${v.thresholdPct}%):`,
  ];
  for (const pair of v.pairs) lines.push(`  ${formatPair(pair, v.repeatsNeeded, v.thresholdPct, v.alpha)}`);
  for (const note of v.notOk) {
    lines.push(
      `  ! ${note.value} at ${note.cell || "(all)"}: ${note.statuses.join("/")} in ${note.notOk} of ${note.total} repeats (${note.reason}); it cannot win this cell`,
    );
  }
  lines.push(`over the matrix (resp/s):`);
  for (const t of v.tallies) {
    lines.push(
      `  ${t.value}: ${t.wins} wins, ${t.losses} losses, ${t.ties} ties; geometric mean ${t.geomean === undefined ? "-" : times(t.geomean)} the resp/s of the ${v.key}s it was compared with`,
    );
  }
  lines.push(v.overall ? `  ${v.overall} won every cell` : `  no ${v.key} won every cell`);
  return lines.join("\n");
}

/** The verdicts of one run of a results CSV (`run --json`: read back, so a resumed run has every cell). */
export function verdictsOfRun(csv: string, runId: string, by: { key: string; baseline?: string }): DimensionVerdicts {
  return verdictsBy(
    readCsvRows(csv).filter((row) => row.run_id === runId),
    by.key,
    by,
  );
}
