/**
 * `<csv name>.summary.csv`: one row per cell of the run, rewritten whole when the run ends (also
 * when interrupted, and when --resume ends it). It re-reads the run's rows from the main CSV, so a
 * resumed run's table has every cell, not only those run this time.
 */
import { renameSync } from "node:fs";
import { readCsvRows } from "../../rundir/results-csv.js";
import { summaryCsvPath } from "../../rundir/run-dir.js";
import { cellFigures, summaryHeader, summaryRow } from "../cell-figures.js";
import { CsvWriter } from "../csv.js";
import type { RunSink, SinkSetup } from "./sink.js";

/** Writes the summary of run `runId` of `csvFile` beside it, replacing the previous one in one rename. */
export function writeSummaryCsv(csvFile: string, runId: string, matrixKeys: readonly string[]): string {
  const file = summaryCsvPath(csvFile);
  const rows = readCsvRows(csvFile).filter((row) => row.run_id === runId);
  const partial = `${file}.${process.pid}.tmp`;
  const writer = new CsvWriter(partial, summaryHeader(matrixKeys));
  writer.open("new");
  const figures = cellFigures(rows, matrixKeys);
  if (figures.length > 0) writer.append(...figures.map((cell) => summaryRow(runId, cell)));
  renameSync(partial, file);
  return file;
}

export class SummarySink implements RunSink {
  constructor(private readonly setup: SinkSetup) {}

  write(): void {}

  close(): void {
    const { csvFile, runId, matrixKeys, out } = this.setup;
    try {
      writeSummaryCsv(csvFile, runId, matrixKeys);
    } catch (error) {
      // The rows are safe in the main CSV; the summary can be rebuilt from them by the next run's end.
      out.write(`warning: could not write the summary CSV: ${(error as Error).message}\n`);
    }
  }
}
