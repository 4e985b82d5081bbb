/**
 * The bpftrace program of the bpf profiler and the reading of its JSON output (`bpftrace -f json`).
 * The program counts in kernel maps, like BCC's syscount: calls keyed by syscall number, failed calls
 * (ret < 0) and, unless switched off, the time from each call's enter to its exit as a log2 histogram.
 * Counting alone fires one probe per call, at raw_syscalls:sys_exit (see {@link FORKING_CALLS} for the
 * two kinds of call that exit differently); timing needs raw_syscalls:sys_enter too.
 *
 * What it counts is steered from user space by marker syscalls, so bpftrace can be started (slowly)
 * before the window and count exactly from its opening: the profiler's own process calls
 * kill(pid, signal) with signal numbers no kernel has (≥ 1,000,000), which fail with EINVAL and do
 * nothing, but the sys_enter_kill tracepoint sees them first:
 *   base + 0  add `pid` to the traced tree (its threads too: bpftrace's `pid` is the thread group)
 *   base + 1  the window opens: count from now
 *   base + 2  the window closed: stop counting
 * Children forked by a process of the tree (before or during the window) join it at sched_process_fork.
 */
import { ProfileError, type ProfileTarget, type SyscallCount, type SyscallCounts } from "./profiler.js";

export const MARK = { addPid: 0, open: 1, close: 2 } as const;

/** The first signal number of one profiler's markers ($2 of the program); several profilers of one process use different bases. */
export function markerBase(): number {
  return 1_000_000 + 4 * Math.floor(Math.random() * 100_000_000);
}

/**
 * Calls a new task returns from too, with 0 (clone, fork, vfork, clone3), by architecture (Node's
 * process.arch; numbers from the kernel's uapi headers). Counting at sys_exit alone takes their
 * return of 0 for the child's and skips it, so each call counts once, as the parent made it. The other
 * kind, calls that never return (exit, exit_group), are counted at their own tracepoints, which fire for
 * them alone. On an architecture not listed, the program counts at sys_enter as well (two probes a call).
 */
export const FORKING_CALLS: Readonly<Partial<Record<string, readonly number[]>>> = { x64: [56, 57, 58, 435], arm64: [220, 435] };

/** Counting only, one probe per call: at each call's exit (with the exceptions of {@link FORKING_CALLS}). */
function countAtExit(forking: readonly number[]): string {
  const parentsReturn = `args->ret != 0 || (${forking.map((id) => `args->id != ${id}`).join(" && ")})`;
  return `tracepoint:raw_syscalls:sys_exit /@window == 1 && @tree[pid]/ {
  if (${parentsReturn}) {
    @calls[args->id] = count();
    if (args->ret < 0) { @errors[args->id] = count(); }
  }
}
tracepoint:syscalls:sys_enter_exit, tracepoint:syscalls:sys_enter_exit_group /@window == 1 && @tree[pid]/ { @calls[args->__syscall_nr] = count(); }`;
}

/**
 * kill's number by architecture (uapi headers). Where the program has a raw_syscalls:sys_enter probe
 * anyway (time per call), the markers are read there, from kill's arguments, rather than at a
 * sys_enter_kill probe of their own: one probe fewer to detach as bpftrace exits, 60–80 ms each
 * (bench/RESULTS.md, "Profiler start and stop outside the window").
 */
export const KILL_CALLS: Readonly<Partial<Record<string, number>>> = { x64: 62, arm64: 129 };

/** Whether a kill() with signal `sig` is one of this profiler's markers. */
const isMarker = (sig: string) => `pid == $1 && ${sig} >= $2 && ${sig} <= $2 + 2`;

/** What each marker does: add the pid `target` to the tree, or open or close the window. */
const markerActions = (sig: string, target: string) => `  if (${sig} == $2 + ${MARK.addPid}) { @tree[${target}] = 1; }
  if (${sig} == $2 + ${MARK.open}) { @window = 1; }
  if (${sig} == $2 + ${MARK.close}) { @window = 2; }`;

/**
 * Timed counting at each call's entry, with the markers read from the arguments of kill (syscall
 * number `kill`). The arguments are copied first: bpftrace 0.17 reads `args` in a branch through a
 * moved context pointer otherwise, which the kernel's verifier refuses ("dereference of modified ctx ptr").
 */
function timedEnterWithMarkers(kill: number): string {
  return `tracepoint:raw_syscalls:sys_enter /(@window == 1 && @tree[pid]) || (args->id == ${kill} && ${isMarker("(int64)args->args[1]")})/ {
  $id = args->id;
  $sig = (int64)args->args[1];
  $target = args->args[0];
  if ($id == ${kill} && ${isMarker("$sig")}) {
${markerActions("$sig", "$target")}
  } else { @calls[$id] = count(); @start[tid] = nsecs; }
}`;
}

