/**
 * The series of the nightly layout (results/nightly/<night>/<spec>.csv) or of results CSVs named
 * on the command line: one series per spec × cell × metric, one point per night (per run for a CSV
 * file), the point being the median of that night's ok repeats. A night without a value is a gap
 * with its reason, never a zero. CSVs are read by rundir's one reader; runs chosen by its chooser.
 */
import { BadInputError } from "../model/bad-input.js";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { readResultsCsv, type CsvRow } from "../rundir/results-csv.js";
import { groupByCell, runsOf, type CsvRun } from "../rundir/runs.js";
import { metaPath, readRunMeta } from "../rundir/run-dir.js";
import { nightlyCsvs } from "../rundir/nightly-layout.js";
import { median } from "../output/stats.js";
import { HISTORY_METRICS, type Builds, type HistoryPoint, type HistorySeries } from "./series.js";

const REQUIRED = ["run_id", "cell", "repeat", "status", "resp_per_s"] as const;

/** One night (or run) of one spec: its time, its cells' rows, its builds. */
interface Observation {
  spec: string;
  time: string;
  cells: Map<string, { cell: string; rows: CsvRow[] }>;
  builds?: Builds;
}

function buildsOf(csvFile: string, spec: string, runId: string): Builds | undefined {
  const meta = readRunMeta(metaPath(csvFile, spec, runId));
  if (!meta) return undefined;
  const server = meta.server;
  const serverBuild =
    server === null || server === undefined
      ? "none"
      : server.builtin
        ? `built-in ${server.git_describe ?? server.tcpsweep_version}`
        : (server.binaries[0]?.git_describe ?? server.binaries[0]?.sha256?.slice(0, 12) ?? "unknown");
  return { tcpsweep: meta.tcpsweep.git_describe ?? meta.tcpsweep.package_version, server: serverBuild };
}

function observation(csvFile: string, run: CsvRun, time: string): Observation {
  const spec = run.specs[0] ?? path.basename(csvFile, ".csv");
  const builds = buildsOf(csvFile, spec, run.runId);
  return { spec, time, cells: groupByCell(run.rows), ...(builds ? { builds } : {}) };
}

const readRuns = (csvFile: string) => runsOf(readResultsCsv(csvFile, { what: "results CSV", required: REQUIRED }).rows);

/** A night whose sweep stopped before its first row left a header alone: that night has no run (its cells become gaps), not bad input. */
function readNightRuns(file: string): CsvRun[] {
  try {
    return readRuns(file);
  } catch (error) {
    if (error instanceof BadInputError && error.message.endsWith("has a header but no rows")) return [];
    throw error;
  }
}

/** The nights of a nightly directory: each night's latest run of each spec's CSV. */
function nightlyObservations(dir: string): Observation[] {
  const observations: Observation[] = [];
  for (const { night, spec, csv } of nightlyCsvs(dir)) {
    const run = readNightRuns(csv).at(-1);
    if (run) observations.push({ ...observation(csv, run, night), spec });
  }
  if (observations.length === 0) {
    throw new BadInputError(
      `${dir} holds no nights: expected <night>/<spec>.csv (the layout scripts/nightly.sh writes); give a nightly directory or results CSVs`,
    );
  }
  return observations;
}

/** Every run of each CSV file, oldest first: each run is one point. */
function fileObservations(files: readonly string[]): Observation[] {
  return files.flatMap((file) => readRuns(file).map((run) => observation(file, run, run.startedAt || run.runId)));
}

/** A night's value of one metric of one cell, or the gap and why. */
function pointOf(observation: Observation, cellKey: string, column: string): HistoryPoint {
  const base = { time: observation.time, ...(observation.builds ? { builds: observation.builds } : {}) };
  const entry = observation.cells.get(cellKey);
  if (!entry) return { ...base, repeats: [], gap: "cell not in this night's spec" };
  const ok = entry.rows.filter((row) => row.status === "ok");
  if (ok.length === 0) {
    const statuses = [...new Set(entry.rows.map((row) => row.status || "?"))].join("/");
    return { ...base, repeats: [], gap: `cell failed (${statuses})` };
  }
  const repeats = ok.map((row) => Number(row[column])).filter((value, i) => ok[i]![column] !== "" && Number.isFinite(value));
  if (repeats.length === 0) return { ...base, repeats: [], gap: column.includes("syscalls") ? "not profiled" : `no ${column}` };
  return { ...base, value: median(repeats), repeats };
}

/** Series of every spec × cell × metric that has at least one value. */
function seriesOf(observations: readonly Observation[]): HistorySeries[] {
  const specs = [...new Set(observations.map((o) => o.spec))];
  const result: HistorySeries[] = [];
  for (const spec of specs) {
    const nights = observations.filter((o) => o.spec === spec);
    const cells = new Map<string, string>();
    for (const night of nights) for (const [key, entry] of night.cells) if (!cells.has(key)) cells.set(key, entry.cell);
    for (const [key, cell] of cells) {
      for (const metric of HISTORY_METRICS) {
        const points = nights.map((night) => pointOf(night, key, metric.column));
        if (!points.some((point) => point.value !== undefined)) continue;
        result.push({
          name: `${spec} ${cell} ${metric.name}`,
          spec,
          cell,
          metric: metric.name,
          lowerIsBetter: metric.lowerIsBetter,
          points,
        });
      }
    }
  }
  return result;
}

/** The series of a nightly directory, or of results CSV files. */
export function readHistory(inputs: readonly string[]): HistorySeries[] {
  if (inputs.length === 1 && existsSync(inputs[0]!) && statSync(inputs[0]!).isDirectory()) return seriesOf(nightlyObservations(inputs[0]!));
  for (const input of inputs) {
    if (!existsSync(input)) throw new BadInputError(`${input}: no such file or directory`);
    if (statSync(input).isDirectory()) throw new BadInputError(`${input} is a directory: give one nightly directory, or results CSV files`);
  }
  return seriesOf(fileObservations(inputs));
}
