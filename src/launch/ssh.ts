/**
 * Processes on another host, over the system's OpenSSH: each role is one `tcpsweep agent` session
 * (agent/agent.ts) multiplexed over one ControlMaster per host per sweep, BatchMode so nothing
 * ever prompts. The session is the process's lifeline: when it ends, the agent stops the tree.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { ExitInfo } from "../process/child.js";
import type { TreeUsage } from "../process/proctree.js";
import type { ProfilerSetup } from "../profile/profiler.js";
import type { ProfilerKind } from "../profile/registry.js";
import { RemoteProfiler } from "../remote/remote-profiler.js";
import { REQUEST_TIMEOUT_MS } from "../remote/protocol.js";
import { AgentSession } from "../remote/session.js";
import { cliEntry as defaultCliEntry } from "../entry.js";
import type { RemoteHost, RemoteSettings } from "../remote/hosts.js";
import type { Launched, Launcher, LauncherNeeds, PreflightReport, StartRequest } from "./launcher.js";
import { preflightHosts } from "./ssh-preflight.js";

/** One word for a POSIX shell (ssh hands the remote command to the login shell). */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The ssh command lines of a sweep: the spec's options, batch mode, a ControlMaster per host. */
export class SshConnections {
  private controlDir?: string;
  private readonly used = new Set<RemoteHost>();
  constructor(readonly settings: RemoteSettings) {}

  /** `ssh … HOST -- TCPSWEEP agent`: our defaults come after the spec's options, so the spec's `-o`s win. */
  agentArgv(host: RemoteHost): string[] {
    this.used.add(host);
    // A short path: control sockets are unix sockets, limited to about 100 bytes.
    this.controlDir ??= mkdtempSync(path.join(tmpdir(), "tsw-ssh-"));
    return [
      "ssh",
      ...this.settings.sshOptions,
      ...this.controlOptions(),
      "-o",
      "ConnectTimeout=10",
      "-o",
      "ServerAliveInterval=2",
      "-o",
      "ServerAliveCountMax=3",
      "-T",
      host.ssh,
      "--",
      [...host.tcpsweep, "agent"].map(shellWord).join(" "),
    ];
  }

  private controlOptions(): string[] {
    return ["-o", "BatchMode=yes", "-o", "ControlMaster=auto", "-o", `ControlPath=${this.controlDir}/%C`, "-o", "ControlPersist=60"];
  }

  open(host: RemoteHost): AgentSession {
    return new AgentSession(this.agentArgv(host), host.name);
  }

  /** Ends every control master this sweep opened, and removes their sockets. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.used].map((host) =>
        execa("ssh", [...this.settings.sshOptions, ...this.controlOptions(), "-O", "exit", host.ssh], {
          reject: false,
          timeout: 5000,
          stdin: "ignore",
        }),
      ),
    );
    this.used.clear();
    if (this.controlDir) rmSync(this.controlDir, { recursive: true, force: true });
    this.controlDir = undefined;
  }
}

/** A role's process tree on a remote host, seen through its agent session. */
export class RemoteProcess implements Launched {
  readonly argv: readonly string[];
  readonly exited: Promise<ExitInfo>;
  private finished = false;
  private out = "";
  private err = "";
  private readonly outListeners: ((line: string) => void)[] = [];
  private readonly errListeners: ((line: string) => void)[] = [];
  private latest?: { usage: TreeUsage; pids: number[] };
  private forced = false;

  constructor(
    readonly session: AgentSession,
    request: StartRequest,
  ) {
    const cli = [process.execPath, defaultCliEntry()];
    const self = request.argv[0] === cli[0] && request.argv[1] === cli[1];
    const argv = self ? request.argv.slice(2) : [...request.argv];
    this.argv = [...session.argv, "#", ...(self ? ["tcpsweep", ...argv] : argv)];
    let onExit: (exit: ExitInfo) => void = () => undefined;
    this.exited = new Promise<ExitInfo>((resolve) => (onExit = resolve)).then((exit) => ((this.finished = true), exit));
    session.onEvent((event) => {
      if (event.type === "stdout" || event.type === "stderr") {
        const line = event.line;
        if (event.type === "stdout") this.out = keepTail(this.out + line + "\n");
        else this.err = keepTail(this.err + line + "\n");
        for (const listener of event.type === "stdout" ? this.outListeners : this.errListeners) listener(line);
      } else if (event.type === "usage") this.latest = { usage: event.usage, pids: event.pids };
      else if (event.type === "exit") onExit(event.exit);
    });
    void session.ended.then((end) => onExit({ lost: `lost: ${end.message}` }));
    session
      .request(
        { type: "start", argv, self, ...(request.cwd ? { cwd: request.cwd } : {}), ...(request.env ? { env: request.env } : {}) },
        REQUEST_TIMEOUT_MS,
      )
      .catch((error: Error) => {
        this.err += `${error.message}\n`;
        session.kill();
      });
  }

