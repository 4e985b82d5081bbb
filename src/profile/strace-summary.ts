/**
 * Parser for the call-summary table that `strace -c` / `strace -C` prints at the very end of
 * its output (stderr or the `-o FILE`), possibly after trace lines, attach messages and the
 * traced program's own output. The format, with real captures, is documented in
 * test/fixtures/strace/README.md:
 *
 *   [System call usage summary for 32 bit mode:]      only before a non-native table
 *   % time     seconds  usecs/call     calls    errors syscall
 *   ------ ----------- ----------- --------- --------- ----------------
 *    36.10    0.000196         196         1           execve
 *   ------ ----------- ----------- --------- --------- ----------------
 *   100.00    0.000543          16        32         1 total
 *
 * Column extents come from the dashed separator, never from splitting on whitespace: a blank
 * errors cell (= 0) makes whitespace splitting ambiguous once `-U` reorders the columns.
 */
import { stringify } from "csv-stringify/sync";
import { SAFE_CSV_CAST } from "../untrusted/csv-cell.js";

/** One line of a summary table. The six base keys are always present (null when `-U` left
 *  their column out); the other keys exist only when the table has that column. */
export interface SyscallRow {
  syscall: string;
  calls: number | null;
  errors: number | null;
  seconds: number | null;
  usecs_per_call: number | null;
  percent_time: number | null;
  min_seconds?: number | null;
  max_seconds?: number | null;
  wall_seconds?: number | null;
  wall_min_seconds?: number | null;
  wall_max_seconds?: number | null;
  wall_usecs_per_call?: number | null;
}

export interface SyscallTable {
  /** "32 bit", "64 bit" or "x32"; absent for the native personality's table. */
  personality?: string;
  /** Header titles, left to right, exactly as printed. */
  columns: string[];
  /** Never empty: strace omits the whole table when nothing was counted. */
  rows: SyscallRow[];
  total: SyscallRow;
}

/** The first table printed (normally the native one), plus the others when there are several. */
export interface StraceSummary extends SyscallTable {
  extra_tables?: SyscallTable[];
}

export type StraceParseErrorKind = "no-summary" | "truncated" | "malformed";

/** Missing or damaged input is a value, never a thrown exception. */
export class StraceParseError {
  constructor(
    readonly kind: StraceParseErrorKind,
    readonly message: string,
    /** 1-based line where the problem was found, when there is one. */
    readonly line?: number,
  ) {}
}

type NumericKey = Exclude<keyof SyscallRow, "syscall">;
/** How strace prints a numeric cell; drives both parsing and re-printing. */
type NumericFormat = "percent" | "seconds" | "count" | "errors" | "average";
type ColumnSpec = { key: "syscall" } | { key: NumericKey; format: NumericFormat };

const COLUMN_SPECS: ReadonlyMap<string, ColumnSpec> = new Map<string, ColumnSpec>([
  ["% time", { key: "percent_time", format: "percent" }],
  ["seconds", { key: "seconds", format: "seconds" }],
  ["usecs/call", { key: "usecs_per_call", format: "average" }],
  ["calls", { key: "calls", format: "count" }],
  ["errors", { key: "errors", format: "errors" }],
  ["syscall", { key: "syscall" }],
  ["shortest", { key: "min_seconds", format: "seconds" }],
  ["longest", { key: "max_seconds", format: "seconds" }],
  // strace >= 7.1 can print wall-clock columns next to the CPU-time ones.
  ["wall-total", { key: "wall_seconds", format: "seconds" }],
  ["wall-min", { key: "wall_min_seconds", format: "seconds" }],
  ["wall-max", { key: "wall_max_seconds", format: "seconds" }],
  ["wall-avg", { key: "wall_usecs_per_call", format: "average" }],
]);

const SEPARATOR = /^-+(?: -+)*$/;
const PERSONALITY_HEADING = /^System call usage summary for (.+) mode:$/;
const SYSCALL_NAME = /^\S+$/;
const UNSIGNED = /^\d+$/;
// strace's printf follows LC_NUMERIC, so some locales print a decimal comma.
const FIXED_POINT = /^-?\d+[.,]\d+$/;

