/**
 * The nightly layout, named here and nowhere else (scripts/nightly.sh asks `tcpsweep nightly-paths`):
 *
 *   <root>/<night>/<spec>.csv              the night's rows (a run directory: report, raw … beside it, run-dir.ts)
 *   <root>/<night>/<spec>.log              everything the night printed but its summary line
 *   <root>/<night>/<spec>.run.json         `run --json`
 *   <root>/<night>/<spec>.compare.json     `compare --json --flame` with the latest earlier night
 *   <root>/<night>/<spec>.flame/           its differential flame graphs of the regressed cells (run-dir.ts names them)
 *   <root>/<night>/<spec>.history/         the trend report; <spec>.history.txt its summary part
 *   <root>/<spec>.calibration.json         the spec's calibration on this machine (calibrationOf)
 *
 *   <root>/.lock                          the script's own flock, taken before it rebuilds dist/ (so named there)
 *
 * Nights are directories named so that they sort by date (YYYY-MM-DD).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { calibrationPath, historyDirPath, isResultsCsvName, reportDirPath } from "./run-dir.js";

/** A night's CSV of a spec: `<root>/<night>/<spec>.csv`. */
export const nightlyCsvPath = (root: string, night: string, spec: string) => path.join(root, night, `${spec}.csv`);

/** The spec's name in the layout: its file name without `.yaml`. */
export const nightlySpecName = (specFile: string) => path.basename(specFile, ".yaml");

export interface NightlyPaths {
  name: string;
  out: string;
  csv: string;
  log: string;
  run_json: string;
  report_dir: string;
  compare_json: string;
  history_dir: string;
  history_txt: string;
  /** The latest earlier night's CSV of the same spec ("" when there is none). */
  previous: string;
}

export function nightlyPaths(root: string, night: string, specFile: string): NightlyPaths {
  const name = nightlySpecName(specFile);
  const csv = nightlyCsvPath(root, night, name);
  const beside = (suffix: string) => path.join(root, night, `${name}${suffix}`);
  return {
    name,
    out: path.join(root, night),
    csv,
    log: beside(".log"),
    run_json: beside(".run.json"),
    report_dir: reportDirPath(csv),
    compare_json: beside(".compare.json"),
    history_dir: historyDirPath(csv),
    history_txt: beside(".history.txt"),
    previous: previousNightCsv(root, night, name) ?? "",
  };
}

/** The latest night before `night` holding a CSV of the spec. */
export function previousNightCsv(root: string, night: string, name: string): string | undefined {
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((entry) => !entry.startsWith(".") && entry < night)
    .sort()
    .map((entry) => nightlyCsvPath(root, entry, name))
    .filter((file) => existsSync(file))
    .at(-1);
}

/** `key='value'` lines a POSIX shell can `eval` (values single-quoted). */
export function shellAssignments(paths: NightlyPaths): string {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  return (Object.entries(paths) as [string, string][]).map(([key, value]) => `${key}=${quote(value)}\n`).join("");
}

/**
 * The calibration that applies to a CSV: the one beside it, else the one beside its directory
 * (a night's CSV <root>/<night>/<spec>.csv is calibrated by <root>/<spec>.calibration.json).
 */
export function calibrationOf(csvFile: string): string | undefined {
  const beside = calibrationPath(csvFile);
  const ofTheNights = calibrationPath(path.join(path.dirname(path.dirname(csvFile)), path.basename(csvFile)));
  return [beside, ofTheNights].find((file) => existsSync(file));
}

/** One night's results CSV of one spec. */
export interface NightlyCsv {
  night: string;
  spec: string;
  csv: string;
}

/** Every night's results CSVs under `root`, nights in date order, specs by name within a night. */
export function nightlyCsvs(root: string): NightlyCsv[] {
  const nights = readdirSync(root)
    .filter((entry) => !entry.startsWith(".") && isDirectory(path.join(root, entry)))
    .sort();
  return nights.flatMap((night) =>
    entriesOf(path.join(root, night))
      .filter(isResultsCsvName)
      .sort()
      .map((name) => ({ night, spec: path.basename(name, ".csv"), csv: path.join(root, night, name) })),
  );
}

/**
 * A night is a directory one can list. A dangling link, a link loop, an unreadable entry or one
 * removed meanwhile is not a night, and must not stop history.
 */
function isDirectory(entry: string): boolean {
  try {
    return statSync(entry).isDirectory();
  } catch {
    return false;
  }
}

function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
