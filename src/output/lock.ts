/**
 * One sweep at a time per CSV (cron runs can overlap): `<csv>.lock` holds the owner's PID.
 * A lock whose owner is dead is stale and taken over.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "../process/proctree.js";

export class LockBusyError extends Error {}

export interface CsvLock {
  release(): void;
}

function tryCreate(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, "wx");
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

function holderOf(lockPath: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Waits up to `waitMs` for the lock, then throws LockBusyError naming the holder. */
export async function lockCsv(csvPath: string, waitMs: number): Promise<CsvLock> {
  const lockPath = `${csvPath}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (tryCreate(lockPath)) break;
    const holder = holderOf(lockPath);
    if (holder === undefined || !isAlive(holder)) {
      // Stale (its owner was killed) or half-written: remove it and race for it again.
      rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockBusyError(
        `${csvPath} is locked by another tcpsweep run (PID ${holder}, lock file ${lockPath}); wait for it to finish, or write to another CSV with output.csv`,
      );
    }
    await sleep(200);
  }
  return { release: () => rmSync(lockPath, { force: true }) };
}
