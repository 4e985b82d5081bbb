/** The end-of-sweep pivot of this run's records, and the count of runs that were not ok. */
import path from "node:path";
import type { RunRecord } from "../../record/run-record.js";
import { recordToRow, type Row } from "../columns.js";
import { formatPivot } from "../pivot.js";
import { pivotNoteLines } from "../pivot-notes.js";
import type { RunSink, SinkSetup } from "./sink.js";

export class PivotSink implements RunSink {
  private readonly rows: Row[] = [];

  constructor(private readonly setup: SinkSetup) {}

  write(record: RunRecord): void {
    this.rows.push(recordToRow(record));
  }

  close(end: { interrupted: boolean }): void {
    const { out, matrixKeys, csvFile } = this.setup;
    const pivot = formatPivot(this.rows, matrixKeys);
    if (pivot) out.write(`\n${pivot}\n`);
    const notes = pivotNoteLines(this.rows);
    if (notes.length > 0) out.write(`\n${notes.join("\n")}\n`);
    if (end.interrupted) return;
    const notOk = this.rows.filter((row) => row.status !== "ok").length;
    out.write(`\n${this.rows.length} runs, ${notOk} not ok; rows in ${path.relative(process.cwd(), csvFile)}\n`);
  }
}
