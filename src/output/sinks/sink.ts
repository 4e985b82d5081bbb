/**
 * Where run records go. The runner hands every sink each record as soon as its run ends and
 * closes them all at the end (also after an interrupt); it knows sinks, not formats. Adding an
 * output format is one file implementing {@link RunSink} plus one line in open.ts.
 */
import type { RunRecord } from "../../record/run-record.js";

export interface RunSink {
  /** A run is about to start (for live progress). */
  started?(label: string): void;
  /** One finished run. */
  write(record: RunRecord): void;
  /** The sweep is over: flush, print summaries. Called once, also when a signal interrupted it. */
  close(end: { interrupted: boolean }): void;
}

/** What the sinks need to know of the sweep (plain values: output/ knows nothing of the sweep). */
export interface SinkSetup {
  /** The main CSV (absolute). */
  csvFile: string;
  /** The run the records belong to (a resumed run keeps its id). */
  runId: string;
  /** `append` checks an existing file's header; `new` replaces the file. */
  mode: "append" | "new";
  matrixKeys: readonly string[];
  /** Extra columns after the standard ones (a regex client's named groups). */
  extraColumns: readonly string[];
  /** Write the CSVs through symbolic links (--follow-symlinks). */
  followSymlinks?: boolean;
  /** Whether runs carry syscall tables (a profiled sweep). */
  syscalls: boolean;
  /** Whether runs carry CPU profiles (profile.cpu): their top frames go to `<csv name>.cpu-frames.csv`. */
  cpuFrames?: boolean;
  /** Runs planned, and seconds one run should take (for the ETA). */
  runs: number;
  estimatedRunS: number;
  /** Where progress and the pivot go. */
  out: NodeJS.WriteStream;
  /** `run --quiet`: no progress lines and no pivot (the files are written as ever). */
  quiet?: boolean;
}

/** Label of a run in progress lines. */
export const runLabel = (record: Pick<RunRecord, "cell" | "repeat">) => `${record.cell} #${record.repeat}`;
