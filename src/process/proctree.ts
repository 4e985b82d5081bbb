/**
 * /proc accounting for a process and all its descendants: the figures a benchmark row
 * needs about the server and client beyond what they report themselves.
 */
import { readFileSync, readdirSync } from "node:fs";

/** Linux reports utime/stime in USER_HZ ticks, which is 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // the process ended between listing and reading: it simply no longer counts
  }
}

/** Fields of /proc/PID/stat after the `(comm)`, which may itself contain spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** `root` and every live descendant, found by parent PID (so a child that left the process group is still found). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = Number(statFields(Number(entry))?.[1]);
    if (!Number.isFinite(parent)) continue;
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (pid !== root || statFields(pid)) tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export interface TreeUsage {
  /** user + system CPU of every process in the tree, seconds. */
  cpuS: number;
  /** Sum of each process's peak resident set (VmHWM), KiB: an upper bound on the tree's peak. */
  peakRssKb: number;
  voluntaryCtxSwitches: number;
  involuntaryCtxSwitches: number;
  processes: number;
  /** cpuS split: user and system (kernel on the tree's behalf) seconds. */
  userS?: number;
  systemS?: number;
  /** CPUs the tree's threads were last seen on (a snapshot); with softirqTicks, the softirq estimate. */
  cpusRun?: number[];
  /** /proc/stat's softirq ticks of every CPU, by CPU number (machine-wide counters, read with the snapshot). */
  softirqTicks?: number[];
  /** Over a window: softirq seconds on the CPUs the tree ran on (an approximation: docs/csv-columns.md). */
  softirqS?: number;
}

/** Field 39 of /proc/PID/task/TID/stat (the CPU it last ran on), as an index after `(comm)`. */
const PROCESSOR_FIELD = 36;

/** /proc/stat's `cpuN user nice system idle iowait irq softirq …`: softirq ticks by CPU. */
export function softirqTicksByCpu(): number[] {
  const ticks: number[] = [];
  for (const line of (readOrUndefined("/proc/stat") ?? "").split("\n")) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (match) ticks[Number(match[1])] = Number(match[2]!.split(/\s+/)[6] ?? 0);
  }
  return ticks;
}

function statusValue(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status);
  return match ? Number(match[1]) : 0;
}

/** A snapshot of the tree's counters; subtract two snapshots for the window. */
export function treeUsage(root: number): TreeUsage {
  const usage: TreeUsage = {
    cpuS: 0,
    peakRssKb: 0,
    voluntaryCtxSwitches: 0,
    involuntaryCtxSwitches: 0,
    processes: 0,
    userS: 0,
    systemS: 0,
  };
  const cpus = new Set<number>();
  for (const pid of processTree(root)) {
    const fields = statFields(pid);
    const status = readOrUndefined(`/proc/${pid}/status`);
    if (!fields || !status) continue;
    usage.processes++;
    usage.cpuS += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
    usage.userS! += Number(fields[11]) / TICKS_PER_SECOND;
    usage.systemS! += Number(fields[12]) / TICKS_PER_SECOND;
    usage.peakRssKb += statusValue(status, "VmHWM");
    // Context switches are per thread: the process's own status shows only its main thread.
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      const taskStatus = readOrUndefined(`/proc/${pid}/task/${tid}/status`);
      if (!taskStatus) continue;
      usage.voluntaryCtxSwitches += statusValue(taskStatus, "voluntary_ctxt_switches");
      usage.involuntaryCtxSwitches += statusValue(taskStatus, "nonvoluntary_ctxt_switches");
      const taskStat = readOrUndefined(`/proc/${pid}/task/${tid}/stat`);
      const processor = taskStat ? Number(taskStat.slice(taskStat.lastIndexOf(")") + 2).split(" ")[PROCESSOR_FIELD]) : NaN;
      if (Number.isInteger(processor)) cpus.add(processor);
    }
  }
  usage.cpusRun = [...cpus].sort((a, b) => a - b);
  usage.softirqTicks = softirqTicksByCpu();
  return usage;
}

/** Counters that grow over the window as differences; the peak RSS as read at the end. */
export function usageBetween(before: TreeUsage, after: TreeUsage): TreeUsage {
  return {
    cpuS: Math.max(0, after.cpuS - before.cpuS),
    peakRssKb: after.peakRssKb,
    voluntaryCtxSwitches: Math.max(0, after.voluntaryCtxSwitches - before.voluntaryCtxSwitches),
    involuntaryCtxSwitches: Math.max(0, after.involuntaryCtxSwitches - before.involuntaryCtxSwitches),
    processes: after.processes,
    ...(before.userS !== undefined && after.userS !== undefined ? { userS: Math.max(0, after.userS - before.userS) } : {}),
    ...(before.systemS !== undefined && after.systemS !== undefined ? { systemS: Math.max(0, after.systemS - before.systemS) } : {}),
    ...(before.softirqTicks && after.softirqTicks ? { softirqS: softirqBetween(before, after) } : {}),
  };
}

/**
 * Softirq seconds over the window on the CPUs the tree was seen on at either end. Softirq time is
 * not charged to a process: this is all softirq work on those CPUs (network receive and transmit
 * completion mostly), whoever it served; on CPUs shared with the other side it counts theirs too.
 */
function softirqBetween(before: TreeUsage, after: TreeUsage): number {
  const cpus = new Set([...(before.cpusRun ?? []), ...(after.cpusRun ?? [])]);
  let ticks = 0;
  for (const cpu of cpus) ticks += Math.max(0, (after.softirqTicks![cpu] ?? 0) - (before.softirqTicks![cpu] ?? 0));
  return ticks / TICKS_PER_SECOND;
}

/**
 * Some thread of `pid` has not exited. The main thread's state alone is not enough: a multi-threaded
 * process (Node) can show a zombie main thread while its other threads still exit, and its sockets
 * (a server's listening port) close only when the last one has; a busy machine shows that gap.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((task) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      return state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  });
}
