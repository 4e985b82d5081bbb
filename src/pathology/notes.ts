/**
 * Pathologies named from a run's own figures, each with how to confirm it: the `note` column.
 * Every rule reads values the run already measured (latency, /proc CPU, per-connection service,
 * the kernel's ListenOverflows and DelayedACKs counters, the syscall table); none guesses from one
 * figure alone.
 */
import type { TcpCounts } from "../process/netstat.js";
import type { RunResult } from "../record/run-record.js";

/**
 * Linux's delayed-ACK timer is 40 ms (TCP_DELACK_MIN); requests that wait for it show a median near
 * it and a p99 not far above (a loaded machine adds scheduling delay). A p99 far above is a queue:
 * 1,000 connections on a busy client also give a 50 ms median, by Little's law, not by the timer.
 */
const DELAYED_ACK_US = { low: 36_000, high: 60_000, p99High: 100_000 };
/** Below this share of one CPU over the window, the server was idle: its latency was not spent computing. */
const IDLE_CPU_SHARE = 0.25;
/** Memory-mapping (or brk) calls per response from which the allocator churns per request. */
const CHURN_PER_RESPONSE = 0.5;
const ALLOCATOR_SYSCALLS = ["mmap", "munmap", "mremap", "brk"];

export interface PathologyEvidence {
  row: RunResult;
  /**
   * Rise of the kernel's TcpExt counters (/proc/net/netstat), host-wide: ListenOverflows over the run
   * where the server runs on this host; DelayedACKs over the window where the clients do too.
   */
  tcpRise?: TcpCounts;
}

/**
 * Delayed-ACK timer expiries (TcpExt DelayedACKs, over the window) per response from which the
 * timer is what a request waits for: with Nagle, each reply's tail waits for one (about 1.0 per
 * response; over the whole run, warmup included, the real case showed 1.4). 1,000 busy connections
 * with no Nagle at all showed 0.5 over the whole run.
 */
const DELAYED_ACKS_PER_RESPONSE = 0.75;

export function nagleDelayedAck(row: RunResult, delayedAcks?: number): string | undefined {
  const p50 = row.latency_p50_us;
  const cpu = row.server_cpu_s;
  const window = row.duration_s;
  if (p50 === undefined || cpu === undefined || !window) return undefined;
  if (p50 < DELAYED_ACK_US.low || p50 > DELAYED_ACK_US.high || cpu / window > IDLE_CPU_SHARE) return undefined;
  if ((row.latency_p99_us ?? 0) > DELAYED_ACK_US.p99High) return undefined;
  const responses = (row.resp_per_s ?? 0) * window;
  // The kernel's own count, where it was read: the timer must have fired about once per request.
  if (delayedAcks !== undefined && responses > 0 && delayedAcks / responses < DELAYED_ACKS_PER_RESPONSE) return undefined;
  const kernel =
    delayedAcks !== undefined && responses > 0
      ? `; the kernel's delayed-ACK timer fired ${delayedAcks} times in the window (TcpExt DelayedACKs, host-wide), ` +
        `${(delayedAcks / responses).toFixed(1)} per response`
      : "";
  return (
    `latency clusters at the 40 ms delayed-ACK timer (p50 ${(p50 / 1000).toFixed(1)} ms) while the server's CPU is idle ` +
    `(${Math.round((100 * cpu) / window)} % of a CPU)${kernel}: likely Nagle's algorithm with delayed ACKs (the server does not set TCP_NODELAY); ` +
    `confirm with TCP_NODELAY on the server's sockets, or \`ss -ti\` during a run (ato:40)`
  );
}

export function listenOverflow(count: number | undefined): string | undefined {
  if (!count) return undefined;
  return (
    `listen backlog overflowed ${count} times during the run (TcpExt ListenOverflows, /proc/net/netstat; counts every listener on the host): ` +
    `connections waited for SYN retries; raise the server's listen() backlog and net.core.somaxconn, or accept faster`
  );
}

export function acceptsFewAtATime(row: RunResult): string | undefined {
  const { connections_requested: requested, connections_served: served, connections_starved: starved } = row;
  if (!requested || !served || !starved || served + starved < requested || served >= requested) return undefined;
  return (
    `only ${served} of ${requested} connections got a response in the window: the server seems to serve ${served} connection${served === 1 ? "" : "s"} ` +
    `at a time (a pool of ${served} threads or processes, or a loop that accepts the next connection only when one closes)`
  );
}

export function allocatorChurn(row: RunResult): string | undefined {
  const table = row.syscallTables?.find((t) => t.target === "server");
  const responses = row.traced_resp_per_s !== undefined && row.duration_s ? row.traced_resp_per_s * row.duration_s : undefined;
  if (!table || !responses) return undefined;
  const calls = table.rows.filter((r) => ALLOCATOR_SYSCALLS.includes(r.syscall));
  const total = calls.reduce((sum, r) => sum + r.calls, 0);
  if (total / responses < CHURN_PER_RESPONSE) return undefined;
  const named = ALLOCATOR_SYSCALLS.filter((name) => calls.some((r) => r.syscall === name)).join("/");
  return (
    `allocator churn: ${named} per request (${(total / responses).toFixed(1)} calls per response): the server maps and unmaps memory ` +
    `for each request (e.g. a read buffer above malloc's mmap threshold); see the syscall table`
  );
}

/** Every pathology the evidence shows, as one note (empty when none). */
export function pathologyNote(evidence: PathologyEvidence): string {
  const { row } = evidence;
  const rise = evidence.tcpRise;
  return [nagleDelayedAck(row, rise?.DelayedACKs), listenOverflow(rise?.ListenOverflows), acceptsFewAtATime(row), allocatorChurn(row)]
    .filter((note): note is string => note !== undefined)
    .join("; ");
}
