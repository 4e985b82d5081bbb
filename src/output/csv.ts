/** The main CSV: header guard, one append per row (a row is never split), reading back for --resume. */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { Row } from "./columns.js";

export class CsvHeaderError extends Error {}

export function readCsvHeader(file: string): string[] | undefined {
  if (!existsSync(file)) return undefined;
  const firstLine = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  if (firstLine.trim() === "") return undefined;
  return (parse(firstLine) as string[][])[0];
}

/** Says why rows with `header` cannot go into `file`, or undefined when they can. */
export function headerMismatch(file: string, header: readonly string[]): string | undefined {
  const existing = readCsvHeader(file);
  if (!existing) return undefined;
  const index = header.findIndex((column, i) => existing[i] !== column);
  const differs = index === -1 ? (existing.length === header.length ? -1 : header.length) : index;
  if (differs === -1) return undefined;
  return (
    `${file} has another header: column ${differs + 1} is "${existing[differs] ?? "(none)"}" there but this sweep writes "${header[differs] ?? "(none)"}"; ` +
    `write to another file (output.csv) or start a new one with output.mode: new`
  );
}

export class CsvWriter {
  constructor(
    readonly file: string,
    readonly header: readonly string[],
  ) {}

  /** Creates the file with its header (mode new: replacing it), or checks the existing header. */
  open(mode: "append" | "new"): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    if (mode === "append") {
      const mismatch = headerMismatch(this.file, this.header);
      if (mismatch) throw new CsvHeaderError(mismatch);
      if (readCsvHeader(this.file)) return;
    }
    writeFileSync(this.file, stringify([this.header]));
  }

  /** One write(2) with O_APPEND per call: an interrupted run leaves whole rows only. */
  append(...rows: Row[]): void {
    appendFileSync(this.file, stringify(rows.map((row) => this.header.map((column) => row[column] ?? ""))));
  }
}

/** Every row of a CSV as column → value. */
export function readCsvRows(file: string): Record<string, string>[] {
  if (!existsSync(file)) return [];
  return parse(readFileSync(file, "utf8"), { columns: true, skip_empty_lines: true, relax_column_count: true }) as Record<string, string>[];
}
