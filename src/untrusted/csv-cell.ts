/**
 * CSV cells a spreadsheet shows as text and never evaluates (OWASP "CSV injection"): a text cell
 * that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`. Numbers stay
 * numbers, and so does text that is a plain number ("-2.5"): a spreadsheet reads those as figures,
 * never as formulas. Every CSV tcpsweep writes goes through {@link SAFE_CSV_CAST}; every CSV it
 * reads back goes through {@link restoreCsvText}, so a value survives the round trip exactly.
 * Leading whitespace (any: space, \n, \v, \f, no-break and ideographic space) before a formula
 * start, and the full-width look-alikes ＝＋－＠, count as a formula start too: LibreOffice's
 * "Trim spaces" import evaluates " =1+1" (evidence: docs/security.md), and other spreadsheets trim
 * or fold differently, so every variant is neutralised rather than only the one seen evaluated.
 */

/** A formula start, possibly after whitespace or as a full-width look-alike; a tab or CR alone too. */
const FORMULA_LEAD = String.raw`(?:\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|[\t\r])`;
/** What a spreadsheet may take for the start of a formula (after any quotes we added before). */
const FORMULA_START = new RegExp(`^'*${FORMULA_LEAD}`, "u");
const FORMULA_AT_START = new RegExp(`^${FORMULA_LEAD}`, "u");
const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The text as a spreadsheet-safe cell: `'` before a formula start (and before `'` + formula start, so reading back is exact). */
export function neutraliseCsvText(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** The inverse of {@link neutraliseCsvText}, for tcpsweep's own reader. */
export function restoreCsvText(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell) ? cell.slice(1) : cell;
}

/** Does a cell, as written, start like a formula? (What the fuzz suite and tests check never happens.) */
export function looksLikeFormula(cell: string): boolean {
  return FORMULA_AT_START.test(cell) && !PLAIN_NUMBER.test(cell);
}

/** csv-stringify's `cast` option: text neutralised, numbers as numbers. */
export const SAFE_CSV_CAST = {
  string: (value: string) => neutraliseCsvText(value),
  number: (value: number) => String(value),
} as const;
