/**
 * `tcpsweep run --resume`: which run to continue. The run's meta.json is the record: it is written
 * as the run starts and gets `finished_at` when every cell × repeat has run, so an interrupted
 * run is the latest run of this spec and CSV without it. Its rows say which cell × repeat runs are
 * already ok; the rest (missing, failed, degraded) run again under the same run_id, so the run
 * stays one run. A finished run with runs not ok is continued the same way; a finished run whose
 * every run is ok is not.
 */
import { readCsvRows } from "../rundir/results-csv.js";
import { metaPath, readRunMeta, runMetasOf, type RunMeta } from "../rundir/run-dir.js";
import type { SweepSpec } from "./spec.js";

export type ResumePlan =
  | { kind: "none" }
  | { kind: "finished"; runId: string }
  /** `meta` is undefined for a run written before meta.json recorded progress (or whose file is gone). */
  | { kind: "resume"; runId: string; done: Set<string>; meta: RunMeta | undefined };

export const runKey = (cellId: string, repeat: number | string) => `${cellId}#${repeat}`;

/** The spec's runs in the CSV's directory by their meta.json, and by the CSV's rows for runs without one. */
function knownRuns(spec: SweepSpec, rows: readonly Record<string, string>[]): { runId: string; startedAt: string; meta?: RunMeta }[] {
  const runs = new Map<string, { runId: string; startedAt: string; meta?: RunMeta }>();
  for (const meta of runMetasOf(spec.output.csv, spec.name))
    runs.set(meta.run_id, { runId: meta.run_id, startedAt: meta.started_at ?? meta.written_at ?? "", meta });
  for (const row of rows) {
    const startedAt = row.started_at ?? "";
    const run = runs.get(row.run_id ?? "");
    if (!run) runs.set(row.run_id ?? "", { runId: row.run_id ?? "", startedAt });
    else if (!run.meta && startedAt < run.startedAt) run.startedAt = startedAt;
  }
  return [...runs.values()].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
}

/** What `--resume` should do for `spec` (call it holding the CSV's lock). */
export function planResume(spec: SweepSpec): ResumePlan {
  const rows = readCsvRows(spec.output.csv).filter((row) => row.spec === spec.name);
  const latest = knownRuns(spec, rows).at(-1);
  if (!latest) return { kind: "none" };
  // The last row of a cell × repeat counts: a failed run that an earlier --resume ran again is ok now.
  const last = new Map<string, string>();
  for (const row of rows) if (row.run_id === latest.runId) last.set(runKey(row.cell ?? "", row.repeat ?? ""), row.status ?? "");
  const done = new Set([...last].filter(([, status]) => status === "ok").map(([key]) => key));
  // A finished run whose every run is ok is never resumed; one that finished with runs not ok
  // (failed, degraded) is: those run again under its run_id, as an interrupted run's missing ones do.
  if (latest.meta?.finished_at && done.size === last.size) return { kind: "finished", runId: latest.runId };
  return {
    kind: "resume",
    runId: latest.runId,
    done,
    meta: latest.meta ?? readRunMeta(metaPath(spec.output.csv, spec.name, latest.runId)),
  };
}
