/**
 * `tcpsweep compare BASE.csv NEW.csv`: one run of each file (the latest by default), cells
 * matched by their matrix keys, repeats reduced to the median of the ok ones, and every
 * cell's resp/s, p99 latency and server syscalls/request set side by side with the relative
 * change. A cell regresses when resp/s drops, p99 or syscalls/request rise, beyond the
 * threshold, or when it has no ok repeat any more.
 */
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { IDENTITY_COLUMNS, type Row } from "./columns.js";
import { environmentDifferences, metaPath, readRunMeta, type EnvironmentDifference } from "./meta.js";
import { median, numeric } from "./stats.js";

/** Bad input: a missing or foreign file, an unknown run, no common cell, a bad threshold (exit 2). */
export class CompareInputError extends Error {}

export const DEFAULT_COMPARE_THRESHOLD = "5%";

/** A threshold in percent from "5%", "5" or "0.5%" (all percent). */
export function parseThreshold(text: string): number {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*%?\s*$/.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!Number.isFinite(value)) throw new CompareInputError(`--threshold: expected a percentage like 5%, 5 or 0.5%, got ${JSON.stringify(text)}`);
  return value;
}

/** Columns a file needs to be read as tcpsweep results. */
const REQUIRED_COLUMNS = [...IDENTITY_COLUMNS, "resp_per_s", "status"];

export interface RunSelection {
  file: string;
  runId: string;
  /** The spec name of the run's rows (meta.json is found by it). */
  spec: string;
  /** The earliest started_at of the run's rows. */
  startedAt: string;
  rows: Row[];
  /** Every run in the file, oldest first (for messages). */
  allRuns: string[];
}

function readResults(file: string, label: string): { header: string[]; rows: Row[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CompareInputError(`${label} ${file}: ${code === "ENOENT" ? "no such file" : `cannot read: ${(error as Error).message}`}`);
  }
  let header: string[] = [];
  let rows: Row[];
  try {
    rows = parse(text, {
      columns: (names: string[]) => (header = names),
      skip_empty_lines: true,
      relax_column_count: true,
    }) as Row[];
  } catch (error) {
    throw new CompareInputError(`${label} ${file} is not a tcpsweep CSV: ${(error as Error).message}`);
  }
  const missing = REQUIRED_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new CompareInputError(`${label} ${file} is not a tcpsweep CSV: no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""}`);
  }
  if (rows.length === 0) throw new CompareInputError(`${label} ${file} has a header but no rows`);
  return { header, rows };
}

/** The run `runId` of `file`, or its latest run (by started_at). */
export function selectRun(file: string, label: "BASE" | "NEW", runId?: string): RunSelection {
  const { rows } = readResults(file, label);
  const runs = new Map<string, { startedAt: string; order: number; rows: Row[] }>();
  rows.forEach((row, order) => {
    const id = String(row.run_id ?? "");
    const run = runs.get(id) ?? { startedAt: String(row.started_at ?? ""), order, rows: [] };
    const startedAt = String(row.started_at ?? "");
    if (startedAt !== "" && (run.startedAt === "" || startedAt < run.startedAt)) run.startedAt = startedAt;
    run.rows.push(row);
    runs.set(id, run);
  });
  const ordered = [...runs.entries()].sort(([, a], [, b]) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.order - b.order));
  const allRuns = ordered.map(([id]) => id);
  let chosen: [string, { startedAt: string; rows: Row[] }] | undefined;
  if (runId !== undefined) {
    chosen = ordered.find(([id]) => id === runId);
    if (!chosen) {
      const shown = allRuns.slice(-5).join(", ");
      throw new CompareInputError(`${label} ${file} has no run ${runId}; its runs${allRuns.length > 5 ? " (latest 5)" : ""}: ${shown}`);
    }
  } else {
    chosen = ordered[ordered.length - 1]!;
  }
  const [id, run] = chosen;
  return { file, runId: id, spec: String(run.rows[0]?.spec ?? ""), startedAt: run.startedAt, rows: run.rows, allRuns };
}

