/**
 * Servers under test: start from the spec's template, wait until ready, stop the whole tree.
 * With `lifetime: group` one server serves every cell whose command line is the same; with
 * `lifetime: warm` (the built-in server's default) a server is kept while the next run has the
 * same command line, and handed over only once its previous run's connections are all closed.
 */
import { stripControl } from "../untrusted/terminal.js";
import type { Launched, Launcher } from "../launch/launcher.js";
import { describeExit } from "../process/child.js";
import { openConnections, resetPeakRss } from "../process/sockets.js";
import { removePerfMaps, writesPerfMaps } from "../server/perf-map.js";
import { CellFailure } from "./failure.js";
import type { ServerSpec, SweepSpec } from "./spec.js";
import { expandEnv, expandTemplate } from "./template.js";

export interface RunningServer {
  child: Launched;
  port: number;
  /** Set when the server stopped on its own (it should not while in use). */
  exitedEarly?: string;
  /** Set when it ran on another host and the connection to that host was lost (exitedEarly names the host). */
  hostLost?: boolean;
  /** As shown in messages. */
  commandLine: string;
}

async function waitForStdoutLine(child: Launched, pattern: RegExp, deadline: number, abort: AbortSignal): Promise<boolean> {
  if (pattern.test(child.stdout())) return true;
  if (abort.aborted) return false; // an abort event that already fired will not fire again
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), Math.max(0, deadline - Date.now()));
    const finish = (ready: boolean) => {
      clearTimeout(timer);
      abort.removeEventListener("abort", onAbort);
      resolve(ready);
    };
    const onAbort = () => finish(false);
    abort.addEventListener("abort", onAbort);
    child.stdoutLines((line) => pattern.test(line) && finish(true));
    void child.exited.then(() => finish(false));
  });
}

/** Changes the command line as launched (a traced pass wraps it in strace). */
export type WrapCommand = (argv: string[]) => string[];

export async function startServer(
  launcher: Launcher,
  spec: ServerSpec,
  values: Record<string, string | number>,
  host: string,
  port: number,
  abort: AbortSignal,
  wrap: WrapCommand = (argv) => argv,
): Promise<RunningServer> {
  const argv = wrap(expandTemplate(spec.argv, values));
  const child = launcher.start({ argv, cwd: spec.cwd, env: expandEnv(spec.env, values) });
  const server: RunningServer = { child, port, commandLine: argv.join(" ") };
  void child.exited.then((exit) => {
    server.exitedEarly = describeExit(exit);
    server.hostLost = exit.lost !== undefined;
  });
  const deadline = Date.now() + spec.readyTimeoutS * 1000;
  const ready =
    spec.ready.kind === "port"
      ? await launcher.waitUntilAccepting(host, port, deadline, () => child.hasExited || abort.aborted)
      : await waitForStdoutLine(child, spec.ready.pattern, deadline, abort);
  if (ready && !child.hasExited) return server;

  const exitedOnItsOwn = child.hasExited; // once we stop it, it has exited too: that is not a failed start
  const { exit } = await child.stop(spec.stopSignal, spec.stopGraceS * 1000);
  if (abort.aborted) throw new CellFailure("interrupted", "interrupted while the server was starting");
  const output = lastLines(child.stderr() || child.stdout());
  if (exitedOnItsOwn) {
    throw new CellFailure("server_failed", `server ${describeExit(exit)} before it was ready${output}`, { server: child });
  }
  const readiness = spec.ready.kind === "port" ? `accepting on ${host}:${port}` : `printing a line matching ${spec.ready.pattern}`;
  const hint = spec.ready.kind === "port" ? "" : `; ${BUFFERED_STDOUT_HINT}`;
  throw new CellFailure("server_not_ready", `server was not ${readiness} within ${spec.readyTimeoutS} s${output}${hint}`, {
    server: child,
  });
}

/**
 * Before every run's warmup, whatever the readiness method and for a server started by hand too:
 * one connection opened and closed, the same probe as `ready: port`. A server that has never seen a
 * connection close can be in another state than a long-running one (CPython's 256 KiB read buffer
 * stays above glibc's mmap threshold until a read at end-of-file frees one whole: 3 memory calls per
 * request, 4× fewer responses), so every run measures the state a server is in once it has accepted
 * and closed connections (docs/decisions.md "One server state whatever the readiness method").
 * A started server that does not accept within its ready timeout fails the run; nothing accepting
 * on `address` is left to the client to report.
 */
