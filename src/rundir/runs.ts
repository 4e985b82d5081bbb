/**
 * The runs of a results CSV (one CSV holds every run of a spec, told apart by run_id) and
 * choosing one: by id, the latest, or the finished run before another. `report`, `compare`,
 * `compare --by` and `run --json` choose alike, here.
 */
import { BadInputError } from "../model/bad-input.js";
import { sameCellKey } from "../model/cell-id.js";
import { readResultsCsv, type CsvRow, type CsvSource } from "./results-csv.js";
import { metaPath, readRunMeta } from "./run-dir.js";

export interface CsvRun {
  runId: string;
  /** Spec names of its rows (one, unless two specs shared a run id). */
  specs: string[];
  /** Earliest and latest started_at of its rows ("" when they have none). */
  startedAt: string;
  lastStartedAt: string;
  rows: CsvRow[];
}

/** The runs in the rows, oldest first by their earliest started_at (rows without one first), file order on ties. */
export function runsOf(rows: readonly CsvRow[]): CsvRun[] {
  const runs = new Map<string, CsvRun & { order: number }>();
  rows.forEach((row, order) => {
    const id = row.run_id ?? "";
    const run = runs.get(id) ?? { runId: id, specs: [], startedAt: "", lastStartedAt: "", rows: [], order };
    const startedAt = row.started_at ?? "";
    if (startedAt !== "" && (run.startedAt === "" || startedAt < run.startedAt)) run.startedAt = startedAt;
    if (startedAt > run.lastStartedAt) run.lastStartedAt = startedAt;
    if (row.spec && !run.specs.includes(row.spec)) run.specs.push(row.spec);
    run.rows.push(row);
    runs.set(id, run);
  });
  return [...runs.values()]
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.order - b.order))
    .map(({ order: _order, ...run }) => run);
}

/** The run `runId` (default: the latest) of `runs`; an unknown id is a BadInputError naming the runs there are. */
export function chooseRun(runs: readonly CsvRun[], runId: string | undefined, where: string): CsvRun {
  if (runId === undefined) {
    const latest = runs.at(-1);
    if (!latest) throw new BadInputError(`${where} has no runs`);
    return latest;
  }
  const run = runs.find((candidate) => candidate.runId === runId);
  if (run) return run;
  const known = runs.map((candidate) => candidate.runId);
  const listed = known.length > 5 ? [...known.slice(0, 2), "…", ...known.slice(-2)] : known;
  throw new BadInputError(`${where} has no run ${runId}; its runs: ${listed.join(", ")}`);
}

/** A chosen run; `R` is how a caller types its rows (compare reads them as output/columns' Row, which CsvRow satisfies). */
export interface RunSelection<R extends object = CsvRow> {
  file: string;
  runId: string;
  /** The spec name of the run's rows (meta.json is found by it). */
  spec: string;
  /** The earliest started_at of the run's rows. */
  startedAt: string;
  rows: R[];
  /** Every run in the file, oldest first (for messages). */
  allRuns: string[];
  /** From the run's meta.json: false for an interrupted run; undefined without one (or from before it recorded this). */
  finished?: boolean;
}

/** Which run of a file: by id (default the latest), or the nearest finished run before another (a run without meta.json counts as finished). */
export type RunPick = { runId?: string } | { finishedBefore: string };

/** What the file is to the command, for messages ("BASE", "NEW"), and the columns it must have. */
export type RunSource = Omit<CsvSource, "what"> & { required: readonly string[] };

function finishedOf(file: string, run: CsvRun): boolean | undefined {
  const meta = readRunMeta(metaPath(file, run.rows[0]?.spec ?? "", run.runId));
  return meta?.finished_at === undefined ? undefined : meta.finished_at !== null;
}

/** One run of a results CSV a user named, with what its meta.json says of it. */
export function selectRun(file: string, source: RunSource, pick: RunPick = {}): RunSelection {
  const { rows } = readResultsCsv(file, { ...source, what: "CSV" });
  const runs = runsOf(rows);
  const where = source.label ? `${source.label} ${file}` : file;
  const run = "finishedBefore" in pick ? finishedRunBefore(file, runs, pick.finishedBefore) : chooseRun(runs, pick.runId, where);
  const finished = finishedOf(file, run);
  return {
    file,
    runId: run.runId,
    spec: run.rows[0]?.spec ?? "",
    startedAt: run.startedAt,
    rows: run.rows,
    allRuns: runs.map((r) => r.runId),
    ...(finished !== undefined ? { finished } : {}),
  };
}

function finishedRunBefore(file: string, runs: readonly CsvRun[], runId: string): CsvRun {
  const before = runs.slice(
    0,
    runs.findIndex((run) => run.runId === runId),
  );
  const found = [...before].reverse().find((run) => finishedOf(file, run) !== false);
  if (found) return found;
  const why =
    before.length === 0
      ? `it has only run ${runId}`
      : `no run before ${runId} finished (${before.map((run) => run.runId).join(", ")} were interrupted)`;
  throw new BadInputError(
    `${file}: no earlier finished run to compare run ${runId} with: ${why}; run the sweep again, or give --base RUN_ID or a second CSV`,
  );
}

/** A row's cell or repeat as text: read back it is a string, in memory a number may be. */
const text = (value: unknown) => (typeof value === "string" || typeof value === "number" ? String(value) : "");

/** Rows by cell; of a cell × repeat written twice (a failed run that --resume ran again) the later row counts. */
export function groupByCell<R extends Partial<Record<string, unknown>>>(rows: readonly R[]): Map<string, { cell: string; rows: R[] }> {
  const latest = new Map<string, R>();
  for (const row of rows) latest.set(`${sameCellKey(text(row.cell))}#${text(row.repeat)}`, row);
  const cells = new Map<string, { cell: string; rows: R[] }>();
  for (const row of latest.values()) {
    const cell = text(row.cell);
    const entry = cells.get(sameCellKey(cell)) ?? { cell, rows: [] };
    entry.rows.push(row);
    cells.set(sameCellKey(cell), entry);
  }
  return cells;
}

/** The rows of a run as they stand: of a cell × repeat written twice (--resume ran it again) only the later. */
export const latestRows = <R extends Partial<Record<string, unknown>>>(rows: readonly R[]): R[] =>
  [...groupByCell(rows).values()].flatMap((cell) => cell.rows);