interface TableLayout {
  /** The separator line as printed (trailing blanks dropped); the closing one is identical. */
  separator: string;
  widths: number[];
  titles: string[];
  specs: ColumnSpec[];
}

/** The input split into lines, remembering whether the last one may have been cut short. */
class OutputLines {
  readonly lines: string[];
  private readonly endsMidLine: boolean;

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
    this.endsMidLine = !text.endsWith("\n");
    if (!this.endsMidLine) this.lines.pop(); // the "" after the final newline is not a line
  }

  /** True when the input stops before line `index` is complete: it is missing or unterminated. */
  stopsAt(index: number): boolean {
    return index >= this.lines.length || (this.endsMidLine && index === this.lines.length - 1);
  }
}

/**
 * Finds the call-summary table(s) in strace's output. Never throws.
 *
 * Empty input is a "no-summary" error, not a table of zero syscalls. strace prints nothing at
 * all when no syscall matched its `-e` filter (fixture empty_no_syscalls), but it also prints
 * nothing when it is SIGKILLed, and the text alone cannot tell those apart, so the caller
 * decides what an empty file means.
 */
export function parseStraceSummary(text: string): StraceSummary | StraceParseError {
  const input = new OutputLines(text);
  // The table starts at the first header line directly followed by a dashed separator; a
  // program line that merely looks like the header has no separator under it.
  const firstHeader = input.lines.findIndex((_, index) => readLayout(input, index) !== null);
  if (firstHeader === -1) return noSummaryError(text);

  const first = parseTable(input, firstHeader, personalityOf(input.lines[firstHeader - 1]));
  if (first instanceof StraceParseError) return first;
  const extraTables: SyscallTable[] = [];
  let index = first.nextIndex;
  while (index < input.lines.length) {
    const personality = personalityOf(input.lines[index]);
    if (personality === undefined) {
      index++; // program output or strace messages after the table
      continue;
    }
    const extra = parseTable(input, index + 1, personality);
    if (extra instanceof StraceParseError) return extra;
    extraTables.push(extra.table);
    index = extra.nextIndex;
  }
  return extraTables.length > 0 ? { ...first.table, extra_tables: extraTables } : first.table;
}

function noSummaryError(text: string): StraceParseError {
  const found = text.trim() === "" ? "the input is empty" : "no header line followed by a dashed separator";
  return new StraceParseError(
    "no-summary",
    `no strace -c summary table (${found}). Check that strace ran with -c or -C (with -o FILE the table is ` +
      "in FILE, not on stderr) and was not killed with SIGKILL, which prints nothing; strace also prints " +
      "nothing when no syscall matched its -e filter",
  );
}

function personalityOf(line: string | undefined): string | undefined {
  return line === undefined ? undefined : PERSONALITY_HEADING.exec(line)?.[1];
}

/** The layout when line `index` is a summary header over a separator, null when it is not one. */
function readLayout(input: OutputLines, index: number): TableLayout | StraceParseError | null {
  const header = input.lines[index];
  const separator = input.lines[index + 1]?.trimEnd();
  if (header === undefined || separator === undefined || !SEPARATOR.test(separator)) return null;
  const widths = separator.split(" ").map((dashes) => dashes.length);
  const titles = splitCells(header, widths);
  if (titles === null || !titles.includes("syscall")) return null;
  const specs: ColumnSpec[] = [];
  for (const title of titles) {
    const spec = COLUMN_SPECS.get(title);
    if (spec === undefined) {
      return new StraceParseError("malformed", `unknown column "${title}" in the summary header at line ${index + 1}`, index + 1);
    }
    specs.push(spec);
  }
  return { separator, widths, titles, specs };
}

/**
 * Cuts a line into trimmed cells the way strace's printf wrote them: each cell fills at least
 * its column's width and is followed by one space. In strace <= 5.5 a number wider than its
 * fixed column (a 20-digit usecs/call) pushes the rest of the line right, so a cell runs on
 * to the next space. The last cell is the rest of the line, since a last syscall column is
 * not padded. Null when the line is too short for the columns.
 */
