/**
 * CPU placement: keep the server and the load client on CPUs of their own, so a sweep measures
 * the server and not the two fighting over a core. Linux CPU lists ("0", "0-1", "2,4", "0-3,8")
 * are parsed and checked against the machine's online CPUs here; the affinity itself is applied
 * with util-linux `taskset`, either at start (`taskset -c LIST cmd...`, which every child and
 * thread inherits) or afterwards to every thread of every process of a running tree.
 */
import { execa } from "execa";
import { readFileSync } from "node:fs";
import { processTree } from "../process/proctree.js";

export const ONLINE_CPUS_PATH = "/sys/devices/system/cpu/online";
const TASKSET_HINT = "taskset is part of util-linux: apt-get install util-linux";
/** Far above any real machine; keeps a typo like "0-100000000" from building a huge array. */
const MAX_CPU_ID = 65_535;

/** A CPU list that cannot be used; the message says what is wrong and what a valid list looks like. */
export class CpuListError extends Error {}

/** Sorted, de-duplicated CPU ids of a Linux CPU list. */
export function parseCpuList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new CpuListError(`empty CPU list; write CPU ids and ranges such as "0", "0-1" or "2,4"`);
  const ids = new Set<number>();
  for (const item of trimmed.split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (!match) {
      throw new CpuListError(`"${item.trim()}" in CPU list "${trimmed}" is not a CPU id or a range like "0-3"`);
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new CpuListError(`range "${item.trim()}" in CPU list "${trimmed}" ends before it starts`);
    if (last > MAX_CPU_ID) throw new CpuListError(`CPU ${last} in CPU list "${trimmed}" is beyond any machine (max ${MAX_CPU_ID})`);
    for (let id = first; id <= last; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** The shortest Linux CPU list for `ids`: consecutive ids become ranges ("0-3,8"). */
export function formatCpuList(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let start = 0; start < sorted.length;) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end++;
    parts.push(end === start ? `${sorted[start]}` : `${sorted[start]}-${sorted[end]}`);
    start = end + 1;
  }
  return parts.join(",");
}

/** The CPUs the kernel has online (what a CPU list may name). */
export function readOnlineCpus(path = ONLINE_CPUS_PATH): number[] {
  return parseCpuList(readFileSync(path, "utf8"));
}

/** Parses `text` and checks every CPU exists; e.g. `CPU 5 does not exist on this machine (CPUs 0-1)`. */
export function checkCpuList(text: string, online: readonly number[] = readOnlineCpus()): number[] {
  const ids = parseCpuList(text);
  const available = new Set(online);
  const missing = ids.filter((id) => !available.has(id));
  if (missing.length > 0) {
    const which = missing.length === 1 ? `CPU ${missing[0]} does` : `CPUs ${formatCpuList(missing)} do`;
    throw new CpuListError(`${which} not exist on this machine (CPUs ${formatCpuList(online)})`);
  }
  return ids;
}

/** argv that starts `argv` already pinned: the process and everything it starts inherit the set. */
export function pinnedArgv(cpus: readonly number[], argv: readonly string[]): string[] {
  return ["taskset", "-c", formatCpuList(cpus), ...argv];
}

/** The CPUs a process (or one thread: `pid/task/tid`) may run on, from /proc. */
export function allowedCpus(pidOrTask: number | string): number[] {
  const status = readFileSync(`/proc/${pidOrTask}/status`, "utf8");
  const match = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
  if (!match) throw new Error(`/proc/${pidOrTask}/status has no Cpus_allowed_list`);
  return parseCpuList(match[1]!);
}

/**
 * Pins every thread (`-a`) of every process of the tree rooted at `root` to `cpus`. A process that
 * exits meanwhile is skipped; any other taskset failure (missing tool, bad CPU) is thrown.
 * The tree is listed again after each pass, because a process may fork between being listed and
 * being pinned; once pinned, its later children inherit the set. Returns the PIDs pinned.
 */
export async function pinProcessTree(root: number, cpus: readonly number[]): Promise<number[]> {
  const list = formatCpuList(cpus);
  const pinned = new Set<number>();
  for (let pass = 0; pass < 5; pass++) {
    const fresh = processTree(root).filter((pid) => !pinned.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) if (await pinProcess(pid, list)) pinned.add(pid);
  }
  return [...pinned];
}

/** false when the process is gone. */
async function pinProcess(pid: number, list: string): Promise<boolean> {
  const result = await execa("taskset", ["-a", "-p", "-c", list, String(pid)], { reject: false, stdin: "ignore" });
  if (result.exitCode === 0) return true;
  if (result.code === "ENOENT") throw new Error(`cannot pin process ${pid}: taskset not found; ${TASKSET_HINT}`);
  if (/No such process/i.test(String(result.stderr))) return false;
  throw new Error(`cannot pin process ${pid} to CPUs ${list}: ${String(result.stderr).trim() || result.shortMessage}`);
}
