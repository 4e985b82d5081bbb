/**
 * What a kept ("warm") server still holds of its previous run, read from /proc: its TCP sockets
 * that are not listening (a connection not yet closed), and a reset of its peak RSS, so the next
 * run starts from a clean state and reports its own peak.
 */
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";

const TCP_LISTEN = "0A"; // st column of /proc/net/tcp

/** Inodes of the TCP sockets (IPv4 and IPv6) in `pid`'s network namespace that are not listening. */
function connectedInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue; // no IPv6 in this kernel, or the process ended
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && fields[3] !== TCP_LISTEN) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/** Inodes of the sockets among `pid`'s descriptors (none when it has ended or is not ours to read). */
export function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: string[] = [];
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.push(match[1]!);
    } catch {
      // closed while we looked: no longer held
    }
  }
  return inodes;
}

/** How many of the processes' descriptors are TCP connections (any state but LISTEN). */
export function openConnections(pids: readonly number[]): number {
  if (pids.length === 0) return 0;
  const connected = connectedInodes(pids[0]!);
  if (connected.size === 0) return 0;
  return pids.reduce((count, pid) => count + socketInodes(pid).filter((inode) => connected.has(inode)).length, 0);
}

/** Resets each process's peak resident set (VmHWM) to its current one (`clear_refs` 5); false if any refused. */
export function resetPeakRss(pids: readonly number[]): boolean {
  let all = true;
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
    } catch {
      all = false;
    }
  }
  return all;
}