export async function settleServer(
  launcher: Launcher,
  target: { host: string; port: number },
  server: RunningServer | undefined,
  spec: ServerSpec | undefined,
  abort: AbortSignal,
): Promise<void> {
  const timeoutS = server && spec ? spec.readyTimeoutS : 2;
  const giveUp = () => abort.aborted || server?.child.hasExited === true;
  const accepted = await launcher.waitUntilAccepting(target.host, target.port, Date.now() + timeoutS * 1000, giveUp);
  if (accepted || !server || giveUp()) return;
  throw new CellFailure(
    "server_not_ready",
    `server was ready but did not accept a connection on ${target.host}:${target.port} within ${timeoutS} s (ready_timeout)`,
    { server: server.child },
  );
}

/** Where the client connects: `address`, else the server host as clients reach it. */
export function settleTarget(spec: Pick<SweepSpec, "address" | "connectHost" | "host">, values: Record<string, string | number>) {
  return { host: spec.address !== undefined ? String(values.host) : (spec.connectHost ?? spec.host), port: Number(values.port) };
}

/** Why a ready line may never arrive though the server printed it, and the two ways out. */
const BUFFERED_STDOUT_HINT =
  "a program whose stdout is a pipe often buffers it in blocks (Python's print, C's stdio), so its ready line may still sit in that buffer: flush it (print(..., flush=True), python3 -u, fflush) or use ready: port";

/** The last lines of a process's output, for an error message a user can act on. */
export function lastLines(text: string, count = 3): string {
  const lines = text.trim().split("\n").filter(Boolean).slice(-count);
  return lines.length === 0 ? "" : `: ${stripControl(lines.join(" | ")).slice(0, 500)}`; // a program's output: no escape sequences in our messages
}

/** How many ports a server start tries when another process takes its port first. */
const PORT_ATTEMPTS = 3;

/** How long a kept server may take to close its previous run's connections before a fresh one replaces it. */
const WARM_DRAIN_MS = 3000;

export class ServerPool {
  private readonly shared = new Map<string, Promise<RunningServer>>();
  /** `lifetime: warm`: servers between runs, by command line (port aside). */
  private readonly idle: { key: string; server: RunningServer }[] = [];
  /** Processes of stopped built-in servers whose /tmp/perf-PID.map is removed when the sweep stops its servers. */
  private readonly perfMapPids: number[] = [];
  /** `lifetime: warm`: the command line (port aside) of each server that may be kept. */
  private readonly warmKeys = new WeakMap<RunningServer, string>();

  constructor(
    private readonly launcher: Launcher,
    private readonly spec: ServerSpec,
    private readonly host: string,
    private readonly drainMs = WARM_DRAIN_MS,
  ) {}

  /** The server for one cell run: a fresh one, or the group's (started on first use; `wrap` applies to a fresh one). */
  async acquire(
    valuesFor: (port: number) => Record<string, string | number>,
    abort: AbortSignal,
    wrap?: WrapCommand,
  ): Promise<RunningServer> {
    const start = async (): Promise<RunningServer> => {
      // A free port is only free until someone binds it: another sweep (or anything) on this machine may
      // take it between our probe and the server's bind. A server that then exits before it is ready,
      // while something else accepts on its port, lost that race: it gets another port (a few times).
      for (let attempt = 1; ; attempt++) {
        const port = await this.launcher.freePort(this.host).catch((error: Error) => {
          throw new CellFailure("server_failed", `cannot find a free port on ${this.launcher.where}: ${error.message}`);
        });
        // A signal while the port was picked: no server should start after it (test/runner-interrupt.test.ts).
        if (abort.aborted) throw new CellFailure("interrupted", "interrupted before the server started");
        try {
          return await startServer(this.launcher, this.spec, valuesFor(port), this.host, port, abort, wrap);
        } catch (error) {
          const lostRace =
            error instanceof CellFailure &&
            error.status === "server_failed" &&
            attempt < PORT_ATTEMPTS &&
            !abort.aborted &&
            (await this.launcher.waitUntilAccepting(this.host, port, Date.now() + 200, () => abort.aborted));
          if (!lostRace) throw error;
        }
      }
    };
    if (this.spec.lifetime === "cell") return start();
    const key = serverGroupKey(this.spec, valuesFor(0));
    if (this.spec.lifetime === "warm") return this.acquireWarm(key, start, wrap, abort);
    let server = this.shared.get(key);
    if (!server) {
      server = start();
      this.shared.set(key, server);
      server.catch(() => this.shared.delete(key)); // a failed start is retried by the group's next cell
    }
    const running = await server;
    if (running.exitedEarly) {
      this.shared.delete(key);
      return this.acquire(valuesFor, abort, wrap);
    }
    if (this.spec.host === undefined) resetPeakRss(running.child.processIds?.() ?? []); // each run reports its own peak (this machine's /proc only)
    return running;
  }