function splitCells(line: string, widths: readonly number[]): string[] | null {
  const cells: string[] = [];
  let start = 0;
  for (const [column, width] of widths.entries()) {
    if (column === widths.length - 1) {
      cells.push(line.slice(start).trim());
      break;
    }
    let end = start + width;
    if (end > line.length) return null;
    while (end < line.length && line[end] !== " ") end++;
    cells.push(line.slice(start, end).trim());
    start = end + 1;
  }
  return cells;
}

interface ParsedTable {
  table: SyscallTable;
  /** Index of the first line after the total line. */
  nextIndex: number;
}

function parseTable(input: OutputLines, headerIndex: number, personality: string | undefined): ParsedTable | StraceParseError {
  const layout = readLayout(input, headerIndex);
  if (layout instanceof StraceParseError) return layout;
  if (layout === null) {
    // Only reachable for a personality heading: the first table was found by its layout.
    return input.stopsAt(headerIndex + 1)
      ? truncatedError(headerIndex - 1, headerIndex)
      : new StraceParseError("malformed", `the heading at line ${headerIndex} is not followed by a summary table`, headerIndex);
  }
  const rows: SyscallRow[] = [];
  let index = headerIndex + 2;
  for (; input.lines[index]?.trimEnd() !== layout.separator; index++) {
    const row = parseRow(input.lines[index], layout, false);
    if (row === undefined) return damagedLineError(input, headerIndex, index, "is not a row of the summary table");
    rows.push(row);
  }
  if (rows.length === 0) {
    return new StraceParseError("malformed", `the summary table at line ${headerIndex + 1} has no syscall rows`, headerIndex + 1);
  }
  const totalIndex = index + 1;
  const total = parseRow(input.lines[totalIndex], layout, true);
  if (total?.syscall !== "total") return damagedLineError(input, headerIndex, totalIndex, "should be the table's total line");
  const mismatch = countMismatch(rows, total);
  if (mismatch !== undefined) {
    return new StraceParseError(
      "malformed",
      `the summary table at line ${headerIndex + 1} does not add up: ${mismatch} (a row is missing, duplicated or damaged)`,
      totalIndex + 1,
    );
  }
  return {
    table: { ...(personality === undefined ? {} : { personality }), columns: layout.titles, rows, total },
    nextIndex: totalIndex + 1,
  };
}

/** strace's total line sums calls and errors exactly, so a lost, repeated or altered row shows here. */
function countMismatch(rows: readonly SyscallRow[], total: SyscallRow): string | undefined {
  for (const key of ["calls", "errors"] as const) {
    const printed = total[key];
    const sum = rows.reduce((subtotal, row) => subtotal + (row[key] ?? 0), 0);
    if (printed !== null && sum !== printed) return `its rows' ${key} sum to ${sum} but its total line says ${printed}`;
  }
  return undefined;
}

/** A line that does not parse is a truncation when the input stops there, otherwise damage. */
function damagedLineError(input: OutputLines, headerIndex: number, index: number, problem: string): StraceParseError {
  const line = input.lines[index];
  if (line === undefined || input.stopsAt(index)) return truncatedError(headerIndex, index);
  const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
  return new StraceParseError("malformed", `line ${index + 1} ${problem}: "${shown}"`, index + 1);
}

function truncatedError(headerIndex: number, index: number): StraceParseError {
  return new StraceParseError(
    "truncated",
    `the summary table starting at line ${headerIndex + 1} is cut off at line ${index + 1}, before its total line: ` +
      "the output is incomplete (strace killed while writing it, or a partial copy of the file)",
    index + 1,
  );
}

/** The row on `line`, or undefined when the line is missing or a cell is damaged. */
function parseRow(line: string | undefined, layout: TableLayout, onTotalLine: boolean): SyscallRow | undefined {
  const cells = line === undefined ? null : splitCells(line, layout.widths);
  if (cells === null) return undefined;
  const row: SyscallRow = { syscall: "", calls: null, errors: null, seconds: null, usecs_per_call: null, percent_time: null };
  for (const [column, cell] of cells.entries()) {
    const spec = layout.specs[column]!;
    if (spec.key === "syscall") {
      if (!SYSCALL_NAME.test(cell)) return undefined;
      row.syscall = cell;
      continue;
    }
    const value = parseNumericCell(cell, spec.format, onTotalLine);
    if (value === undefined) return undefined;
    row[spec.key] = value;
  }
  return row;
}