/** The program; `$1` is the pid of the process that sends the markers, `$2` the markers' base. */
export function bpfProgram(time: boolean, arch: string = process.arch): string {
  const kill = time ? KILL_CALLS[arch] : undefined;
  const marks =
    kill === undefined
      ? `tracepoint:syscalls:sys_enter_kill /${isMarker("args->sig")}/ {\n${markerActions("args->sig", "args->pid")}\n}\n`
      : "";
  const timedEnter =
    kill === undefined
      ? `tracepoint:raw_syscalls:sys_enter /@window == 1 && @tree[pid]/ { @calls[args->id] = count(); @start[tid] = nsecs; }`
      : timedEnterWithMarkers(kill);
  const fork = `tracepoint:sched:sched_process_fork /@tree[pid]/ { @tree[args->child_pid] = 1; }`;
  // Timed: the exit of a call entered in the window pairs with its enter by thread id; a call still
  // blocked when the window closes is counted but not timed (its time would run past the window).
  const counting = time
    ? `${timedEnter}
tracepoint:raw_syscalls:sys_exit /@start[tid]/ {
  if (@window == 1) {
    $ns = nsecs - @start[tid];
    @ns[args->id] = hist($ns);
    @total_ns[args->id] = sum($ns);
    if (args->ret < 0) { @errors[args->id] = count(); }
  }
  delete(@start[tid]);
}`
    : FORKING_CALLS[arch]
      ? countAtExit(FORKING_CALLS[arch])
      : `tracepoint:raw_syscalls:sys_enter /@window == 1 && @tree[pid]/ { @calls[args->id] = count(); }
tracepoint:raw_syscalls:sys_exit /args->ret < 0 && @window == 1 && @tree[pid]/ { @errors[args->id] = count(); }`;
  // The bookkeeping maps are emptied so that only the counts are printed as bpftrace exits.
  return `${marks}${fork}\n${counting}\nEND { clear(@tree); clear(@window);${time ? " clear(@start);" : ""} }\n`;
}

interface Bucket {
  min: number;
  max: number;
  count: number;
}

/** One log2 bucket holding the quantile `q` of a histogram, as its upper edge (the value is at most that). */
export function bucketQuantile(buckets: readonly Bucket[], q: number): number | undefined {
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const bucket of buckets) {
    seen += bucket.count;
    if (seen >= rank) return bucket.max + 1;
  }
  return undefined;
}

type Keyed<T> = Record<string, T>;

/** The maps of bpftrace's JSON lines (`{"type": "map"|"hist", "data": {"@name": {key: value}}}`). */
function readMaps(text: string): { attached: boolean; maps: Keyed<Keyed<number>>; hists: Keyed<Keyed<Bucket[]>> } {
  const maps: Keyed<Keyed<number>> = {};
  const hists: Keyed<Keyed<Bucket[]>> = {};
  let attached = false;
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    let parsed: { type?: string; data?: Keyed<unknown> };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      continue; // bpftrace's own notices are not JSON
    }
    if (parsed.type === "attached_probes") attached = true;
    const into = parsed.type === "map" ? maps : parsed.type === "hist" ? hists : undefined;
    if (into && parsed.data) Object.assign(into, parsed.data);
  }
  return { attached, maps, hists };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** The table of one profiled target from bpftrace's output; names from `names` (number → syscall). */
export function parseBpfOutput(
  text: string,
  names: ReadonlyMap<number, string>,
  target: ProfileTarget,
  rawFile: string,
): SyscallCounts | ProfileError {
  const { attached, maps, hists } = readMaps(text);
  // A window without a single call has no @calls line; an output without the probes' line is not bpftrace's summary at all.
  if (!attached) return new ProfileError(`bpftrace output (${rawFile}) does not say it attached its probes`);
  const calls = maps["@calls"] ?? {};
  const errors = maps["@errors"] ?? {};
  const totalNs = maps["@total_ns"];
  const histograms = hists["@ns"] ?? {};
  const rows: SyscallCount[] = Object.entries(calls).map(([id, n]) => {
    const row: SyscallCount = { syscall: names.get(Number(id)) ?? `syscall_${id}`, calls: n, errors: errors[id] ?? 0 };
    const buckets = histograms[id];
    if (totalNs && buckets) {
      const timed = buckets.reduce((sum, b) => sum + b.count, 0);
      const ns = totalNs[id] ?? 0;
      row.seconds = round(ns / 1e9, 6);
      row.usecs_per_call = timed > 0 ? round(ns / 1000 / timed, 3) : undefined;
      row.p50_us = usecs(bucketQuantile(buckets, 0.5));
      row.p99_us = usecs(bucketQuantile(buckets, 0.99));
    }
    return row;
  });
  rows.sort((a, b) => b.calls - a.calls);
  if (totalNs) {
    const seconds = rows.reduce((sum, row) => sum + (row.seconds ?? 0), 0);
    for (const row of rows) if (seconds > 0 && row.seconds !== undefined) row.percent_time = round((100 * row.seconds) / seconds, 2);
  }
  return {
    source: "bpf",
    target,
    rows,
    total: { calls: rows.reduce((sum, row) => sum + row.calls, 0), errors: rows.reduce((sum, row) => sum + (row.errors ?? 0), 0) },
    rawFile,
  };
}

function usecs(ns: number | undefined): number | undefined {
  return ns === undefined ? undefined : round(ns / 1000, 3);
}
