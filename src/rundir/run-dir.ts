/**
 * The run directory: every file tcpsweep keeps beside a results CSV, named here and nowhere else.
 *
 *   results/smoke.csv                       the rows (one per cell × repeat)
 *   results/smoke.summary.csv               one row per cell of the latest run (rewritten as it ends)
 *   results/smoke.syscalls.csv              profiled runs' syscall tables, long format
 *   results/smoke.cpu-frames.csv            CPU-profiled runs' top frames by self time
 *   results/smoke.raw/<run_id>/             each run's raw outputs (client, profilers)
 *   results/<spec>.<run_id>.meta.json       each run's environment and progress
 *   results/smoke.csv.lock                  the PID of the run writing the CSV
 *   results/smoke.report/                   `tcpsweep report`'s default output
 *   results/smoke.flame/                    `compare --flame`'s differential flame graphs of its runs
 *   results/smoke.calibrate.csv             `tcpsweep calibrate`'s same-build runs
 *   results/smoke.calibration.json          what they showed: false alarms and power against repeat
 *
 * `run`, `--resume`, `report`, `compare`, `calibrate` and the nightly find these files through this module.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fchmodSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RunEnvironment } from "../environment/environment.js";
import { UnsafePathError, isSymlink, openForWrite, readConfinedFile, symlinkRefusal } from "../untrusted/files.js";

/** A meta.json is a few KiB; one far larger is not ours. */
const MAX_META_BYTES = 16 * 1024 * 1024;

/** The CSV's name without `.csv`: the stem of the files beside it. */
const stem = (csvFile: string) => path.join(path.dirname(csvFile), path.basename(csvFile, ".csv"));

/** One row per cell of the latest run: results/smoke.csv → results/smoke.summary.csv. */
export const summaryCsvPath = (csvFile: string) => `${stem(csvFile)}.summary.csv`;
/** The results CSV a summary CSV was written from (results/smoke.summary.csv → results/smoke.csv); undefined for any other name. */
export const resultsCsvOfSummary = (file: string) =>
  file.endsWith(".summary.csv") ? `${file.slice(0, -".summary.csv".length)}.csv` : undefined;

export const syscallsCsvPath = (csvFile: string) => `${stem(csvFile)}.syscalls.csv`;

/** The CSVs tcpsweep writes beside a results CSV (each named by a function here); none is a results CSV. */
const SIDE_CSV = /\.(summary|syscalls|cpu-frames|calibrate)\.csv$/;
/** Is a file of this name a results CSV (not one of the CSVs written beside one)? */
export const isResultsCsvName = (name: string) => name.endsWith(".csv") && !SIDE_CSV.test(name);

/** The longest file name part made from a value (cell id, run id, spec name); the rest goes into a hash. */
const MAX_NAME_PART = 120;

/**
 * A value as one safe file name part: letters, digits and `_ . , = + -` only, no `..`, no leading
 * `.` or `-`, at most {@link MAX_NAME_PART} characters. A value that had to change gets a hash of
 * itself appended, so two values never share a name ("a/b" and "a_b" stay apart).
 */
export function safeFileName(value: string): string {
  const cleaned = value
    .replace(/[^A-Za-z0-9_.,=+-]/g, "_")
    .replace(/\.{2,}/g, "_")
    .replace(/^[.-]/, "_");
  if (cleaned === value && value.length > 0 && value.length <= MAX_NAME_PART) return value;
  const hash = createHash("sha256").update(value).digest("hex").slice(0, 10);
  return `${cleaned.slice(0, MAX_NAME_PART - 11)}~${hash}`;
}

/** Where a run's raw outputs go: `<csv name>.raw/<run_id>/`. */
export const rawDirOf = (csvFile: string) => `${stem(csvFile)}.raw`;
export const rawDirPath = (csvFile: string, runId: string) => path.join(rawDirOf(csvFile), safeFileName(runId));

/** The start of one run's raw file names: `<raw dir>/<cell id>.r<repeat>` (then `.log`, `.strace-server.txt` …). */
export const rawRunBase = (rawDir: string, cellId: string, repeat: number) => path.join(rawDir, `${safeFileName(cellId)}.r${repeat}`);

/** A run's CPU profile as folded stacks: `<raw dir>/<cell id>.r<repeat>.cpu-server.folded`. */
export const cpuFoldedPath = (runBase: string, target: string) => `${runBase}.cpu-${target}.folded`;

/** Every profiled run's top frames by self time (`results/smoke.cpu-frames.csv`), beside the syscall table. */
export const cpuFramesCsvPath = (csvFile: string) => `${stem(csvFile)}.cpu-frames.csv`;

/** `compare --flame`'s differential flame graphs: results/smoke.csv → results/smoke.flame/. */
export const flameDirPath = (csvFile: string) => `${stem(csvFile)}.flame`;

/** The start of a cell's differential flame graphs of one NEW run: `flame-<cell>.<new run>-vs-`. */
const differentialStart = (cell: string, newRun: string) => `flame-${safeFileName(cell)}.${safeFileName(newRun)}-vs-`;

/** A cell's differential flame graph, NEW run against BASE run: `<name>.flame/flame-<cell>.<new run>-vs-<base run>.svg`. */
export const differentialFlamePath = (csvFile: string, cell: string, newRun: string, baseRun: string) =>
  path.join(flameDirPath(csvFile), `${differentialStart(cell, newRun)}${safeFileName(baseRun)}.svg`);

