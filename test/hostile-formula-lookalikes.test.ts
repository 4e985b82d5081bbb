/**
 * Issue 33, class 10: formula starts after whitespace or as full-width look-alikes. The neutraliser
 * prefixes them with `'`; a CSV tcpsweep wrote is opened in headless LibreOffice with its most
 * permissive import (trim spaces, evaluate formulas, detect special numbers), saved back as CSV, and
 * every cell must come back exactly as written: none evaluated. The control row (a raw "=1+1",
 * written without tcpsweep) shows the same import does evaluate what is not neutralised.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it } from "vitest";
import { CsvWriter } from "../src/output/csv.js";
import { readCsvRows } from "../src/rundir/results-csv.js";
import { looksLikeFormula, neutraliseCsvText, restoreCsvText } from "../src/untrusted/csv-cell.js";
import { requireTool } from "./helpers/system-tools.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const LOOKALIKES = [
  " -2+3",
  "\n-2+3",
  "\v+1",
  "\f-1+2",
  "\u00a0@SUM(1)",
  "\uff0b1+1",
  " =1+1",
  "  +1+1",
  "\u3000=1+1",
  "\u00a0=1+1",
  "\uff1d1+1",
  "\uff0d1+1",
  "\uff20SUM(1)",
  "\r\n=1+1",
  " \t=1+1",
];

/** LibreOffice's CSV import: comma, ", UTF-8, line 1, -, en-US, quoted as text no, special numbers yes, …, trim spaces yes, -, evaluate formulas yes. */
const PERMISSIVE_IMPORT = "CSV:44,34,76,1,,1033,false,true,false,false,true,-1,true";
const PLAIN_EXPORT = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1";

/** The cells of `file` after LibreOffice opened and saved it (values as shown: evaluated formulas show their result). */
function throughLibreOffice(file: string): string[][] {
  const dir = path.dirname(file);
  const profile = path.join(dir, "lo-profile");
  const out = path.join(dir, "lo-out");
  execFileSync(
    requireTool("soffice"),
    [
      `-env:UserInstallation=file://${profile}`,
      "--headless",
      `--infilter=${PERMISSIVE_IMPORT}`,
      "--convert-to",
      PLAIN_EXPORT,
      "--outdir",
      out,
      file,
    ],
    { stdio: "ignore", timeout: 180_000 },
  );
  const name = path.basename(file, ".csv");
  return parse(readFileSync(path.join(out, `${name}-${name}.csv`), "utf8"), { relax_column_count: true }) as string[][];
}

describe("formula look-alikes", () => {
  it("are neutralised and read back exactly", () => {
    for (const text of LOOKALIKES) {
      const cell = neutraliseCsvText(text);
      expect(cell, JSON.stringify(text)).toBe(`'${text}`);
      expect(looksLikeFormula(cell), JSON.stringify(text)).toBe(false);
      expect(restoreCsvText(cell)).toBe(text);
    }
    for (const plain of ["  hello", "\u00a0text", "-5", "a =1"]) expect(neutraliseCsvText(plain)).toBe(plain);
  });

  it("headless LibreOffice evaluates none of them in a CSV tcpsweep wrote, while a raw =1+1 is evaluated", () => {
    const dir = makeTempDir();
    const file = path.join(dir, "lookalikes.csv");
    const writer = new CsvWriter(file, ["id", "value"]);
    writer.open("new");
    writer.append(...LOOKALIKES.map((text, i) => ({ id: `v${i}`, value: text })));
    expect(readCsvRows(file).map((row) => row.value)).toEqual(LOOKALIKES);
    const written = parse(readFileSync(file, "utf8")) as string[][];
    // The control: the same import evaluates an unneutralised formula and a space-trimmed one.
    writeFileSync(file, `${readFileSync(file, "utf8")}control,=1+1\ncontrol2, =2+2\n`);
    const shown = throughLibreOffice(file);
    expect(shown.slice(-2)).toEqual([
      ["control", "2"],
      ["control2", "4"],
    ]);
    // LibreOffice stores a cell's CRLF as LF (a line break, not an evaluation): compare with that folded.
    expect(shown.slice(0, -2)).toEqual(written.map((record) => record.map((cell) => cell.replace(/\r\n/g, "\n"))));
  }, 240_000);
});
