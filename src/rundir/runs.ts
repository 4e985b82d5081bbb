/**
 * The runs of a results CSV (one CSV holds every run of a spec, told apart by run_id) and
 * choosing one: by id, or the latest. `report`, `compare` and `run --json` choose alike.
 */
import { ResultsInputError, type CsvRow } from "./results-csv.js";

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

/** The run `runId` (default: the latest) of `runs`; an unknown id is a ResultsInputError naming the runs there are. */
export function chooseRun(runs: readonly CsvRun[], runId: string | undefined, where: string): CsvRun {
  if (runId === undefined) {
    const latest = runs.at(-1);
    if (!latest) throw new ResultsInputError(`${where} has no runs`);
    return latest;
  }
  const run = runs.find((candidate) => candidate.runId === runId);
  if (run) return run;
  const known = runs.map((candidate) => candidate.runId);
  const listed = known.length > 5 ? [...known.slice(0, 2), "…", ...known.slice(-2)] : known;
  throw new ResultsInputError(`${where} has no run ${runId}; its runs: ${listed.join(", ")}`);
}

/** Cell ids match whatever order the matrix keys were written in. */
const cellKey = (cell: string) => cell.split(",").sort().join(",");

/** Rows by cell; of a cell × repeat written twice (a failed run that --resume ran again) the later row counts. */
export function groupByCell<R extends Partial<Record<string, unknown>>>(rows: readonly R[]): Map<string, { cell: string; rows: R[] }> {
  const latest = new Map<string, R>();
  for (const row of rows) latest.set(`${cellKey(String(row.cell ?? ""))}#${String(row.repeat ?? "")}`, row);
  const cells = new Map<string, { cell: string; rows: R[] }>();
  for (const row of latest.values()) {
    const cell = String(row.cell ?? "");
    const entry = cells.get(cellKey(cell)) ?? { cell, rows: [] };
    entry.rows.push(row);
    cells.set(cellKey(cell), entry);
  }
  return cells;
}
