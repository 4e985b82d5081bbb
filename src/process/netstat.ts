/**
 * The kernel's TCP extension counters (/proc/net/netstat, `TcpExt:` header and value lines): host-wide
 * evidence such as ListenOverflows (a full accept queue) and DelayedACKs (the delayed-ACK timer fired).
 */
import { readFileSync } from "node:fs";

/** The counters a run reads before and after itself (src/pathology/notes.ts explains each). */
export const RUN_TCP_COUNTERS = ["ListenOverflows", "DelayedACKs"] as const;
export type RunTcpCounter = (typeof RUN_TCP_COUNTERS)[number];
export type TcpCounts = Partial<Record<RunTcpCounter, number>>;

/** The named TcpExt counters at this instant; a counter the kernel does not have (or no file) is absent. */
export function tcpExtCounters(names: readonly RunTcpCounter[] = RUN_TCP_COUNTERS, file = "/proc/net/netstat"): TcpCounts {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return {};
  }
  const lines = text.split("\n").filter((line) => line.startsWith("TcpExt:"));
  if (lines.length < 2) return {};
  const header = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  const counts: TcpCounts = {};
  for (const name of names) {
    const index = header.indexOf(name);
    const value = index < 1 ? NaN : Number(values[index]);
    if (Number.isFinite(value)) counts[name] = value;
  }
  return counts;
}

/** How much each counter rose between two snapshots (only counters present in both). */
export function tcpCountsRise(before: TcpCounts, after: TcpCounts): TcpCounts {
  const rise: TcpCounts = {};
  for (const name of RUN_TCP_COUNTERS) {
    const [a, b] = [before[name], after[name]];
    if (a !== undefined && b !== undefined) rise[name] = b - a;
  }
  return rise;
}
