/**
 * The agent protocol (docs/remote-hosts.md): newline-delimited JSON over an ssh session's
 * stdin/stdout, one object per line with a `type`. Requests carry an `id`; the agent answers each
 * with `{type: "reply", id, ...}` (or `{type: "reply", id, error}`); everything else it sends is an
 * event about the role's process tree.
 */
import { StringDecoder } from "node:string_decoder";
import type { ExitInfo } from "../process/child.js";
import type { TreeUsage } from "../process/proctree.js";
import type { ProfilerKind } from "../profile/registry.js";
import type { ProfileTarget, SyscallCounts } from "../profile/profiler.js";

export type Request =
  | { type: "hello"; profiler?: ProfilerKind; connections?: number }
  | { type: "time" }
  | { type: "freePort"; host: string }
  | { type: "waitAccepting"; host: string; port: number; timeoutMs: number }
  /**
   * `self`: argv are arguments of tcpsweep on that host (the built-in server or client); `warm`: a
   * built-in client runs in the agent's warm client (kept between runs, launch/warm-client.ts).
   * Another `start` once the last process has exited: a kept agent runs one run after another.
   */
  | { type: "start"; argv: string[]; self: boolean; cwd?: string; env?: Record<string, string>; stdin?: boolean; warm?: boolean }
  /** Stops the whole tree and exits. */
  | { type: "stop"; signal: NodeJS.Signals; graceMs: number }
  /** Stops the current run's tree (if it still runs); the agent stays for the next `start`. */
  | { type: "endRun"; signal: NodeJS.Signals; graceMs: number }
  | { type: "profileBegin"; kind: ProfilerKind; target: ProfileTarget; pids: number[]; extraArgs: string[] }
  | { type: "profileEnd" };

/** Messages that need no reply. `window.startAtMs` is in the agent's clock. */
export type Notice = { type: "window"; startAtMs: number } | { type: "signal"; signal: NodeJS.Signals } | { type: "ping" };

export interface HelloReply {
  version: string;
  /** The agent's own process id on its host. */
  pid: number;
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

/** The longest protocol line either end reads (characters); a longer one is dropped, not kept. */
export const MAX_LINE_LENGTH = 1024 * 1024;

/**
 * Splits a byte stream into lines for `onLine`. A line longer than {@link MAX_LINE_LENGTH} is
 * dropped as it streams in (never held whole) and reported to `onOversize` with its length.
 */
export function lineReader(
  onLine: (line: string) => void,
  onOversize: (length: number) => void = () => undefined,
): (chunk: Buffer) => void {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  let dropping = -1; // characters of an oversized line seen so far; -1 while not dropping
  return (chunk) => {
    const text = decoder.write(chunk);
    let start = 0;
    for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (dropping >= 0) {
        onOversize(dropping + piece.length);
        dropping = -1;
        continue;
      }
      const line = partial + piece;
      partial = "";
      if (line.length > MAX_LINE_LENGTH) onOversize(line.length);
      else if (line.trim()) onLine(line);
    }
    const rest = text.slice(start);
    if (dropping >= 0) dropping += rest.length;
    else if (partial.length + rest.length > MAX_LINE_LENGTH) {
      dropping = partial.length + rest.length;
      partial = "";
    } else partial += rest;
  };
}