/** The differential flame graphs `compare --flame` wrote of a cell of this run (its NEW side), each with its BASE run's name. */
export function differentialFlamesOf(csvFile: string, cell: string, newRun: string): { file: string; baseRun: string }[] {
  const dir = flameDirPath(csvFile);
  const start = differentialStart(cell, newRun);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // compare --flame never wrote here
  }
  return names
    .filter((name) => name.startsWith(start) && name.endsWith(".svg"))
    .sort()
    .map((name) => ({ file: path.join(dir, name), baseRun: name.slice(start.length, -".svg".length) }));
}

export const lockPath = (csvFile: string) => `${csvFile}.lock`;

/**
 * Creates one run's raw directory (0700) and returns it. A symbolic link in place of `<name>.raw/`
 * or of the run's directory is refused like a link in place of the CSV (raw logs would land in its
 * target), unless `followSymlinks` (--follow-symlinks).
 */
export function makeRawDir(csvFile: string, runId: string, followSymlinks: boolean): string {
  const rawDir = rawDirPath(csvFile, runId);
  if (!followSymlinks) for (const dir of [rawDirOf(csvFile), rawDir]) if (isSymlink(dir)) throw new UnsafePathError(symlinkRefusal(dir));
  mkdirSync(rawDir, { recursive: true, mode: 0o700 }); // raw outputs may hold what a program printed
  return rawDir;
}

/** The report's default directory: results/smoke.csv → results/smoke.report/. */
export const reportDirPath = (csvFile: string) => `${stem(csvFile)}.report`;

/** A trend report over the nights beside a night's CSV (the nightly writes it; the CSV's report links to it). */
export const historyDirPath = (csvFile: string) => `${stem(csvFile)}.history`;

/** Where `tcpsweep calibrate` appends its runs: results/smoke.csv → results/smoke.calibrate.csv. */
export const calibrationRunsCsvPath = (csvFile: string) => `${stem(csvFile)}.calibrate.csv`;

/** The calibration of a spec on this machine: results/smoke.csv → results/smoke.calibration.json. */
export const calibrationPath = (csvFile: string) => `${stem(csvFile)}.calibration.json`;

/** Where a run's meta.json lives: beside the CSV, named by spec name and run id. */
export function metaPath(csvFile: string, specName: string, runId: string): string {
  return path.join(path.dirname(csvFile), `${safeFileName(specName)}.${safeFileName(runId)}.meta.json`);
}

export const META_VERSION = 1;

/** A remote host as its agent described itself at preflight. */
export interface RemoteHostMeta {
  name: string;
  ssh: string;
  roles: string[];
  hostname: string;
  kernel: string;
  node: string;
  cpus: number;
  tcpsweep_version: string;
}

/** `<spec>.<run_id>.meta.json`: the run, its progress, the environment it measured in and its spec. */
export type RunMeta = {
  meta_version: number;
  run_id: string;
  spec_name: string;
  spec_file: string;
  csv: string;
  written_at: string;
  /** When the run started; `--resume` continues the latest run of a spec and CSV that has no finished_at. */
  started_at?: string;
  /** When every cell × repeat of the run had been run (ok or not); null while running or after an interruption. */
  finished_at?: string | null;
  /** When `--resume` continued the run, oldest first. */
  resumed_at?: string[];
} & RunEnvironment & {
    /** CPU lists the trees were pinned to (null: not pinned). */
    placement: { server_cpus: string | null; client_cpus: string | null };
    /** Remote hosts (`hosts`), as each one's agent described itself at preflight. */
    remote_hosts?: RemoteHostMeta[];
    /** The resolved spec (RegExps as their source, secrets redacted). */
    spec: unknown;
  };

/** A meta.json as parsed JSON, for readers that take what they find (a newer meta version may move fields). */
export function readMetaJson(file: string): unknown {
  try {
    return JSON.parse(readConfinedFile(file, path.dirname(file), MAX_META_BYTES));
  } catch {
    return undefined;
  }
}

/** A run's meta.json, or undefined when it is missing or unreadable. */
export function readRunMeta(file: string): RunMeta | undefined {
  if (!existsSync(file)) return undefined;
  const meta = readMetaJson(file) as RunMeta | undefined;
  return typeof meta === "object" && meta !== null && typeof meta.run_id === "string" ? meta : undefined;
}

export async function writeRunMetaFile(file: string, meta: RunMeta): Promise<void> {
  // 0600: the run's environment and commands are nobody else's business; never through a link (docs/security.md).
  const fd = openForWrite(file, "truncate", { mode: 0o600 });
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, `${JSON.stringify(meta, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Records a run's progress in its meta.json (finished_at, resumed_at). This never fails the run:
 * a missing or unwritable file becomes one warning line on `out`.
 */
export async function updateRunMeta(file: string, update: (meta: RunMeta) => void, out: NodeJS.WritableStream): Promise<void> {
  const meta = readRunMeta(file);
  if (!meta) {
    out.write(`warning: cannot record the run's progress: ${file} is missing or unreadable\n`);
    return;
  }
  update(meta);
  try {
    await writeRunMetaFile(file, meta);
  } catch (error) {
    out.write(`warning: could not update ${file}: ${(error as Error).message}\n`);
  }
}

/** Every readable meta.json of `specName` whose run wrote `csvFile`. */
export function runMetasOf(csvFile: string, specName: string): RunMeta[] {
  const csv = path.resolve(csvFile);
  const dir = path.dirname(csv);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(`${specName}.`) && name.endsWith(".meta.json"))
    .flatMap((name) => readRunMeta(path.join(dir, name)) ?? [])
    .filter((meta) => meta.spec_name === specName && path.resolve(meta.csv) === csv);
}
