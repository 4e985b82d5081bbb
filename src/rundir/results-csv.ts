/**
 * Reading a tcpsweep CSV back (the results, or the syscall table beside it): the one place that
 * parses one, for `--resume`, `run --json`, `report` and `compare`.
 */
import { existsSync, readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { BadInputError } from "../model/bad-input.js";
import { resultsCsvOfSummary } from "./run-dir.js";
import { restoreCsvText } from "../untrusted/csv-cell.js";

/** A row read back: column → text ("" for a cell the row does not have). */
export type CsvRow = Record<string, string>;

export interface CsvSource {
  /** What the file should be, for messages: "results CSV", "syscall table". */
  what: string;
  /** How the command calls the file ("BASE", "NEW"), put before its name in messages. */
  label?: string;
}

const where = (file: string, source: CsvSource) => (source.label ? `${source.label} ${file}` : file);

/** The header of a CSV, or undefined when the file is missing or empty. */
export function readCsvHeader(file: string): string[] | undefined {
  if (!existsSync(file)) return undefined;
  const firstLine = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  if (firstLine.trim() === "") return undefined;
  const records: string[][] = parse(firstLine, { bom: true });
  return records[0]?.map(restoreCsvText);
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

/** Header and rows of a CSV a user named; what keeps it from being read is a BadInputError. */
export function readCsvTable(file: string, source: CsvSource): { header: string[]; rows: CsvRow[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new BadInputError(`cannot read ${where(file, source)}: no such file`);
    const reason = error instanceof Error ? error.message.replace(/, \w+ '.*'$/, "") : String(error);
    throw new BadInputError(`cannot read ${source.what} ${where(file, source)}: ${reason}`);
  }
  try {
    return parseTable(text);
  } catch (error) {
    throw new BadInputError(
      `${where(file, source)} is not a tcpsweep ${source.what}: not CSV (${error instanceof Error ? error.message : String(error)})`,
    );
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
  return table;
}
