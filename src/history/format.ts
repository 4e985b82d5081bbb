/** `history`'s output: a table (≤ 100 columns), Markdown, or JSON in the shape docs/cli.md gives. */
import type { AnalysedSeries } from "./analyse.js";
import type { FoundChangePoint } from "./detect.js";
import type { HistorySeries } from "./series.js";

const signed = (value: number, digits = 1) => `${value > 0 ? "+" : value < 0 ? "−" : ""}${Math.abs(value).toFixed(digits)}`;
export const formatP = (p: number) => (Number.isNaN(p) ? "?" : p < 0.001 ? p.toExponential(0) : p.toFixed(3));

function changeText(point: FoundChangePoint): string {
  const interval = point.change_interval_pct
    ? ` [${signed(point.change_interval_pct[0], 0)}, ${signed(point.change_interval_pct[1], 0)}]`
    : "";
  return `${signed(point.change_pct)} %${interval}`;
}

/** The builds either side of a change point: "a1b2c3 → d4e5f6" (one when they are the same). */
function buildsText(series: HistorySeries, point: FoundChangePoint, which: "tcpsweep" | "server"): string {
  const before = series.points
    .slice(0, point.index)
    .reverse()
    .find((p) => p.value !== undefined)?.builds?.[which];
  const after = series.points[point.index]?.builds?.[which];
  if (!before && !after) return "–";
  return before === after ? (after ?? "–") : `${before ?? "?"} → ${after ?? "?"}`;
}

interface Row {
  series: string;
  night: string;
  change: string;
  p: string;
  tcpsweep: string;
  server: string;
  mark: string;
}

function rowsOf(analysed: readonly AnalysedSeries[]): Row[] {
  return analysed.flatMap(({ series, changePoints }) =>
    changePoints.map((point) => ({
      series: series.cell && series.metric ? `${series.cell} ${series.metric}` : series.name,
      night: point.time,
      change: changeText(point),
      p: formatP(point.pvalue),
      tcpsweep: buildsText(series, point, "tcpsweep"),
      server: buildsText(series, point, "server"),
      mark: [point.isNew ? "new" : "", point.regression ? "worse" : ""].filter(Boolean).join(" "),
    })),
  );
}

const clip = (text: string, width: number) => (text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`);

/** Plain table: cell metric 26, night 10, change 18, p 6, builds 2 × 12, mark ("new worse") → 100 columns. */
export function formatTable(analysed: readonly AnalysedSeries[], gaps: string[]): string {
  const rows = rowsOf(analysed);
  const seriesCount = analysed.length;
  const lines = [`${seriesCount} series, ${rows.length} change point${rows.length === 1 ? "" : "s"}`];
  if (rows.length > 0) {
    const widths = [26, 10, 18, 6, 12, 12];
    const cells = (r: string[]) =>
      `${r
        .slice(0, 6)
        .map((text, i) => clip(text, widths[i]!))
        .join(" ")} ${r[6] ?? ""}`;
    lines.push(cells(["cell metric", "night", "change [95 %]", "p", "tcpsweep", "server", "mark"]).trimEnd());
    for (const row of rows)
      lines.push(cells([row.series, row.night, row.change, row.p, row.tcpsweep, row.server, row.mark]).trimEnd().slice(0, 100));
  }
  lines.push(...gaps.map((gap) => gap.slice(0, 100)));
  return `${lines.join("\n")}\n`;
}

export function formatMarkdown(analysed: readonly AnalysedSeries[], gaps: string[]): string {
  const rows = rowsOf(analysed);
  const escape = (text: string) => text.replace(/\|/g, "\\|");
  const lines = [
    `**${analysed.length} series, ${rows.length} change point${rows.length === 1 ? "" : "s"}**`,
    "",
    "| cell metric | night | change [95 %] | p | tcpsweep | server | mark |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${[r.series, r.night, r.change, r.p, r.tcpsweep, r.server, r.mark].map(escape).join(" | ")} |`),
  ];
  if (gaps.length > 0) lines.push("", ...gaps.map((gap) => `- ${escape(gap)}`));
  return `${lines.join("\n")}\n`;
}

/** Gaps by series, one line each: "<series>: 2026-12-03 cell failed (error), 2026-12-04 …". */
export function gapLines(analysed: readonly AnalysedSeries[]): string[] {
  return analysed.flatMap(({ series }) => {
    const gaps = series.points.filter((point) => point.gap !== undefined && point.gap !== "not profiled");
    return gaps.length === 0 ? [] : [`gaps in ${series.name}: ${gaps.map((point) => `${point.time} ${point.gap}`).join(", ")}`];
  });
}

export function toJson(analysed: readonly AnalysedSeries[]): unknown {
  return {
    series: analysed.map(({ series, changePoints }) => ({
      name: series.name,
      points: series.points.map((point) => ({
        time: point.time,
        value: point.value ?? null,
        repeats: point.repeats,
        ...(point.gap !== undefined ? { gap: point.gap } : {}),
      })),
      change_points: changePoints.map((point) => ({
        index: point.index,
        time: point.time,
        pvalue: point.pvalue,
        change_pct: point.change_pct,
        mean_before: point.mean_before,
        mean_after: point.mean_after,
      })),
    })),
  };
}

/**
 * The nightly's part of its one summary line: "change points: 1 new (connections=1000,threads=4
 * resp/s −11.8 % since 2026-12-03, p=2e-6), 3 in all".
 */
export function formatSummary(analysed: readonly AnalysedSeries[]): string {
  const all = analysed.flatMap(({ series, changePoints }) => changePoints.map((point) => ({ series, point })));
  const fresh = all.filter(({ point }) => point.isNew);
  const described = fresh.map(({ series, point }) => {
    const what = series.cell && series.metric ? `${series.cell} ${series.metric}` : series.name;
    return `${what} ${signed(point.change_pct)} % since ${point.time}, p=${formatP(point.pvalue)}`;
  });
  return `change points: ${fresh.length} new${fresh.length > 0 ? ` (${described.join("; ")})` : ""}, ${all.length} in all\n`;
}
