/** The end-of-sweep verdicts of a sweep that compares servers (`servers:`): which is faster in each cell, and by how much. */
import { recordToRow, type Row } from "../output/columns.js";
import type { RunSink } from "../output/sinks/sink.js";
import type { RunRecord } from "../record/run-record.js";
import { formatVerdicts, verdictsBy } from "./by-dimension.js";

export class VerdictSink implements RunSink {
  private readonly rows: Row[] = [];

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly by: { key: string; baseline?: string },
  ) {}

  write(record: RunRecord): void {
    this.rows.push(recordToRow(record));
  }

  close(end: { interrupted: boolean }): void {
    if (end.interrupted || this.rows.length === 0) return;
    this.out.write(`\n${formatVerdicts(verdictsBy(this.rows, this.by.key, this.by))}\n`);
  }
}
