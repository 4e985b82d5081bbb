/**
 * The end-of-sweep pivot of the run, and the count of its runs that were not ok. Read back from the
 * main CSV as the sweep ends rather than kept in memory: a resumed run's pivot has every cell of the
 * run, not only those this process ran, and no sink holds a second copy of the rows.
 */
import path from "node:path";
import { readCsvRows } from "../../rundir/results-csv.js";
import { latestRows } from "../../rundir/runs.js";
import { formatPivot } from "../pivot.js";
import { pivotNoteLines } from "../pivot-notes.js";
import type { RunSink, SinkSetup } from "./sink.js";

export class PivotSink implements RunSink {
  constructor(private readonly setup: SinkSetup) {}

  write(): void {}

  close(end: { interrupted: boolean }): void {
    const { out, matrixKeys, csvFile, runId } = this.setup;
    const rows = latestRows(readCsvRows(csvFile).filter((row) => row.run_id === runId));
    const pivot = formatPivot(rows, matrixKeys);
    if (pivot) out.write(`\n${pivot}\n`);
    const notes = pivotNoteLines(rows);
    if (notes.length > 0) out.write(`\n${notes.join("\n")}\n`);
    if (end.interrupted) return;
    const notOk = rows.filter((row) => row.status !== "ok").length;
    out.write(`\n${rows.length} runs, ${notOk} not ok; rows in ${path.relative(process.cwd(), csvFile)}\n`);
  }
}
