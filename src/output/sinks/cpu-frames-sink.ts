/** `<csv name>.cpu-frames.csv`: every CPU-profiled run's top frames by self time, long format, one append per run. */
import type { RunRecord } from "../../record/run-record.js";
import { cpuFramesCsvPath } from "../../rundir/run-dir.js";
import { CsvWriter } from "../csv.js";
import type { RunSink, SinkSetup } from "./sink.js";

export const CPU_FRAME_COLUMNS = ["run_id", "cell", "repeat", "target", "rank", "frame", "self_samples", "self_pct", "kernel"];

export class CpuFramesSink implements RunSink {
  private readonly writer: CsvWriter;

  constructor(setup: SinkSetup) {
    this.writer = new CsvWriter(cpuFramesCsvPath(setup.csvFile), CPU_FRAME_COLUMNS, { followSymlinks: Boolean(setup.followSymlinks) });
    this.writer.open(setup.mode);
  }

  write(record: RunRecord): void {
    const profile = record.cpuProfile;
    if (!profile || profile.topFrames.length === 0) return;
    const identity = { run_id: record.run_id, cell: record.cell, repeat: record.repeat, target: profile.target };
    this.writer.append(
      ...profile.topFrames.map((frame, index) => ({
        ...identity,
        rank: index + 1,
        frame: frame.frame,
        self_samples: frame.samples,
        self_pct: Number((100 * frame.share).toFixed(2)),
        kernel: frame.frame.endsWith("_[k]") ? 1 : 0,
      })),
    );
  }

  close(): void {}
}
