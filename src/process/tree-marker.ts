/**
 * Finding the descendants that left the tree (setsid, double fork, nohup): every process tcpsweep
 * starts gets a unique environment variable, which its descendants inherit wherever they are
 * re-parented; stopping the role SIGKILLs every process of ours whose environment still holds it.
 * The Jenkins ProcessTreeKiller idea (BUILD_ID); why not a cgroup or a subreaper: docs/decisions.md.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";

export const TREE_VARIABLE = "TCPSWEEP_TREE";

/** This tcpsweep process's part of every marker: unique per process (pid + random), nested under the marker it was started with. */
const runPart = `${process.pid}-${randomBytes(4).toString("hex")}`;
const inherited = process.env[TREE_VARIABLE];
let started = 0;
/** Escaped descendants killed by this process so far (a run reports its difference). */
let escapedKilled = 0;

export function escapedKilledSoFar(): number {
  return escapedKilled;
}

/** A fresh marker for one started process; an agent's children are marked below the agent's own marker. */
export function newTreeMarker(): string {
  started++;
  return `${inherited ? `${inherited}/` : ""}${runPart}.${started}`;
}

/** How many rescans at most: a descendant that forks while we kill may leave a child found only on the next scan. */
const MAX_SCANS = 5;

/** The processes of this user (not tcpsweep itself) whose environment holds `marker` or a marker nested below it. */
export function markedProcesses(marker: string): number[] {
  const exact = Buffer.from(`\0${TREE_VARIABLE}=${marker}\0`);
  const nested = Buffer.from(`\0${TREE_VARIABLE}=${marker}/`);
  const uid = process.getuid?.();
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (uid !== undefined && statSync(`/proc/${entry}`).uid !== uid) continue;
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry}/environ`)]);
      if (environ.includes(exact) || environ.includes(nested)) found.push(Number(entry));
    } catch {
      // ended while we looked, or not ours to read
    }
  }
  return found;
}

/** SIGKILLs every process still carrying `marker`; returns how many it killed. */
export function killMarked(marker: string): number {
  const killed = new Set<number>();
  for (let scan = 0; scan < MAX_SCANS; scan++) {
    const pids = markedProcesses(marker).filter((pid) => !killed.has(pid));
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {
        // already gone
      }
    }
  }
  escapedKilled += killed.size;
  return killed.size;
}
