/** The end-of-sweep verdicts of a sweep that compares servers (`servers:`): which is faster in each cell, and by how much. */
import type { RunRecord } from "../../record/run-record.js";
import { formatVerdicts, verdictsBy } from "../../compare/by-dimension.js";
import { recordToRow, type Row } from "../columns.js";
import type { RunSink, SinkSetup } from "./sink.js";

export class VerdictSink implements RunSink {
  private readonly rows: Row[] = [];

  constructor(
    private readonly setup: SinkSetup,
    private readonly by: NonNullable<SinkSetup["compareBy"]>,
  ) {}

  write(record: RunRecord): void {
    this.rows.push(recordToRow(record));
  }

  close(end: { interrupted: boolean }): void {
    if (end.interrupted || this.rows.length === 0) return;
    this.setup.out.write(`\n${formatVerdicts(verdictsBy(this.rows, this.by.key, this.by))}\n`);
  }
}
