/** The main CSV: one row per run, appended whole as soon as the run ends. */
import type { RunRecord } from "../../record/run-record.js";
import { csvHeader, recordToRow } from "../columns.js";
import { CsvWriter } from "../csv.js";
import type { RunSink, SinkSetup } from "./sink.js";

export class CsvSink implements RunSink {
  private readonly writer: CsvWriter;

  /** Opens the file now (creating it, or checking its header), so a mismatch stops the sweep before any run. */
  constructor(setup: SinkSetup) {
    this.writer = new CsvWriter(setup.csvFile, csvHeader(setup.matrixKeys, setup.extraColumns), {
      followSymlinks: Boolean(setup.followSymlinks),
    });
    this.writer.open(setup.mode);
  }

  write(record: RunRecord): void {
    this.writer.append(recordToRow(record));
  }

  close(): void {}
}
