/** The main CSV: header guard, one append per row (a row is never split). Reading one back is src/rundir/results-csv.ts. */
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { readCsvHeader } from "../rundir/results-csv.js";
import { SAFE_CSV_CAST } from "../untrusted/csv-cell.js";
import { UnsafePathError, isSymlink, openForWrite, symlinkRefusal } from "../untrusted/files.js";
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

/**
 * Says why rows with `header` cannot go into `file`, or undefined when they can. The same columns
 * in another order can: rows follow the file's order, and every reader goes by column name (a CSV
 * written before the verdict-first order keeps taking a nightly's rows).
 */
export function headerMismatch(file: string, header: readonly string[], options: { followSymlinks?: boolean } = {}): string | undefined {
  let existing: string[] | undefined;
  try {
    existing = readCsvHeader(file, options);
  } catch (error) {
    if (error instanceof UnsafePathError)
      return `${error.message}: tcpsweep appends only to a regular file it wrote; choose another output.csv`;
    throw error;
  }
  if (!existing) return undefined;
  // A file that is not a tcpsweep CSV is named, never quoted: it may be /proc/self/environ or a .env.
  if (existing[0] !== header[0])
    return (
      `${file} is not a tcpsweep CSV (its first line is not a header starting with ${header[0]}); ` +
      `write to another file (output.csv, --csv); tcpsweep appends only to a CSV it wrote`
    );
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

/** Columns by name; a name that is not a placeholder name (tcpsweep writes no other) is counted, not shown. */
const listed = (columns: readonly string[]) => {
  const named = columns.filter((column) => COLUMN_NAME.test(column));
  const unnamed = columns.length - named.length;
  const shown = named.length > 4 ? [...named.slice(0, 4).map((c) => `"${c}"`), `${named.length - 4} more`] : named.map((c) => `"${c}"`);
  if (unnamed > 0) shown.push(`${unnamed} not named like a column`);
  return `column${columns.length > 1 ? "s" : ""} ${shown.join(", ")}`;
};
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Says why `mode: new` must not replace `file` (it exists and is not a CSV tcpsweep wrote with this
 * kind of header), or undefined when it may: a typo in output.csv must not truncate /etc/passwd.
 */
export function replaceRefusal(file: string, header: readonly string[]): string | undefined {
  let existing: string[] | undefined;
  try {
    if (!existsSync(file) || statSync(file).size === 0) return undefined;
    existing = readCsvHeader(file, { followSymlinks: true }); // a link in its place is refused by its own check
  } catch {
    existing = undefined;
  }
  if (existing?.[0] === header[0]) return undefined;
  return `${file} exists and is not a tcpsweep CSV (its first line is not a header starting with ${header[0]}); output.mode: new replaces only a tcpsweep CSV: move the file away or choose another output.csv`;
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
