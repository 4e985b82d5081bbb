/**
 * One sweep at a time per CSV (cron runs can overlap): `<csv>.lock` holds the owner's PID.
 * A lock whose owner is dead is stale and taken over.
 *
 * Every step is atomic, so two runs that find the same stale lock never both take it:
 * - a lock file is written whole under a private name, then link(2)ed to `<csv>.lock`
 *   (fails with EEXIST when it exists: no half-written lock is ever visible);
 * - replacing a stale lock first needs a claim on that exact file (by inode): the claim is
 *   itself such a lock, `<csv>.lock.takeover-<inode>`, so only one run may replace a given stale
 *   file; it re-checks that the lock is still that inode with a dead owner, then rename(2)s its
 *   own file over it. A claim whose owner died is taken over the same way (one level deeper).
 */
import { linkSync, lstatSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { readFirstLine } from "../untrusted/files.js";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "../process/proctree.js";
import { lockPath as lockFileOf } from "./run-dir.js";

export class LockBusyError extends Error {}

export interface CsvLock {
  release(): void;
}

/** A PID and its newline: all a lock file of ours holds. */
const LOCK_READ_BYTES = 64;

/**
 * A lock file's owner (first line) and identity; undefined when it does not exist. A symbolic link,
 * FIFO or device in its place is refused (UnsafePathError) without blocking, and at most 64 bytes are read.
 */
function inspect(file: string): { pid: number | undefined; ino: number } | undefined {
  try {
    const ino = lstatSync(file).ino;
    const pid = Number((readFirstLine(file, LOCK_READ_BYTES) ?? "").trim());
    return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** A file holding our PID under a private name next to `file`, to be linked or renamed into place. */
function privateCopy(file: string): string {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temp, `${process.pid}\n`, { flag: "wx" });
  return temp;
}

const unlinkQuietly = (file: string) => {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
};

type Attempt = { acquired: true } | { acquired: false; holder: number | undefined };

/** One atomic attempt to own `file`: create it, or replace it when its owner is dead. */
function tryAcquire(file: string, depth = 0): Attempt {
  const temp = privateCopy(file);
  try {
    try {
      linkSync(temp, file);
      return { acquired: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const seen = inspect(file);
    if (!seen) return { acquired: false, holder: undefined }; // released meanwhile: try again
    if (seen.pid !== undefined && isAlive(seen.pid)) return { acquired: false, holder: seen.pid };
    // Stale (its owner died) or unreadable: claim this very file before replacing it.
    if (depth > 8) return { acquired: false, holder: seen.pid }; // claims keep dying: wait and retry
    const claim = `${file}.takeover-${seen.ino}`;
    const claimed = tryAcquire(claim, depth + 1);
    if (!claimed.acquired) return { acquired: false, holder: seen.pid };
    try {
      const now = inspect(file);
      const stillStale = now !== undefined && now.ino === seen.ino && (now.pid === undefined || !isAlive(now.pid));
      if (!stillStale) return { acquired: false, holder: now?.pid };
      renameSync(temp, file);
      return { acquired: true };
    } finally {
      unlinkQuietly(claim);
    }
  } finally {
    unlinkQuietly(temp); // after link or a failed attempt; after rename it is gone already
  }
}

/** The PID of a live run holding `csvPath`'s lock, or undefined (free or stale). Takes nothing. */
export function lockHolder(csvPath: string): number | undefined {
  const seen = inspect(lockFileOf(csvPath));
  return seen?.pid !== undefined && isAlive(seen.pid) ? seen.pid : undefined;
}

export const lockBusyMessage = (csvPath: string, holder: number | undefined) =>
  `${csvPath} is locked by another tcpsweep run (PID ${holder ?? "unknown"}, lock file ${lockFileOf(csvPath)}); wait for it to finish, or write to another CSV with output.csv`;

/**
 * Waits up to `waitMs` for the lock, then throws LockBusyError naming the holder.
 * `onWait` is told once, when the first attempt finds a live holder.
 */
export async function lockCsv(csvPath: string, waitMs: number, onWait?: (holder: number | undefined) => void): Promise<CsvLock> {
  const lockPath = lockFileOf(csvPath);
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const attempt = tryAcquire(lockPath);
    if (attempt.acquired) break;
    if (Date.now() >= deadline) throw new LockBusyError(lockBusyMessage(csvPath, attempt.holder));
    if (!told && attempt.holder !== undefined) {
      told = true;
      onWait?.(attempt.holder);
    }
    await sleep(50 + Math.random() * 150);
  }
  const ours = statSync(lockPath).ino;
  return {
    // Only our own file: after a takeover race or a manual removal the name may be someone else's.
    release: () => {
      if (inspect(lockPath)?.ino === ours) unlinkQuietly(lockPath);
    },
  };
}