  /**
   * A kept server with this command line whose previous run's connections are all closed (its peak
   * RSS reset, so the run reports its own), else a fresh one; servers kept for other command lines
   * stop first, so at most the running ones and this one are alive. A wrapped command (a traced
   * pass that starts the server under its profiler) always gets a fresh server, never kept.
   */
  private async acquireWarm(
    key: string,
    start: () => Promise<RunningServer>,
    wrap: WrapCommand | undefined,
    abort: AbortSignal,
  ): Promise<RunningServer> {
    const probe = ["{argv}"];
    if (wrap && JSON.stringify(wrap(probe)) !== JSON.stringify(probe)) return start(); // not in warmKeys: stopped on release
    const at = this.idle.findIndex((entry) => entry.key === key);
    if (at >= 0) {
      const [{ server }] = this.idle.splice(at, 1) as [{ key: string; server: RunningServer }];
      if (!server.exitedEarly && (await this.drained(server, abort))) {
        resetPeakRss(server.child.processIds?.() ?? []);
        return server;
      }
      await this.stop(server); // died, or still holds connections: a clean state needs a fresh server
    }
    while (this.idle.length > 0) await this.stop(this.idle.shift()!.server);
    const server = await start();
    this.warmKeys.set(server, key);
    return server;
  }

  /** Waits (up to drainMs) until none of the server's processes holds a TCP connection (an interrupted sweep does not wait: its run stops at once). */
  private async drained(server: RunningServer, abort: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + this.drainMs;
    // Without process ids (a launcher that cannot give them) its connections cannot be seen: not reused.
    if (!server.child.processIds) return abort.aborted;
    for (;;) {
      if (abort.aborted || openConnections(server.child.processIds()) === 0) return true;
      if (Date.now() >= deadline || server.exitedEarly) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Stops a cell's own server; a group's server keeps running for its next cell, a warm one waits for its next run. */
  async release(server: RunningServer): Promise<{ forced: boolean }> {
    if (this.spec.lifetime === "group" && !server.exitedEarly) return { forced: false };
    const key = this.warmKeys.get(server);
    if (key !== undefined && !server.exitedEarly) {
      this.idle.push({ key, server });
      return { forced: false };
    }
    return this.stop(server);
  }

  async stopAll(): Promise<void> {
    const servers = await Promise.allSettled(this.shared.values());
    this.shared.clear();
    for (const server of servers) if (server.status === "fulfilled") await this.stop(server.value);
    while (this.idle.length > 0) await this.stop(this.idle.shift()!.server);
    // The sweep's runs have all ended, so no profile reads these any more.
    removePerfMaps(this.perfMapPids.splice(0));
  }

  private async stop(server: RunningServer): Promise<{ forced: boolean }> {
    // Listed before the stop (a stopped tree has no processes left to list), removed by stopAll:
    // the run's CPU profile may still be reading them (perf script runs as its window closes).
    if (writesPerfMaps(this.spec.builtin, server.child.argv)) this.perfMapPids.push(...(server.child.processIds?.() ?? []));
    const { forced } = await server.child.stop(this.spec.stopSignal, this.spec.stopGraceS * 1000);
    return { forced };
  }
}

/** Where a cell run gets its server and gives it back: the spec's pool, or one profiled run's held server. */
export type ServerSource = Pick<ServerPool, "acquire" | "release">;

/**
 * One server for both passes of a profiled run (clean, then traced with window profilers, which
 * attach to a running server and wrap nothing): saves a server start and stop per run. Releases
 * keep it until `lastPass()`; then the last pass's release stops it as usual (inside that pass's
 * "server stop" phase). A server that died is not reused: the next pass gets a fresh one.
 */
export class HeldServer implements ServerSource {
  private held?: RunningServer;
  private keep = true;
  constructor(private readonly pool: ServerSource) {}

  async acquire(
    valuesFor: (port: number) => Record<string, string | number>,
    abort: AbortSignal,
    wrap?: WrapCommand,
  ): Promise<RunningServer> {
    if (this.held && !this.held.exitedEarly) return this.held;
    if (this.held) await this.pool.release(this.held);
    this.held = await this.pool.acquire(valuesFor, abort, wrap);
    return this.held;
  }

  async release(server: RunningServer): Promise<{ forced: boolean }> {
    if (this.keep && server === this.held && !server.exitedEarly) return { forced: false };
    if (server === this.held) this.held = undefined;
    return this.pool.release(server);
  }

  /** The next pass is the last: its release stops the server. */
  lastPass(): void {
    this.keep = false;
  }

  /** Stops a server still held (the run ended before its last pass). */
  async releaseHeld(): Promise<void> {
    this.keep = false;
    if (this.held) await this.release(this.held);
  }
}

/** Same command line, port aside ⇒ same server (`lifetime: group`). */
export function serverGroupKey(spec: ServerSpec, values: Readonly<Record<string, string | number>>): string {
  return JSON.stringify(expandTemplate(spec.argv, { ...values, port: "{port}", address: "{address}" }));
}
