/**
 * The end-of-run pivot: rows = connections, columns = threads (or the first two matrix
 * keys), values = median resp/s over a cell's ok repeats with their spread (min–max, CV)
 * and flags (some failed, noisy, client-bound); one table per value of other keys.
 */
import type { Row } from "./columns.js";
import { cellMarks, markLegend, markText, type CellMarks, type Mark } from "./marks.js";
import type { RepeatStatsOptions } from "./stats.js";

/**
 * Rows, columns and the keys that split tables: connections (or the offered rate) down, threads
 * across, by preference. When two or more keys vary, one with a single value among the first two
 * gives way to them (a latency sweep at one connection count reads rate × threads, in one table).
 */
function axes(matrixKeys: readonly string[], rows: readonly Row[]): { rowKey: string; columnKey?: string; rest: string[] } {
  const preferred = ["connections", "rate", "threads"].filter((key) => matrixKeys.includes(key));
  let ordered = [...preferred, ...matrixKeys.filter((key) => !preferred.includes(key))];
  const varies = (key: string) => new Set(rows.map((row) => String(row[key]))).size > 1;
  const varying = ordered.filter(varies);
  if (varying.length >= 2 && !ordered.slice(0, 2).every(varies)) ordered = [...varying, ...ordered.filter((key) => !varies(key))];
  return { rowKey: ordered[0]!, columnKey: ordered[1], rest: ordered.slice(2) };
}

const distinct = (values: string[]) => [...new Set(values)];

interface CellText extends CellMarks {
  value: string;
  /** "(min–max, CV%)" with two or more ok repeats. */
  spread: string;
}

/** One cell: the median the marks qualify (marks.ts), its spread, or "FAIL <status>". */
function cellText(rows: Row[], options: RepeatStatsOptions): CellText {
  if (rows.length === 0) return { value: "", marks: [], spread: "" };
  const { stats, marks } = cellMarks(rows, options);
  if (stats.median === undefined) return { value: stats.failedStatus ? `FAIL ${stats.failedStatus}` : "-", marks: [], spread: "" };
  const spread =
    stats.ok >= 2
      ? `(${Math.round(stats.min!)}–${Math.round(stats.max!)}${stats.cv === undefined ? "" : `, ${(stats.cv * 100).toFixed(1)}%`})`
      : "";
  return { ...marks, value: String(Math.round(stats.median)), spread };
}

/**
 * The pivot of a run's rows. `options` sets the noisy and client-bound thresholds
 * (defaults in stats.ts: NOISE_CV_THRESHOLD, CLIENT_BOUND_CORE_SHARE).
 */
export function formatPivot(rows: readonly Row[], matrixKeys: readonly string[], options: RepeatStatsOptions = {}): string {
  if (rows.length === 0 || matrixKeys.length === 0) return "";
  const { rowKey, columnKey, rest } = axes(matrixKeys, rows);
  const key = (row: Row, k: string) => String(row[k]);
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = rest.map((k) => `${k}=${key(row, k)}`).join(",");
    const members = groups.get(group);
    if (members)
      members.push(row); // pushed, not copied: a copy per row was quadratic
    else groups.set(group, [row]);
  }
  const used = new Set<Mark>();
  const tables: string[] = [];
  for (const [group, groupRows] of groups) {
    const rowValues = distinct(groupRows.map((row) => key(row, rowKey)));
    const columnValues = columnKey ? distinct(groupRows.map((row) => key(row, columnKey))) : [""];
    const header = [`${rowKey} \\ ${columnKey ?? ""}`.trim(), ...columnValues.map((v) => (columnKey ? `${columnKey}=${v}` : "resp/s"))];
    const cells = rowValues.map((r) =>
      columnValues.map((c) =>
        cellText(
          groupRows.filter((row) => key(row, rowKey) === r && (!columnKey || key(row, columnKey) === c)),
          options,
        ),
      ),
    );
    for (const cell of cells.flat()) for (const mark of cell.marks) used.add(mark);
    // Each column aligns its medians, markers and spreads separately.
    const texts = columnValues.map((_, ci) => {
      const column = cells.map((line) => line[ci]!);
      const wValue = Math.max(...column.map((cell) => cell.value.length));
      const wMarks = Math.max(...column.map((cell) => markText(cell).length));
      const wSpread = Math.max(...column.map((cell) => cell.spread.length));
      return column.map(
        (cell) => cell.value.padStart(wValue) + markText(cell).padEnd(wMarks) + (wSpread > 0 ? ` ${cell.spread.padEnd(wSpread)}` : ""),
      );
    });
    const lines = rowValues.map((r, ri) => [r, ...texts.map((column) => column[ri]!)]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
    const format = (parts: string[]) =>
      parts
        .map((part, i) => (i === 0 ? part.padEnd(widths[i]!) : part.padStart(widths[i]!)))
        .join("  ")
        .trimEnd();
    const spreadShown = cells.flat().some((cell) => cell.spread !== "");
    const degradedShown = cells.flat().some((cell) => cell.fromDegraded);
    const title = `resp/s: median of ok repeats${degradedShown ? " (of the degraded ones where none was ok)" : ""}${spreadShown ? " (min–max, CV)" : ""}${group ? ` for ${group}` : ""}`;
    tables.push([title, format(header), ...lines.map(format)].join("\n"));
  }
  const legend = markLegend(used, options);
  return [tables.join("\n\n"), ...(legend.length > 0 ? ["", ...legend] : [])].join("\n");
}
