/**
 * Issue 33, class 11: data that would pass compare's gate unseen is an input error (exit 2): an `ok`
 * row whose headline figure is NaN or Infinity, and a header that names a column twice. The check
 * is in the one CSV reader (src/rundir/results-csv.ts), so compare and report both refuse.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { afterEach, describe, expect, it } from "vitest";
import { HEADLINE_COLUMNS } from "../src/output/columns.js";
import { BadInputError } from "../src/model/bad-input.js";
import { readResultsCsv } from "../src/rundir/results-csv.js";
import { makeTempDir, removeTempDirs, runCli } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const HEADER = ["run_id", "started_at", "spec", "cell", "repeat", "connections", "status", "error", "resp_per_s", "latency_p99_us"];

function runsCsv(dir: string, name: string, figure: (run: string, repeat: number) => string[], header = HEADER): string {
  const rows: string[][] = [header];
  for (const [run, day] of [
    ["base", "01"],
    ["new", "02"],
  ])
    for (const repeat of [1, 2, 3])
      rows.push([run, `2026-01-${day}T00:00:0${repeat}Z`, "s", "connections=1", String(repeat), "1", "ok", "", ...figure(run, repeat)]);
  const file = path.join(dir, name);
  writeFileSync(file, stringify(rows));
  return file;
}

describe("the results reader's gate", () => {
  const source = { what: "results CSV", required: ["run_id", "status", "resp_per_s"], figures: HEADLINE_COLUMNS };

  it("refuses an ok row with a non-finite headline figure, naming row and column", () => {
    const dir = makeTempDir();
    for (const bad of ["NaN", "Infinity", "-Infinity", "inf", "1e400", "abc"]) {
      for (const column of [0, 1]) {
        const file = runsCsv(dir, "x.csv", (run, repeat) => {
          const figures = ["1000", "50"];
          if (run === "new" && repeat === 2) figures[column] = bad;
          return figures;
        });
        expect(() => readResultsCsv(file, source), bad).toThrow(BadInputError);
        expect(() => readResultsCsv(file, source), bad).toThrow(
          new RegExp(`row 5 is ok but its ${["resp_per_s", "latency_p99_us"][column]} is not a finite number`),
        );
      }
    }
    const failed = path.join(dir, "failed.csv");
    writeFileSync(
      failed,
      stringify([
        HEADER,
        ["r", "t", "s", "connections=1", "1", "1", "client_failed", "e", "NaN", ""],
        ["r", "t", "s", "connections=1", "2", "1", "ok", "", "5", ""],
      ]),
    );
    expect(readResultsCsv(failed, source).rows).toHaveLength(2); // a failed row's figures are not read as figures
  });

  it("refuses a header that names a column twice", () => {
    const dir = makeTempDir();
    for (const twice of ["run_id", "status", "resp_per_s", "connections"]) {
      const header = [...HEADER, twice];
      const file = runsCsv(dir, "d.csv", () => ["1000", "50", "x"], header);
      expect(() => readResultsCsv(file, source), twice).toThrow(new RegExp(`its header names "${twice}" more than once`));
    }
  });

  it("compare and report exit 2 on both, compare --json says so too", async () => {
    const dir = makeTempDir();
    runsCsv(dir, "nan.csv", (run) => (run === "new" ? ["NaN", "50"] : ["1000", "50"]));
    runsCsv(dir, "dup.csv", () => ["1000", "50", "relabelled"], [...HEADER, "run_id"]);
    for (const args of [
      ["compare", "nan.csv"],
      ["compare", "dup.csv", "--json"],
      ["report", "nan.csv"],
    ]) {
      const result = await runCli(args, { cwd: dir });
      expect(result.status, `${args.join(" ")}: ${result.stdout}${result.stderr}`).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(/not a finite number|more than once/);
    }
  }, 120_000);
});
