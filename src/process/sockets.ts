/**
 * TCP sockets as /proc shows them (the kernel's table, and which of a process's descriptors are
 * sockets), and what a kept ("warm") server still holds of its previous run: connections not yet
 * closed, and its peak RSS, reset so the next run starts clean and reports its own peak.
 */
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";

/** The st column of /proc/net/tcp for a listening socket. */
export const TCP_LISTEN = "0A";

export interface TcpSocket {
  /** Local address as the kernel writes it (hex, e.g. `0100007F` for 127.0.0.1). */
  localAddress: string;
  localPort: number;
  /** Kernel state, hex (`0A`: listening, `01`: established, …). */
  state: string;
  inode: string;
}

/** Every TCP socket (IPv4 and IPv6) of a network namespace: this process's, or `pid`'s. */
export function tcpSockets(pid?: number): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const table of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid ?? "self"}/net/${table}`, "utf8");
    } catch {
      continue; // no IPv6 in this kernel, or the process ended
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length <= 9) continue;
      const [localAddress = "", port = ""] = fields[1]!.split(":");
      sockets.push({ localAddress, localPort: parseInt(port, 16), state: fields[3]!, inode: fields[9]! });
    }
  }
  return sockets;
}

/** Inodes of the TCP sockets in `pid`'s network namespace that are not listening. */
function connectedInodes(pid: number): Set<string> {
  return new Set(
    tcpSockets(pid)
      .filter((socket) => socket.state !== TCP_LISTEN)
      .map((socket) => socket.inode),
  );
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
