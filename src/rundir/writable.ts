/**
 * Whether a run may write its results CSV, answered in one call (issue 29): a link in its place,
 * a kernel pseudo-filesystem, a directory that cannot take files, `mode: new` over a file that is
 * not a tcpsweep CSV, a foreign header, another run's lock. The dry run, the real run's preflight
 * and the CSV writer (under the lock) all ask here, so they refuse alike and with the same words.
 */
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync, statfsSync } from "node:fs";
import path from "node:path";
import { UnsafePathError, isSymlink, symlinkRefusal } from "../untrusted/files.js";
import { lockBusyMessage, lockHolder } from "./lock.js";
import { readCsvHeader } from "./results-csv.js";

export interface OutputIntent {
  /** The columns this run writes (the first is the identity column a tcpsweep CSV starts with). */
  header: readonly string[];
  mode: "append" | "new";
  followSymlinks?: boolean;
  /** Make the CSV's directory now (the real run); else only check that it could be made. */
  create: boolean;
  /** Refuse when another live run holds the lock (the dry run); the real run waits for it instead. */
  lock: "refuse" | "wait";
}

/**
 * Filesystems that hold no user files: root's access(2) says yes there, and creating the CSV or its
 * lock fails only when the run starts (statfs(2) magic numbers, linux/magic.h).
 */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
  [0x62656572, "sysfs"],
  [0x9fa0, "proc"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0xcafe4a11, "bpf"],
  [0x62656570, "configfs"],
  [0x6165676c, "pstore"],
  [0x1cd1, "devpts"],
  [0xde5e81e4, "efivarfs"],
]);

/** Every reason rows cannot go into `file` (empty: they can). */
export function outputRefusals(file: string, intent: OutputIntent): string[] {
  if (!intent.followSymlinks && isSymlink(file)) return [symlinkRefusal(file)];
  const cannot = (why: string) => [`cannot write ${file}: ${why}`];
  try {
    const ancestor = existingAncestor(path.dirname(file));
    if (!statSync(ancestor).isDirectory()) return cannot(`${ancestor} is not a directory`);
    const pseudo = PSEUDO_FILESYSTEMS.get(statfsSync(ancestor).type);
    if (pseudo) return cannot(`${ancestor} is on ${pseudo}, a kernel filesystem that takes no files; choose another output.csv (--csv)`);
    if (intent.create) mkdirSync(path.dirname(file), { recursive: true });
    else accessSync(ancestor, constants.W_OK);
    if (existsSync(file)) {
      if (!statSync(file).isFile()) return cannot("it exists and is not a regular file");
      closeSync(openSync(file, "r+")); // writable, and left as it is
    }
  } catch (error) {
    return cannot((error as Error).message);
  }
  const refusals: string[] = [];
  const contents =
    intent.mode === "new"
      ? replaceRefusal(file, intent.header)
      : headerMismatch(file, intent.header, { followSymlinks: Boolean(intent.followSymlinks) });
  if (contents) refusals.push(contents);
  const holder = intent.lock === "refuse" ? lockHolder(file) : undefined;
  if (holder !== undefined) refusals.push(lockBusyMessage(file, holder));
  return refusals;
}

/** The nearest ancestor of `dir` that exists. */
function existingAncestor(dir: string): string {
  let found = dir;
  while (!existsSync(found) && path.dirname(found) !== found) found = path.dirname(found);
  return found;
}

/**
 * Says why rows with `header` cannot go into `file`, or undefined when they can. The same columns
 * in another order can: rows follow the file's order, and every reader goes by column name (a CSV
 * written before the verdict-first order keeps taking a nightly's rows).
 */
export function headerMismatch(file: string, header: readonly string[], options: { followSymlinks?: boolean } = {}): string | undefined {
  let existing: string[] | undefined;
  try {
    existing = readCsvHeader(file, options);
  } catch (error) {
    if (error instanceof UnsafePathError)
      return `${error.message}: tcpsweep appends only to a regular file it wrote; choose another output.csv`;
    throw error;
  }
  if (!existing) return undefined;
  // A file that is not a tcpsweep CSV is named, never quoted: it may be /proc/self/environ or a .env.
  if (existing[0] !== header[0])
    return (
      `${file} is not a tcpsweep CSV (its first line is not a header starting with ${header[0]}); ` +
      `write to another file (output.csv, --csv); tcpsweep appends only to a CSV it wrote`
    );
  const missing = header.filter((column) => !existing.includes(column));
  const unknown = existing.filter((column) => !header.includes(column));
  if (missing.length === 0 && unknown.length === 0 && existing.length === header.length) return undefined;
  const differences = [
    ...(missing.length > 0 ? [`this sweep writes ${listed(missing)} that it has not`] : []),
    ...(unknown.length > 0 ? [`it has ${listed(unknown)} that this sweep does not write`] : []),
    ...(missing.length === 0 && unknown.length === 0 ? ["it repeats a column"] : []),
  ];
  return (
    `${file} has another header: ${differences.join(", and ")}; ` +
    `write to another file (output.csv, --csv) or start a new one with output.mode: new (report and compare still read the old file)`
  );
}

/** Columns by name; a name that is not a placeholder name (tcpsweep writes no other) is counted, not shown. */
const listed = (columns: readonly string[]) => {
  const named = columns.filter((column) => COLUMN_NAME.test(column));
  const unnamed = columns.length - named.length;
  const shown = named.length > 4 ? [...named.slice(0, 4).map((c) => `"${c}"`), `${named.length - 4} more`] : named.map((c) => `"${c}"`);
  if (unnamed > 0) shown.push(`${unnamed} not named like a column`);
  return `column${columns.length > 1 ? "s" : ""} ${shown.join(", ")}`;
};
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Says why `mode: new` must not replace `file` (it exists and is not a CSV tcpsweep wrote with this
 * kind of header), or undefined when it may: a typo in output.csv must not truncate /etc/passwd.
 */
export function replaceRefusal(file: string, header: readonly string[]): string | undefined {
  let existing: string[] | undefined;
  try {
    if (!existsSync(file) || statSync(file).size === 0) return undefined;
    existing = readCsvHeader(file, { followSymlinks: true }); // a link in its place is refused by its own check
  } catch {
    existing = undefined;
  }
  if (existing?.[0] === header[0]) return undefined;
  return `${file} exists and is not a tcpsweep CSV (its first line is not a header starting with ${header[0]}); output.mode: new replaces only a tcpsweep CSV: move the file away or choose another output.csv`;
}
