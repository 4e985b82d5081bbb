/**
 * The end-of-run pivot: rows = connections, columns = threads (or the first two matrix
 * keys), values = median resp/s over a cell's ok repeats; one table per value of other keys.
 */
import type { Row } from "./columns.js";

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function axes(matrixKeys: readonly string[]): { rowKey: string; columnKey?: string; rest: string[] } {
  const preferred = ["connections", "threads"].filter((key) => matrixKeys.includes(key));
  const ordered = [...preferred, ...matrixKeys.filter((key) => !preferred.includes(key))];
  return { rowKey: ordered[0]!, columnKey: ordered[1], rest: ordered.slice(2) };
}

const distinct = (values: string[]) => [...new Set(values)];

/** One cell's figure: the median of ok repeats, "FAIL <status>" when none was ok, "*" when some failed. */
function cellText(rows: Row[]): string {
  const ok = rows.filter((row) => row.status === "ok").map((row) => Number(row.resp_per_s));
  if (ok.length === 0) return rows.length === 0 ? "" : `FAIL ${String(rows[0]!.status)}`;
  return `${Math.round(median(ok))}${ok.length < rows.length ? "*" : ""}`;
}

export function formatPivot(rows: readonly Row[], matrixKeys: readonly string[]): string {
  if (rows.length === 0 || matrixKeys.length === 0) return "";
  const { rowKey, columnKey, rest } = axes(matrixKeys);
  const key = (row: Row, k: string) => String(row[k]);
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = rest.map((k) => `${k}=${key(row, k)}`).join(",");
    groups.set(group, [...(groups.get(group) ?? []), row]);
  }
  const tables: string[] = [];
  for (const [group, groupRows] of groups) {
    const rowValues = distinct(groupRows.map((row) => key(row, rowKey)));
    const columnValues = columnKey ? distinct(groupRows.map((row) => key(row, columnKey))) : [""];
    const header = [`${rowKey} \\ ${columnKey ?? ""}`.trim(), ...columnValues.map((v) => (columnKey ? `${columnKey}=${v}` : "resp/s"))];
    const lines = rowValues.map((r) => [
      r,
      ...columnValues.map((c) => cellText(groupRows.filter((row) => key(row, rowKey) === r && (!columnKey || key(row, columnKey) === c)))),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
    const format = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
    tables.push(
      [`resp/s (median of ok repeats; * = some repeats failed)${group ? ` for ${group}` : ""}`, format(header), ...lines.map(format)].join("\n"),
    );
  }
  return tables.join("\n\n");
}