export type MetricName = "resp/s" | "p99" | "syscalls/req";

/** Which direction is worse for each metric, and its column. */
const METRICS: { name: MetricName; column: string; worseWhen: "lower" | "higher" }[] = [
  { name: "resp/s", column: "resp_per_s", worseWhen: "lower" },
  { name: "p99", column: "latency_p99_us", worseWhen: "higher" },
  { name: "syscalls/req", column: "server_syscalls_per_request", worseWhen: "higher" },
];

export interface MetricComparison {
  base?: number;
  new?: number;
  /** (new − base) / base × 100; undefined when either is missing or base is 0. */
  changePct?: number;
  regressed: boolean;
  improved: boolean;
}

export type CellVerdict = "regressed" | "improved" | "ok" | "added" | "removed" | "fixed" | "both failed";

export interface CellComparison {
  /** The cell as the NEW file names it (BASE's when removed). */
  cell: string;
  verdict: CellVerdict;
  metrics: Record<MetricName, MetricComparison>;
  /** Ok repeats / all repeats on each side (undefined when the cell is absent there). */
  baseRepeats?: { ok: number; total: number };
  newRepeats?: { ok: number; total: number };
  /** A status of the side that has no ok repeat. */
  baseFailed?: string;
  newFailed?: string;
  /** Why a regressed cell regressed, e.g. "resp/s -20.0%", "no ok repeat (server_exited)". */
  reasons: string[];
}

export interface Comparison {
  base: RunSelection;
  next: RunSelection;
  thresholdPct: number;
  cells: CellComparison[];
  /** Whether either run has server syscalls/request (the columns are shown then). */
  hasSyscalls: boolean;
}

/** Cell ids match whatever order the matrix keys were written in. */
function cellKey(cell: string): string {
  return cell.split(",").sort().join(",");
}

function groupByCell(rows: readonly Row[]): Map<string, { cell: string; rows: Row[] }> {
  const cells = new Map<string, { cell: string; rows: Row[] }>();
  for (const row of rows) {
    const cell = String(row.cell ?? "");
    const key = cellKey(cell);
    const entry = cells.get(key) ?? { cell, rows: [] };
    entry.rows.push(row);
    cells.set(key, entry);
  }
  return cells;
}

function aggregate(rows: readonly Row[] | undefined, column: string): number | undefined {
  if (!rows) return undefined;
  const values = rows.filter((row) => row.status === "ok").flatMap((row) => numeric(row[column]) ?? []);
  return values.length === 0 ? undefined : median(values);
}

function compareMetric(base: number | undefined, next: number | undefined, worseWhen: "lower" | "higher", thresholdPct: number): MetricComparison {
  const changePct = base !== undefined && next !== undefined && base !== 0 ? ((next - base) / base) * 100 : undefined;
  const worse = changePct === undefined ? 0 : worseWhen === "lower" ? -changePct : changePct;
  return {
    ...(base !== undefined ? { base } : {}),
    ...(next !== undefined ? { new: next } : {}),
    ...(changePct !== undefined ? { changePct } : {}),
    regressed: worse > thresholdPct,
    improved: -worse > thresholdPct,
  };
}

const repeats = (rows: readonly Row[]) => ({ ok: rows.filter((row) => row.status === "ok").length, total: rows.length });
const failedStatus = (rows: readonly Row[]) => String(rows.find((row) => row.status !== "ok")?.status ?? "");

