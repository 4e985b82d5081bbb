/**
 * Which two runs `tcpsweep compare` compares. Every run of a spec appends to one CSV, so one file
 * is the usual case: `compare FILE` takes its latest run as NEW and the finished run before it as
 * BASE. With two files each gives its latest run. `--base` / `--new` pick runs by id. A run is
 * never compared with itself: that could only ever say "no change".
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import { BadInputError } from "../model/bad-input.js";
import { selectRun, type RunSelection } from "./compare.js";

export interface RunChoice {
  baseFile: string;
  /** Absent: BASE and NEW are both runs of baseFile. */
  newFile?: string;
  baseRun?: string;
  newRun?: string;
}

const sameFile = (a: string, b: string) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
};

const runPick = (runId: string | undefined) => (runId === undefined ? {} : { runId });

export function selectRunsToCompare(choice: RunChoice): { base: RunSelection; next: RunSelection } {
  const newFile = choice.newFile ?? choice.baseFile;
  const next = selectRun(newFile, "NEW", runPick(choice.newRun));
  const base =
    choice.newFile === undefined && choice.baseRun === undefined
      ? selectRun(choice.baseFile, "BASE", { finishedBefore: next.runId })
      : selectRun(choice.baseFile, "BASE", runPick(choice.baseRun));
  if (base.runId === next.runId && sameFile(base.file, next.file)) {
    const hint =
      choice.newFile !== undefined && choice.baseRun === undefined && choice.newRun === undefined
        ? `; to compare its previous finished run with the latest, give the file once: tcpsweep compare ${choice.baseFile}`
        : "; pick another with --base RUN_ID or --new RUN_ID";
    throw new BadInputError(
      `BASE and NEW are the same run ${next.runId} of ${newFile}: a run compared with itself can only say "no change"${hint}`,
    );
  }
  return { base, next };
}
