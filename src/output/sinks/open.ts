/** The sinks of a sweep, in the order they receive each record (the syscall table before the row that refers to it). */
import { CpuFramesSink } from "./cpu-frames-sink.js";
import { CsvSink } from "./csv-sink.js";
import { PivotSink } from "./pivot-sink.js";
import { ProgressSink } from "./progress-sink.js";
import type { RunSink, SinkSetup } from "./sink.js";
import { SummarySink } from "./summary-sink.js";
import { SyscallTableSink } from "./syscalls-sink.js";

export function openSinks(setup: SinkSetup): RunSink[] {
  return [
    ...(setup.syscalls ? [new SyscallTableSink(setup)] : []),
    ...(setup.cpuFrames ? [new CpuFramesSink(setup)] : []),
    new CsvSink(setup),
    ...(setup.quiet ? [] : [new ProgressSink(setup), new PivotSink(setup)]),
    new SummarySink(setup),
  ];
}