/** The cell's value, or undefined when the cell is damaged. */
function parseNumericCell(cell: string, format: NumericFormat, onTotalLine: boolean): number | null | undefined {
  if (cell === "") {
    if (format === "errors") return 0; // printed with %*.0u, so 0 is blank (also on the total line)
    if (format === "average" && onTotalLine) return null; // strace <= 5.5 leaves the total's average blank
    return undefined;
  }
  if (format === "percent" || format === "seconds") {
    return FIXED_POINT.test(cell) ? Number(cell.replace(",", ".")) : undefined;
  }
  // A legacy negative average is printed as a wrapped unsigned 64-bit value (20 digits); it
  // is kept as a number even though it loses precision.
  return UNSIGNED.test(cell) ? Number(cell) : undefined;
}

function tablesOf(summary: StraceSummary): SyscallTable[] {
  return [summary, ...(summary.extra_tables ?? [])];
}

const CSV_ROW_KEYS = [
  "syscall",
  "calls",
  "errors",
  "seconds",
  "usecs_per_call",
  "percent_time",
  "min_seconds",
  "max_seconds",
] as const satisfies readonly (keyof SyscallRow)[];
const WALL_KEYS = ["wall_seconds", "wall_min_seconds", "wall_max_seconds", "wall_usecs_per_call"] as const satisfies readonly NumericKey[];

/**
 * One CSV line per row and per total line (syscall "total") of every table; `table` is
 * "native" or the personality. Absent and null values are empty cells. strace >= 7.1 wall
 * columns are appended only when a table has them.
 */
export function summaryToCsv(summary: StraceSummary): string {
  const tables = tablesOf(summary);
  const wallKeys = WALL_KEYS.filter((key) => tables.some((table) => key in table.total));
  const records = tables.flatMap((table) => [...table.rows, table.total].map((row) => ({ table: table.personality ?? "native", ...row })));
  return stringify(records, { header: true, columns: ["table", ...CSV_ROW_KEYS, ...wallKeys], cast: SAFE_CSV_CAST });
}

/**
 * Prints the tables again in strace's own layout (its column order, widths fitted to the
 * values), so the result reads like strace's output and parses back to the same summary.
 */
export function formatSummaryTable(summary: StraceSummary): string {
  return tablesOf(summary).map(formatTable).join("");
}

function formatTable(table: SyscallTable): string {
  const columns = table.columns.flatMap((title) => {
    const spec = COLUMN_SPECS.get(title);
    return spec === undefined ? [] : [{ title, spec }];
  });
  const cellsOf = (row: SyscallRow): string[] =>
    columns.map(({ spec }) => (spec.key === "syscall" ? row.syscall : formatNumber(row[spec.key], spec.format)));
  const header = columns.map(({ title }) => title);
  const rows = table.rows.map(cellsOf);
  const total = cellsOf(table.total);
  const widths = header.map((title, column) =>
    // A loop, not Math.max(...rows): a table of 200,000 rows would overflow the call stack.
    rows.reduce((widest, cells) => Math.max(widest, cells[column]!.length), Math.max(title.length, total[column]!.length)),
  );
  const isLast = (column: number): boolean => column === columns.length - 1;
  // Like strace: numbers right-aligned, the syscall name left-aligned and unpadded when last.
  const formatLine = (cells: string[]): string =>
    cells
      .map((cell, column) => {
        if (columns[column]!.spec.key !== "syscall") return cell.padStart(widths[column]!);
        return isLast(column) ? cell : cell.padEnd(widths[column]!);
      })
      .join(" ");
  const separator = widths.map((width) => "-".repeat(width)).join(" ");
  const heading = table.personality === undefined ? [] : [`System call usage summary for ${table.personality} mode:`];
  const lines = [...heading, formatLine(header), separator, ...rows.map(formatLine), separator, formatLine(total)];
  return `${lines.join("\n")}\n`;
}

function formatNumber(value: number | null | undefined, format: NumericFormat): string {
  if (value === null || value === undefined) return "";
  if (format === "percent") return value.toFixed(2);
  if (format === "seconds") return value.toFixed(6);
  return String(value);
}
