import { readFileSync } from "node:fs";

export interface OpenFileLimit {
  soft: number;
  hard: number;
}

/** RLIMIT_NOFILE of this process (Node has no getrlimit; /proc/self/limits says the same). */
export function readOpenFileLimit(): OpenFileLimit {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const [soft, hard] = (line?.slice("Max open files".length).trim().split(/\s+/) ?? []).map((v) =>
    v === "unlimited" ? Number.POSITIVE_INFINITY : Number(v),
  );
  return { soft: soft ?? Number.NaN, hard: hard ?? Number.NaN };
}

/** Descriptors a process needs beyond its sockets: stdio, worker pipes, epoll, libuv internals. */
export const FD_HEADROOM = 64;

/** Says why `sockets` connections cannot be opened under the current limit, or undefined when they can. */
export function openFileShortfall(sockets: number, limit = readOpenFileLimit()): string | undefined {
  const needed = sockets + FD_HEADROOM;
  if (needed <= limit.soft) return undefined;
  const howToRaise =
    needed <= limit.hard
      ? `raise it in this shell with \`ulimit -n ${needed}\` (the hard limit is ${limit.hard})`
      : `the hard limit is ${limit.hard}: raise it as root (\`ulimit -Hn ${needed}\`, LimitNOFILE= for a systemd unit, or nofile in /etc/security/limits.conf), then \`ulimit -n ${needed}\``;
  return `${sockets} connections need about ${needed} open files but RLIMIT_NOFILE (ulimit -n) is ${limit.soft}; ${howToRaise}`;
}

/** Node's own listen backlog, and what a kernel without /proc/sys says nothing about is taken to allow. */
const DEFAULT_BACKLOG = 511;

/** net.core.somaxconn: the kernel caps every listen backlog at it. */
export function readSomaxconn(): number {
  try {
    const value = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim());
    return Number.isInteger(value) && value > 0 ? value : DEFAULT_BACKLOG;
  } catch {
    return DEFAULT_BACKLOG;
  }
}

/** Ephemeral ports (net.ipv4.ip_local_port_range): how many connections one source address can open to one server address and port. */
export function readEphemeralPorts(): number {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && high! >= low!) return high! - low! + 1;
  } catch {
    // not Linux: the IANA range below
  }
  return 65535 - 49152 + 1;
}
