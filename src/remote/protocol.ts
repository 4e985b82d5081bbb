/**
 * The agent protocol (docs/remote-hosts.md): newline-delimited JSON over an ssh session's
 * stdin/stdout, one object per line with a `type`. Requests carry an `id`; the agent answers each
 * with `{type: "reply", id, ...}` (or `{type: "reply", id, error}`); everything else it sends is an
 * event about the role's process tree.
 */
import type { ExitInfo } from "../process/child.js";
import type { TreeUsage } from "../process/proctree.js";
import type { ProfilerKind } from "../profile/registry.js";
import type { ProfileTarget, SyscallCounts } from "../profile/profiler.js";

export type Request =
  | { type: "hello"; profiler?: ProfilerKind; connections?: number }
  | { type: "time" }
  | { type: "freePort"; host: string }
  | { type: "waitAccepting"; host: string; port: number; timeoutMs: number }
  /** `self`: argv are arguments of tcpsweep on that host (the built-in server or client). */
  | { type: "start"; argv: string[]; self: boolean; cwd?: string; env?: Record<string, string>; stdin?: boolean }
  | { type: "stop"; signal: NodeJS.Signals; graceMs: number }
  | { type: "profileBegin"; kind: ProfilerKind; target: ProfileTarget; pids: number[]; extraArgs: string[] }
  | { type: "profileEnd" };

/** Messages that need no reply. `window.startAtMs` is in the agent's clock. */
export type Notice = { type: "window"; startAtMs: number } | { type: "signal"; signal: NodeJS.Signals } | { type: "ping" };

export interface HelloReply {
  version: string;
  node: string;
  cpus: number;
  hostname: string;
  kernel: string;
  /** Why `connections` sockets cannot be opened there (ulimit -n), if so. */
  nofileProblem?: string;
  /** Why the requested profiler cannot count there, if so. */
  profilerProblem?: string;
}

export interface ProfileReply {
  counts?: Omit<SyscallCounts, "rawFile">;
  error?: string;
  /** The profiler's own output, copied beside the run's log on the controller. */
  raw?: string;
}

export type Event =
  | { type: "reply"; id: number; error?: string; [field: string]: unknown }
  | { type: "stdout" | "stderr"; line: string }
  /** Pushed every {@link USAGE_INTERVAL_MS} while the role runs. */
  | { type: "usage"; usage: TreeUsage; pids: number[] }
  /** A client that said READY_LINE: connected, warmed up, waiting for the window. */
  | { type: "ready" }
  /** The client's window opened / closed (agent clock); `usage` over the window on `ended`. */
  | { type: "windowStarted"; atMs: number }
  | { type: "windowEnded"; atMs: number; usage?: TreeUsage }
  | { type: "exit"; exit: ExitInfo };

export const USAGE_INTERVAL_MS = 100;

/**
 * The controller pings every session this often; an agent that hears nothing for
 * {@link SILENCE_LIMIT_MS} stops its tree and exits. A session whose network vanished never ends
 * on the remote side (no FIN arrives, sshd waits), so stdin EOF alone would leave the tree running.
 */
export const PING_INTERVAL_MS = 2000;
export const SILENCE_LIMIT_MS = 10_000;

/** How long an agent's answer may take beyond ssh's own connect timeout. */
export const REQUEST_TIMEOUT_MS = 20_000;

/** Test-only: an agent adds this many ms to every clock reading it reports (to prove offsets are measured). */
export const CLOCK_OFFSET_ENV = "TCPSWEEP_TEST_CLOCK_OFFSET_MS";

/** The whole build string (package version, git commit, Node); both ends of a session must agree on it. */
export { tcpsweepBuild as tcpsweepVersion } from "../version.js";

/** Splits a byte stream into lines for `onLine`. */
export function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let partial = "";
  return (chunk) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop()!;
    for (const line of lines) if (line.trim()) onLine(line);
  };
}