export function compareRuns(base: RunSelection, next: RunSelection, thresholdPct: number): Comparison {
  const baseCells = groupByCell(base.rows);
  const newCells = groupByCell(next.rows);
  const keys = [...baseCells.keys(), ...[...newCells.keys()].filter((key) => !baseCells.has(key))];
  if (!keys.some((key) => baseCells.has(key) && newCells.has(key))) {
    throw new CompareInputError(
      `no cell in common: BASE ${base.file} run ${base.runId} has ${[...baseCells.values()].map((c) => c.cell).join("; ")}, NEW ${next.file} run ${next.runId} has ${[...newCells.values()].map((c) => c.cell).join("; ")}`,
    );
  }
  const cells = keys.map((key): CellComparison => {
    const b = baseCells.get(key);
    const n = newCells.get(key);
    const metrics = Object.fromEntries(
      METRICS.map((metric) => [metric.name, compareMetric(aggregate(b?.rows, metric.column), aggregate(n?.rows, metric.column), metric.worseWhen, thresholdPct)]),
    ) as Record<MetricName, MetricComparison>;
    const comparison: CellComparison = { cell: n?.cell ?? b!.cell, verdict: "ok", metrics, reasons: [] };
    if (b) comparison.baseRepeats = repeats(b.rows);
    if (n) comparison.newRepeats = repeats(n.rows);
    if (!b) return { ...comparison, verdict: "added" };
    if (!n) return { ...comparison, verdict: "removed" };
    const baseOk = comparison.baseRepeats!.ok > 0;
    const newOk = comparison.newRepeats!.ok > 0;
    if (!baseOk) comparison.baseFailed = failedStatus(b.rows);
    if (!newOk) comparison.newFailed = failedStatus(n.rows);
    if (!baseOk && !newOk) return { ...comparison, verdict: "both failed" };
    if (!baseOk) return { ...comparison, verdict: "fixed" };
    // A run that stopped running as specified is a regression even when some repeats stayed ok.
    const newDegraded = n.rows.find((row) => row.status === "degraded");
    const degradedReason = newDegraded && !b.rows.some((row) => row.status === "degraded") ? `degraded: ${newDegraded.error}` : undefined;
    if (!newOk) return { ...comparison, verdict: "regressed", reasons: [`no ok repeat (${degradedReason ?? comparison.newFailed})`] };
    if (degradedReason) return { ...comparison, verdict: "regressed", reasons: [`some repeats ${degradedReason}`] };
    const reasons = METRICS.filter((metric) => metrics[metric.name].regressed).map((metric) => `${metric.name} ${signed(metrics[metric.name].changePct!)}`);
    if (reasons.length > 0) return { ...comparison, verdict: "regressed", reasons };
    return { ...comparison, verdict: METRICS.some((metric) => metrics[metric.name].improved) ? "improved" : "ok" };
  });
  const hasSyscalls = cells.some((cell) => cell.metrics["syscalls/req"].base !== undefined || cell.metrics["syscalls/req"].new !== undefined);
  return { base, next, thresholdPct, cells, hasSyscalls };
}

export const regressedCells = (comparison: Comparison) => comparison.cells.filter((cell) => cell.verdict === "regressed");

function signed(pct: number): string {
  const text = pct.toFixed(1);
  return pct >= 0 && text !== "-0.0" ? `+${text}%` : `${text === "-0.0" ? "0.0" : text}%`;
}

const DIGITS: Record<MetricName, number> = { "resp/s": 0, p99: 0, "syscalls/req": 2 };

function formatValue(metric: MetricName, value: number | undefined): string {
  return value === undefined ? "-" : value.toFixed(DIGITS[metric]);
}

function verdictText(cell: CellComparison, thresholdPct: number): string {
  switch (cell.verdict) {
    case "regressed":
      return `REGRESSED: ${cell.reasons.join(", ")}`;
    case "improved":
      return `improved beyond ${thresholdPct}%`;
    case "ok":
      return `within ${thresholdPct}%`;
    case "added":
      return "added (only in NEW)";
    case "removed":
      return "removed (only in BASE)";
    case "fixed":
      return `fixed (BASE had no ok repeat: ${cell.baseFailed})`;
    case "both failed":
      return `no ok repeat in either (${cell.baseFailed} / ${cell.newFailed})`;
  }
}

