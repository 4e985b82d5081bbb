/** The main CSV: header guard, one append per row (a row is never split). Reading one back is src/rundir/results-csv.ts. */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { readCsvHeader } from "../rundir/results-csv.js";
import type { Row } from "./columns.js";

export class CsvHeaderError extends Error {}

/**
 * Says why rows with `header` cannot go into `file`, or undefined when they can. The same columns
 * in another order can: rows follow the file's order, and every reader goes by column name (a CSV
 * written before the verdict-first order keeps taking a nightly's rows).
 */
export function headerMismatch(file: string, header: readonly string[]): string | undefined {
  const existing = readCsvHeader(file);
  if (!existing) return undefined;
  const missing = header.filter((column) => !existing.includes(column));
  const unknown = existing.filter((column) => !header.includes(column));
  if (missing.length === 0 && unknown.length === 0 && existing.length === header.length) return undefined;
  const differences = [
    ...(missing.length > 0 ? [`this sweep writes ${listed(missing)} that it has not`] : []),
    ...(unknown.length > 0 ? [`it has ${listed(unknown)} that this sweep does not write`] : []),
    ...(missing.length === 0 && unknown.length === 0 ? ["it repeats a column"] : []),
  ];
  return (
    `${file} has another header: ${differences.join(", and ")}; ` +
    `write to another file (output.csv, --csv) or start a new one with output.mode: new (report and compare still read the old file)`
  );
}

const listed = (columns: readonly string[]) => {
  const shown = columns.length > 4 ? [...columns.slice(0, 4), `${columns.length - 4} more`] : columns;
  return `column${columns.length > 1 ? "s" : ""} ${shown.map((column) => `"${column}"`).join(", ")}`;
};

export class CsvWriter {
  constructor(
    readonly file: string,
    /** The columns rows are written in: ours, or an appended file's own order of the same columns. */
    private header: readonly string[],
  ) {}

  /** Creates the file with its header (mode new: replacing it), or checks the existing header and adopts its order. */
  open(mode: "append" | "new"): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    if (mode === "append") {
      const mismatch = headerMismatch(this.file, this.header);
      if (mismatch) throw new CsvHeaderError(mismatch);
      const existing = readCsvHeader(this.file);
      if (existing) {
        this.header = existing;
        return;
      }
    }
    writeFileSync(this.file, stringify([this.header]));
  }

  /**
   * The rows whole or not at all: one write(2) on an O_APPEND descriptor (a signal cannot split it), and
   * when the write fails or comes up short (ENOSPC, a full quota) the file is truncated back to its
   * previous size before the error goes on, so no torn row is left for --resume or a reader to trip on.
   */
  append(...rows: Row[]): void {
    const bytes = Buffer.from(stringify(rows.map((row) => this.header.map((column) => row[column] ?? ""))));
    const fd = openSync(this.file, "a");
    try {
      const before = fstatSync(fd).size; // we hold the CSV's lock: nobody else appends meanwhile
      try {
        const written = writeSync(fd, bytes);
        if (written !== bytes.length) throw new Error(`short write (${written} of ${bytes.length} bytes), the disk is probably full`);
      } catch (error) {
        ftruncateSync(fd, before);
        throw new Error(`cannot append to ${this.file}: ${(error as Error).message}; the row was not written (the file keeps whole rows only)`, { cause: error });
      }
    } finally {
      closeSync(fd);
    }
  }
}
