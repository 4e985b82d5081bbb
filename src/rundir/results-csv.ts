/**
 * Reading a tcpsweep CSV back (the results, or the syscall table beside it): the one place that
 * parses one, for `--resume`, `run --json`, `report` and `compare`.
 */
import { existsSync, readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { BadInputError } from "../model/bad-input.js";
import { resultsCsvOfSummary } from "./run-dir.js";
import { restoreCsvText } from "../untrusted/csv-cell.js";
import { readFirstLine, readNamedInput } from "../untrusted/files.js";

/** A row read back: column → text ("" for a cell the row does not have). */
export type CsvRow = Record<string, string>;

export interface CsvSource {
  /** What the file should be, for messages: "results CSV", "syscall table". */
  what: string;
  /** How the command calls the file ("BASE", "NEW"), put before its name in messages. */
  label?: string;
  /** Figures an `ok` row must hold as finite numbers (or leave empty): the headline columns (src/output/columns.ts). */
  figures?: readonly string[];
}

const where = (file: string, source: CsvSource) => (source.label ? `${source.label} ${file}` : file);

/** The longest header line read (a header is a few hundred bytes; a foreign file may have no newline at all). */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The header of a CSV, or undefined when the file is missing or empty; a first line that is not
 * CSV gives `[""]` (a header no tcpsweep CSV has). Read from its first 64 KiB only, never through a
 * symbolic link unless `followSymlinks`, and never from a FIFO or device (UnsafePathError).
 */
export function readCsvHeader(file: string, options: { followSymlinks?: boolean } = {}): string[] | undefined {
  const firstLine = readFirstLine(file, MAX_HEADER_BYTES, options);
  if (firstLine === undefined || firstLine.trim() === "") return undefined;
  try {
    const records: string[][] = parse(firstLine, { bom: true });
    return records[0]?.map(restoreCsvText) ?? [""];
  } catch {
    return [""];
  }
}

function parseTable(text: string): { header: string[]; rows: CsvRow[] } {
  // Cells we neutralised for spreadsheets (a leading ') come back as they were.
  const parsed: string[][] = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true });
  const records = parsed.map((record) => record.map(restoreCsvText));
  const header = records[0] ?? [];
  const rows = records.slice(1).map((record) => Object.fromEntries(header.map((column, i) => [column, record[i] ?? ""])));
  return { header, rows };
}

/** Every row of a CSV we wrote ourselves (`--resume`, `run --json`); none when the file is missing. */
export function readCsvRows(file: string): CsvRow[] {
  if (!existsSync(file)) return [];
  return parseTable(readFileSync(file, "utf8")).rows;
}

/** A results CSV of 20,000 cells × 10 repeats is about 40 MiB; far larger is not a tcpsweep CSV, and not read. */
const MAX_CSV_BYTES = 512 * 1024 * 1024;

/** Header and rows of a CSV a user named; what keeps it from being read is a BadInputError. */
export function readCsvTable(file: string, source: CsvSource): { header: string[]; rows: CsvRow[] } {
  let text: string;
  try {
    text = readNamedInput(file, MAX_CSV_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new BadInputError(`cannot read ${where(file, source)}: no such file`);
    const reason = error instanceof Error ? error.message.replace(/, \w+ '.*'$/, "") : String(error);
    throw new BadInputError(`cannot read ${source.what} ${where(file, source)}: ${reason}`);
  }
  try {
    return parseTable(text);
  } catch (error) {
    throw new BadInputError(`${where(file, source)} is not a tcpsweep ${source.what}: not CSV (${parseProblem(error)})`);
  }
}

/** A results CSV a user named: readable, with the `required` columns and at least one row. */
export function readResultsCsv(file: string, source: CsvSource & { required: readonly string[] }): { header: string[]; rows: CsvRow[] } {
  const table = readCsvTable(file, source);
  const missing = source.required.filter((column) => !table.header.includes(column));
  const results = resultsCsvOfSummary(file);
  if (missing.length > 0 && results !== undefined) {
    throw new BadInputError(
      `${where(file, source)} is the summary tcpsweep writes beside a results CSV (one row per cell, the repeats folded); ` +
        `give the results CSV instead: ${results}`,
    );
  }
  if (missing.length > 0) {
    throw new BadInputError(
      `${where(file, source)} is not a tcpsweep ${source.what}: no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""} in its header`,
    );
  }
  if (table.rows.length === 0) throw new BadInputError(`${where(file, source)} has a header but no rows`);
  const problems = [...duplicateColumns(table.header), ...nonFiniteOkRows(table.rows, source.figures ?? [])];
  if (problems.length > 0) throw new BadInputError(`${where(file, source)} is not a valid tcpsweep ${source.what}: ${problems.join("; ")}`);
  return table;
}

/** What csv-parse found, by its code and line: its message may quote the file, and a foreign file's contents are never echoed. */
function parseProblem(error: unknown): string {
  const { code, lines } = error as { code?: unknown; lines?: unknown };
  if (typeof code !== "string") return "unreadable";
  const what = code.replace(/^CSV_/, "").toLowerCase().replace(/_/g, " ");
  return typeof lines === "number" ? `${what} at line ${lines}` : what;
}

/** A header that names a column twice: the last would win and relabel every row (a second run_id). */
function duplicateColumns(header: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const column of header) (seen.has(column) ? twice : seen).add(column);
  if (twice.size === 0) return [];
  const named = [...twice].filter((column) => /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(column)).map((column) => `"${column}"`);
  const unnamed = twice.size - named.length;
  return [`its header names ${[...named, ...(unnamed > 0 ? [`${unnamed} other`] : [])].join(", ")} more than once`];
}

/** An `ok` row's headline figures are finite numbers or empty: NaN or Infinity there would pass compare's gate unseen. */
function nonFiniteOkRows(rows: readonly CsvRow[], figures: readonly string[]): string[] {
  const bad: string[] = [];
  rows.forEach((row, i) => {
    if (row.status !== "ok") return;
    const columns = figures.filter((column) => (row[column] ?? "") !== "" && !Number.isFinite(Number(row[column])));
    if (columns.length > 0)
      bad.push(`row ${i + 1} is ok but its ${columns.join(", ")} ${columns.length > 1 ? "are" : "is"} not a finite number`);
  });
  if (bad.length === 0) return [];
  return [...bad.slice(0, 5), ...(bad.length > 5 ? [`${bad.length - 5} more such rows`] : [])];
}
