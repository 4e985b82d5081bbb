/**
 * `history --series FILE.csv`: any series in Otava's CSV shape (docs/CSV.md there): a `time`
 * column, then numeric columns, one series per column, one point per row. An empty cell is a gap.
 * Read with rundir's one CSV reader.
 */
import { BadInputError } from "../model/bad-input.js";
import { readCsvTable } from "../rundir/results-csv.js";
import type { HistorySeries } from "./series.js";

export function readOtavaCsv(file: string): HistorySeries[] {
  const { header, rows } = readCsvTable(file, { what: "series CSV" });
  if (header[0]?.trim() !== "time") {
    throw new BadInputError(
      `${file} is not a series CSV: its first column is ${JSON.stringify(header[0] ?? "")}, expected "time" then numeric columns`,
    );
  }
  const columns = header.slice(1);
  if (columns.length === 0 || rows.length === 0)
    throw new BadInputError(`${file} has no series: expected "time" then numeric columns, one row per point`);
  const problems: string[] = [];
  const series = columns.map((column) => ({
    name: column,
    lowerIsBetter: false,
    points: rows.map((row, i) => {
      const text = (row[column] ?? "").trim();
      const value = Number(text);
      if (text !== "" && !Number.isFinite(value)) problems.push(`line ${i + 2}, column ${column}: ${JSON.stringify(text)} is not a number`);
      return text === "" || !Number.isFinite(value)
        ? { time: row.time ?? "", repeats: [], gap: "empty" }
        : { time: row.time ?? "", value, repeats: [value] };
    }),
  }));
  if (problems.length > 0)
    throw new BadInputError(
      `${file}: ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ""}`,
    );
  return series;
}
