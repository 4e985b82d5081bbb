/**
 * The process launcher seam: every process a run starts (server, client, profiler) is started,
 * watched, measured and stopped through a {@link Launcher}, so where it runs (this machine,
 * pinned to CPUs, another host) is a choice made in one place (choose.ts), not a branch in the
 * sweep. One file per variant beside this one.
 */
import type { ExitInfo } from "../process/child.js";
import type { TreeUsage } from "../process/proctree.js";
import type { Profiler, ProfilerSetup } from "../profile/profiler.js";
import type { ProfilerKind } from "../profile/registry.js";
import type { RemoteHostMeta } from "../rundir/run-dir.js";

/** What a launcher starts in a sweep. */
export type Role = "server" | "client" | "profiler";

/** What a sweep needs of the place a launcher starts its processes, checked by its preflight. */
export interface LauncherNeeds {
  /** The roles it starts (one launcher may start several: a remote server and its profiler). */
  roles: readonly Role[];
  /** The most connections one run opens (both ends hold a socket each). */
  connections: number;
  /** The profiler it will start, when the sweep profiles there. */
  profiler?: ProfilerKind;
}

/** A preflight's answer: every problem, one line each naming where; what each host said about itself (meta.json's remote_hosts). */
export interface PreflightReport {
  problems: string[];
  hosts: RemoteHostMeta[];
}

export interface StartRequest {
  argv: readonly string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Give it a stdin pipe, for {@link Launched.writeStdin}; default: no stdin. */
  stdin?: boolean;
}

/** A process a run started, wherever it runs, with the whole tree it starts. */
export interface Launched {
  /** The command line as launched (with whatever the launcher put in front of it). */
  readonly argv: readonly string[];
  readonly exited: Promise<ExitInfo>;
  readonly hasExited: boolean;
  stdout(): string;
  stderr(): string;
  stdoutLines(listener: (line: string) => void): void;
  stderrLines(listener: (line: string) => void): void;
  /** Writes to its stdin (started with `stdin: true`); absent where the launcher cannot. */
  writeStdin?(text: string): void;
  /**
   * PIDs of its whole tree as its host sees them (for a profiler started on the same host, the warm
   * server's drain check). Optional: a launcher with no process ids to give (a Kubernetes Job) leaves
   * it out; then nothing attaches to the tree and a kept server is not reused.
   */
  processIds?(): number[];
  /**
   * A snapshot of its tree's counters; subtract two with usageBetween for a window. Optional: where
   * there is no /proc to read, the usage columns of the row stay empty (docs/csv-columns.md).
   */
  usage?(): TreeUsage | undefined;
  /** Sends `signal` to the whole tree. */
  signal(signal: NodeJS.Signals): void;
  /** `signal`, then SIGKILL for whatever of the tree is alive after `graceMs`; resolves when none is left. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<{ forced: boolean; exit: ExitInfo }>;
}

export interface Launcher {
  /** Where its processes run, for messages and the CSV ("this machine", "this machine, CPUs 0-1"). */
  readonly where: string;
  start(request: StartRequest): Launched;
  /** A port nobody listens on at `host`, as seen from where the processes run. */
  freePort(host: string): Promise<number>;
  /** Polls until host:port accepts (seen from where the processes run), `giveUp()` says stop, or the deadline passes. */
  waitUntilAccepting(host: string, port: number, deadline: number, giveUp: () => boolean): Promise<boolean>;
  /** Why `sockets` connections cannot be opened there (with how to fix it), or undefined when they can. */
  openFileShortfall(sockets: number): string | undefined;
  /** A launcher whose processes run elsewhere runs their profilers there too (default: the registry's, started through `start`). */
  createProfiler?(kind: ProfilerKind, setup: ProfilerSetup): Profiler;
  /**
   * Checks, before anything is written, that its processes can run where it starts them (reachable,
   * same build, open-file limit, profiler). Absent: nothing to check beyond the sweep's own preflight
   * on this machine (sweep/preflight.ts).
   */
  preflight?(needs: LauncherNeeds): Promise<PreflightReport>;
  /** Releases what the launcher holds for the sweep (ssh control connections); the runner calls it once the sweep ends, whatever happened. */
  close?(): Promise<void>;
}