  get hasExited(): boolean {
    return this.finished;
  }
  stdout(): string {
    return this.out;
  }
  stderr(): string {
    return this.err;
  }
  stdoutLines(listener: (line: string) => void): void {
    this.outListeners.push(listener);
  }
  stderrLines(listener: (line: string) => void): void {
    this.errListeners.push(listener);
  }
  /** PIDs on the remote host, as its agent last reported them (every 100 ms). */
  processIds(): number[] {
    return this.latest?.pids ?? [];
  }
  /** The tree's counters as last pushed by the agent (at most 100 ms old). */
  usage(): TreeUsage | undefined {
    return this.latest?.usage;
  }
  signal(signal: NodeJS.Signals): void {
    this.session.notify({ type: "signal", signal });
  }
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<{ forced: boolean; exit: ExitInfo }> {
    if (!this.session.hasEnded) {
      try {
        const reply = await this.session.request({ type: "stop", signal, graceMs }, graceMs + REQUEST_TIMEOUT_MS);
        this.forced = reply.forced === true;
      } catch {
        // the session is gone or stuck: ending ssh makes the agent stop the tree (stdin EOF)
      }
      await this.session.close(graceMs + 5000);
    }
    return { forced: this.forced, exit: await this.exited };
  }
}

function keepTail(text: string, limit = 1 << 20): string {
  return text.length > limit ? text.slice(-limit) : text;
}

/** Starts processes on one remote host (the server's, or a profiler beside it). */
export class SshLauncher implements Launcher {
  readonly where: string;
  constructor(
    private readonly connections: SshConnections,
    readonly host: RemoteHost,
  ) {
    this.where = `host ${host.name} (${host.ssh})`;
  }

  start(request: StartRequest): Launched {
    return new RemoteProcess(this.connections.open(this.host), request);
  }

  openSession(): AgentSession {
    return this.connections.open(this.host);
  }

  /** One short request on a session of its own. */
  private async ask(request: Parameters<AgentSession["request"]>[0], timeoutMs = REQUEST_TIMEOUT_MS): Promise<Record<string, unknown>> {
    const session = this.openSession();
    try {
      return await session.request(request, timeoutMs);
    } finally {
      await session.close(2000);
    }
  }

  async freePort(host: string): Promise<number> {
    return Number((await this.ask({ type: "freePort", host })).port);
  }

  /** Probed on the host itself; ends early when `giveUp()` says so (e.g. the server's session ended). */
  async waitUntilAccepting(host: string, port: number, deadline: number, giveUp: () => boolean): Promise<boolean> {
    const timeoutMs = Math.max(0, deadline - Date.now());
    const session = this.openSession();
    const watch = setInterval(() => giveUp() && session.kill(), 100);
    try {
      const reply = await session.request({ type: "waitAccepting", host, port, timeoutMs }, timeoutMs + REQUEST_TIMEOUT_MS);
      return reply.accepting === true;
    } catch {
      return false;
    } finally {
      clearInterval(watch);
      await session.close(2000);
    }
  }

  /** Checked on the host by the remote preflight. */
  openFileShortfall(): string | undefined {
    return undefined;
  }

  createProfiler(kind: ProfilerKind, setup: ProfilerSetup): RemoteProfiler {
    return new RemoteProfiler(this, kind, setup);
  }

  /** Asks the agent on its host (ssh-preflight.ts). */
  preflight(needs: LauncherNeeds): Promise<PreflightReport> {
    return preflightHosts((host) => this.connections.open(host), [{ host: this.host, ...needs }]);
  }

  close(): Promise<void> {
    return this.connections.close();
  }
}