const describeRun = (run: RunSelection) =>
  `${run.file} run ${run.runId} (spec ${run.spec || "?"}, started ${run.startedAt || "?"}, ${new Set(run.rows.map((row) => row.cell)).size} cells, ${run.rows.length} rows)`;

export interface FormatOptions {
  markdown: boolean;
}

/** The comparison as an aligned text table or a GitHub-flavoured markdown table, with a summary line. */
export function formatComparison(comparison: Comparison, options: FormatOptions): string {
  const { thresholdPct } = comparison;
  const metrics: MetricName[] = comparison.hasSyscalls ? ["resp/s", "p99", "syscalls/req"] : ["resp/s", "p99"];
  const unit: Record<MetricName, string> = { "resp/s": "resp/s", p99: "p99 µs", "syscalls/req": "syscalls/req" };
  const header = ["cell", ...metrics.flatMap((m) => [`${unit[m]} BASE`, `${unit[m]} NEW`, "change"]), "verdict"];
  const md = options.markdown;
  const rows = comparison.cells.map((cell) => [
    md ? `\`${cell.cell}\`` : cell.cell,
    ...metrics.flatMap((m) => {
      const metric = cell.metrics[m];
      const change = metric.changePct === undefined ? "-" : signed(metric.changePct);
      return [formatValue(m, metric.base), formatValue(m, metric.new), md && metric.regressed && cell.verdict === "regressed" ? `**${change}**` : change];
    }),
    md && cell.verdict === "regressed" ? `**${verdictText(cell, thresholdPct)}**` : verdictText(cell, thresholdPct),
  ]);

  const regressed = regressedCells(comparison);
  const count = (verdict: CellVerdict) => comparison.cells.filter((cell) => cell.verdict === verdict).length;
  const compared = comparison.cells.length - count("added") - count("removed");
  const summary =
    `${compared} cell${compared === 1 ? "" : "s"} compared: ${regressed.length} regressed${regressed.length > 0 ? ` (${regressed.map((cell) => cell.cell).join("; ")})` : ""}, ` +
    `${count("improved")} improved, ${count("ok")} within ${thresholdPct}%` +
    `${count("fixed") > 0 ? `, ${count("fixed")} fixed` : ""}${count("both failed") > 0 ? `, ${count("both failed")} failed in both` : ""}; ` +
    `${count("added")} added, ${count("removed")} removed`;
  const rule = `threshold ${thresholdPct}%: ${comparison.hasSyscalls ? "a resp/s drop, a p99 rise or a syscalls/request rise" : "a resp/s drop or a p99 rise"} beyond it is a regression; figures are medians of the ok repeats`;

  if (md) {
    const escape = (text: string) => text.replace(/\|/g, "\\|");
    const line = (cells: string[]) => `| ${cells.map(escape).join(" | ")} |`;
    return [
      `**BASE** ${escape(describeRun(comparison.base))}  `,
      `**NEW** ${escape(describeRun(comparison.next))}  `,
      rule,
      "",
      line(header),
      `|${header.map((_, i) => (i === 0 || i === header.length - 1 ? " --- " : " ---: ")).join("|")}|`,
      ...rows.map(line),
      "",
      `${regressed.length > 0 ? "**" : ""}${summary}${regressed.length > 0 ? "**" : ""}`,
    ].join("\n");
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [`BASE ${describeRun(comparison.base)}`, `NEW  ${describeRun(comparison.next)}`, rule, "", format(header), ...rows.map(format), "", summary].join("\n");
}

/**
 * Environment differences between the runs, from the meta.json files beside the CSVs
 * (`<spec>.<run_id>.meta.json`); undefined when either run has none.
 */
export function runEnvironmentDifferences(base: RunSelection, next: RunSelection): EnvironmentDifference[] | undefined {
  const baseMeta = readRunMeta(metaPath(base.file, base.spec, base.runId));
  const newMeta = readRunMeta(metaPath(next.file, next.spec, next.runId));
  if (!baseMeta || !newMeta) return undefined;
  return environmentDifferences(baseMeta, newMeta);
}
