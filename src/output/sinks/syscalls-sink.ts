/** `<csv name>.syscalls.csv`: every profiled run's syscall tables, long format, one append per run. */
import type { RunRecord } from "../../record/run-record.js";
import { syscallRows, syscallsCsvWriter } from "../syscalls-csv.js";
import type { CsvWriter } from "../csv.js";
import type { RunSink, SinkSetup } from "./sink.js";

export class SyscallTableSink implements RunSink {
  private readonly writer: CsvWriter;

  constructor(setup: SinkSetup) {
    this.writer = syscallsCsvWriter(setup.csvFile, Boolean(setup.followSymlinks));
    this.writer.open(setup.mode);
  }

  write(record: RunRecord): void {
    const tables = record.syscallTables ?? [];
    if (tables.length === 0) return;
    const identity = { run_id: record.run_id, cell: record.cell, repeat: record.repeat };
    this.writer.append(...tables.flatMap((counts) => syscallRows(identity, counts)));
  }

  close(): void {}
}
