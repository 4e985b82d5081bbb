/** The main CSV: header guard, one append per row (a row is never split). Reading one back is src/rundir/results-csv.ts. */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { readCsvHeader } from "../rundir/results-csv.js";
import { headerMismatch, replaceRefusal } from "../rundir/writable.js";
import { SAFE_CSV_CAST } from "../untrusted/csv-cell.js";
import { isSymlink, openForWrite, symlinkRefusal } from "../untrusted/files.js";
import type { Row } from "./columns.js";

export class CsvHeaderError extends Error {}

/**
 * The one function that turns rows into CSV text for every CSV tcpsweep writes (main, summary,
 * syscall table, compare): text that a spreadsheet could take for a formula is neutralised
 * (src/untrusted/csv-cell.ts), numbers stay numbers.
 */
export function csvText(rows: readonly (readonly unknown[])[]): string {
  return stringify(rows as unknown[][], { cast: SAFE_CSV_CAST });
}

export class CsvWriter {
  constructor(
    readonly file: string,
    /** The columns rows are written in: ours, or an appended file's own order of the same columns. */
    public header: readonly string[],
    /** Write through a symbolic link (--follow-symlinks); refused otherwise. */
    readonly options: { followSymlinks?: boolean } = {},
  ) {}

  /** Creates the file with its header (mode new: replacing it, if it is a tcpsweep CSV), or checks the existing header and adopts its order. */
  open(mode: "append" | "new"): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    if (!this.options.followSymlinks && isSymlink(this.file)) throw new CsvHeaderError(symlinkRefusal(this.file));
    if (mode === "append") {
      const mismatch = headerMismatch(this.file, this.header, this.options);
      if (mismatch) throw new CsvHeaderError(mismatch);
      const existing = readCsvHeader(this.file, this.options);
      if (existing) {
        this.header = existing;
        return;
      }
    } else {
      const refusal = replaceRefusal(this.file, this.header);
      if (refusal) throw new CsvHeaderError(refusal);
    }
    const fd = openForWrite(this.file, "truncate", this.options);
    try {
      writeFileSync(fd, csvText([this.header]));
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The rows whole or not at all: one write(2) on an O_APPEND descriptor (a signal cannot split it), and
   * when the write fails or comes up short (ENOSPC, a full quota) the file is truncated back to its
   * previous size before the error goes on, so no torn row is left for --resume or a reader to trip on.
   */
  append(...rows: Row[]): void {
    const bytes = Buffer.from(csvText(rows.map((row) => this.header.map((column) => row[column] ?? ""))));
    const fd = openForWrite(this.file, "append", this.options);
    try {
      const before = fstatSync(fd).size; // we hold the CSV's lock: nobody else appends meanwhile
      try {
        const written = writeSync(fd, bytes);
        if (written !== bytes.length) throw new Error(`short write (${written} of ${bytes.length} bytes), the disk is probably full`);
      } catch (error) {
        ftruncateSync(fd, before);
        throw new Error(
          `cannot append to ${this.file}: ${(error as Error).message}; the row was not written (the file keeps whole rows only)`,
          { cause: error },
        );
      }
    } finally {
      closeSync(fd);
    }
  }
}
