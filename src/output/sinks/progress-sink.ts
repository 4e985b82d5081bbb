/** Live progress: a line per run as it starts (on a terminal) and finishes. */
import type { RunRecord } from "../../record/run-record.js";
import { Progress } from "../progress.js";
import { runLabel, type RunSink, type SinkSetup } from "./sink.js";

export class ProgressSink implements RunSink {
  private readonly progress: Progress;
  private lastRespPerS?: number;

  constructor(setup: SinkSetup) {
    this.progress = new Progress(setup.runs, setup.estimatedRunS, setup.out);
  }

  started(label: string): void {
    this.progress.cellStarted(label, this.lastRespPerS);
  }

  write(record: RunRecord): void {
    if (record.status === "ok" && record.resp_per_s !== undefined) this.lastRespPerS = record.resp_per_s;
    const rate = `${Math.round(record.resp_per_s ?? 0)} resp/s`;
    const outcome =
      record.status === "ok"
        ? rate
        : record.status === "degraded"
          ? `${rate}, degraded: ${record.error}`
          : `${record.status}: ${record.error}`;
    this.progress.cellFinished(runLabel(record), outcome);
  }

  close(): void {}
}
