/**
 * `tcpsweep agent`: the remote end of one role (server, client, profiler) of a sweep, run over
 * ssh (docs/remote-hosts.md). It starts the role's process tree, forwards its output, pushes its
 * /proc usage, answers clock pings, runs a profiler on that host, and stops the whole tree on a
 * stop message or stdin EOF: when the ssh session goes, for whatever reason, so does the tree.
 * A load host's agent is kept for the sweep: it runs one client run after another (`endRun`
 * between them), the built-in client in a warm client of its own (launch/warm-client.ts).
 */
import { availableParallelism, constants as osConstants, hostname, release } from "node:os";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { READY_LINE, WINDOW_ENDED_LINE, WINDOW_STARTED_LINE } from "../client/index.js";
import type { Launched } from "../launch/launcher.js";
import { LocalLauncher } from "../launch/local.js";
import { WarmClientLauncher } from "../launch/warm-client.js";
import { killEveryChildNow } from "../process/child.js";
import { openFileShortfall } from "../process/limits.js";
import { accepts, freePort } from "../process/ports.js";
import { usageBetween, type TreeUsage } from "../process/proctree.js";
import { ProfileError, type Profiler } from "../profile/profiler.js";
import { PROFILERS } from "../profile/registry.js";
import { preciseNowMs } from "../remote/clock.js";
import { checkAgentInput } from "../remote/messages.js";
import { DroppedMessages } from "./dropped.js";
import {
  CLOCK_OFFSET_ENV,
  MAX_LINE_LENGTH,
  SILENCE_LIMIT_MS,
  USAGE_INTERVAL_MS,
  lineReader,
  tcpsweepVersion,
  type Event,
  type HelloReply,
  type Notice,
  type ProfileReply,
  type Request,
} from "../remote/protocol.js";

/** How long the tree gets after stdin EOF before SIGKILL. */
const EOF_GRACE_MS = 2000;

class Agent {
  private child?: Launched;
  private readonly local = new LocalLauncher();
  /** The built-in client's runs, when the controller asks for it warm: one process for the agent's runs. */
  private readonly warm = new WarmClientLauncher(this.local);
  private profiler?: { profiler: Profiler; dir: string };
  private usageTimer?: NodeJS.Timeout;
  private windowBefore?: TreeUsage;
  private stopping?: Promise<unknown>;
  private readonly clockOffsetMs = Number(process.env[CLOCK_OFFSET_ENV] ?? 0) || 0;

  private now(): number {
    return preciseNowMs() + this.clockOffsetMs;
  }

  private send(event: Event): void {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  }

  async handle(message: (Request | Notice) & { id?: number }): Promise<void> {
    if (message.type === "window") {
      const child = this.child;
      setTimeout(() => child?.writeStdin?.("start\n"), Math.max(0, message.startAtMs - this.now()));
      return;
    }
    if (message.type === "signal") {
      this.child?.signal(message.signal);
      return;
    }
    if (message.type === "ping") return; // hearing it is the point (runAgent's silence watch)
    const id = message.id ?? 0;
    try {
      const reply = await this.answer(message);
      this.send({ type: "reply", id, ...reply });
      if (message.type === "stop")
        await new Promise<void>((resolve) => process.stdout.write("", () => resolve())).then(() => process.exit(0));
    } catch (error) {
      this.send({ type: "reply", id, error: (error as Error).message });
    }
  }

  private async answer(message: Request): Promise<Record<string, unknown>> {
    switch (message.type) {
      case "hello": {
        const kind = message.profiler;
        const hello: HelloReply = {
          version: tcpsweepVersion(),
          pid: process.pid,
          node: process.versions.node,
          cpus: availableParallelism(),
          hostname: hostname(),
          kernel: release(),
          ...(message.connections ? { nofileProblem: openFileShortfall(message.connections) } : {}),
          ...(kind ? { profilerProblem: PROFILERS[kind].preflight() } : {}),
        };
        return { ...hello };
      }
      case "time":
        return { nowMs: this.now() };
      case "freePort":
        return { port: await freePort(message.host) };
      case "waitAccepting": {
        const host = message.host === "0.0.0.0" ? "127.0.0.1" : message.host === "::" ? "::1" : message.host;
        const deadline = Date.now() + message.timeoutMs;
        while (Date.now() < deadline && !this.child?.hasExited) {
          if (await accepts(host, message.port)) return { accepting: true };
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        return { accepting: false };
      }
      case "start":
        return { pid: this.start(message) };
      case "stop":
        return await this.stop(message.signal, message.graceMs);
      case "endRun": {
        const child = this.child;
        if (!child || child.hasExited) return { forced: false };
        return { forced: (await child.stop(message.signal, message.graceMs)).forced };
      }
      case "profileBegin": {
        const dir = mkdtempSync(path.join(tmpdir(), "tcpsweep-agent-"));
        const profiler = PROFILERS[message.kind].create({
          target: message.target,
          rawFile: path.join(dir, `${message.target}.txt`),
          extraArgs: message.extraArgs,
          launcher: new LocalLauncher(),
        });
        this.profiler = { profiler, dir };
        await profiler.begin(message.pids);
        return {};
      }
      case "profileEnd":
        return { ...(await this.endProfile()) };
    }
  }

  private start(message: Extract<Request, { type: "start" }>): number | undefined {
    if (this.child && !this.child.hasExited) throw new Error("this agent already runs a process");
    if (this.stopping) throw new Error("this agent is stopping");
    clearInterval(this.usageTimer);
    this.windowBefore = undefined;
    const self = [process.execPath, fileURLToPath(new URL("../cli/main.js", import.meta.url))];
    const lossesBefore = this.warm.kept.losses.length;
    const child = (message.warm ? this.warm : this.local).start({
      argv: message.self ? [...self, ...message.argv] : message.argv,
      ...(message.cwd ? { cwd: message.cwd } : {}),
      ...(message.env ? { env: message.env } : {}),
      stdin: message.stdin,
    });
    this.child = child;
    // What it said before anyone listened (a warm run's first line: which warm client runs it).
    for (const line of child.stderr().split("\n").filter(Boolean)) this.send({ type: "stderr", line });
    child.stdoutLines((line) => this.send({ type: "stdout", line }));
    child.stderrLines((line) => {
      this.send({ type: "stderr", line });
      if (line === READY_LINE) this.send({ type: "ready" });
      else if (line === WINDOW_STARTED_LINE) {
        this.windowBefore = this.usage();
        this.send({ type: "windowStarted", atMs: this.now() });
      } else if (line === WINDOW_ENDED_LINE) {
        const after = this.usage();
        this.send({
          type: "windowEnded",
          atMs: this.now(),
          ...(this.windowBefore && after ? { usage: usageBetween(this.windowBefore, after) } : {}),
        });
      }
    });
    const pushUsage = () => {
      const usage = this.usage();
      if (usage) this.send({ type: "usage", usage, pids: child.processIds?.() ?? [] });
    };
    pushUsage();
    this.usageTimer = setInterval(pushUsage, USAGE_INTERVAL_MS);
    void child.exited.then((exit) => {
      if (this.child === child) clearInterval(this.usageTimer);
      // The warm client was lost during this run (it died, or was stopped): the controller retries the run.
      const lost = this.warm.kept.losses.slice(lossesBefore);
      this.send({ type: "exit", exit: lost.length > 0 ? { ...exit, lost: lost.join("; ") } : exit });
    });
    return child.processIds?.()[0];
  }

  private usage(): TreeUsage | undefined {
    return this.child?.usage?.();
  }

  private async endProfile(): Promise<ProfileReply> {
    const current = this.profiler;
    if (!current) return { error: "no profiler was started on this host" };
    await current.profiler.end();
    const result = await current.profiler.result();
    this.profiler = undefined;
    let raw: string | undefined;
    try {
      raw = readFileSync(path.join(current.dir, `${current.profiler.target}.txt`), "utf8");
    } catch {
      raw = undefined;
    }
    rmSync(current.dir, { recursive: true, force: true });
    if (result instanceof ProfileError) return { error: result.message, ...(raw !== undefined ? { raw } : {}) };
    const { rawFile: _rawFile, ...counts } = result;
    return { counts, ...(raw !== undefined ? { raw } : {}) };
  }

  /** SIGKILL to every tree it started (a warm client between runs too) at once, synchronously (the process is exiting: no time for a grace). */
  killNow(): void {
    killEveryChildNow();
  }

  /** Stops the profiler and the whole tree (SIGKILL after the grace); idempotent. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<{ forced: boolean }> {
    this.stopping ??= (async () => {
      if (this.profiler) {
        await this.profiler.profiler.abort();
        rmSync(this.profiler.dir, { recursive: true, force: true });
      }
      let forced = false;
      if (this.child) {
        const stopped: { forced: boolean; escaped?: number } = await this.child.stop(signal, graceMs);
        forced = stopped.forced;
        const escaped = stopped.escaped ?? 0;
        if (escaped > 0) process.stderr.write(`tcpsweep agent: killed ${escaped} escaped descendant${escaped === 1 ? "" : "s"}\n`);
      }
      await this.warm.close();
      clearInterval(this.usageTimer);
      return { forced };
    })();
    return this.stopping as Promise<{ forced: boolean }>;
  }
}

export async function runAgent(): Promise<void> {
  const agent = new Agent();
  let queue = Promise.resolve();
  let heardAt = Date.now();
  const stopAndExit = (code: number) => void agent.stop("SIGTERM", EOF_GRACE_MS).then(() => process.exit(code));
  const dropped = new DroppedMessages((text) => process.stderr.write(text));
  const silenceWatch = setInterval(() => {
    dropped.tick();
    if (Date.now() - heardAt <= SILENCE_LIMIT_MS) return;
    clearInterval(silenceWatch);
    process.stderr.write(`tcpsweep agent: nothing from the controller for ${SILENCE_LIMIT_MS / 1000} s: stopping\n`);
    stopAndExit(0);
  }, 1000);
  // Whatever ends this process (an error, process.exit, a signal) ends the tree it started: last, synchronously.
  process.on("exit", () => agent.killNow());
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => stopAndExit(128 + osConstants.signals[signal]));
  const drop = (why: string, line: string) => dropped.drop(why, line);
  process.on("exit", () => dropped.summarise());
  process.stdin.on("data", () => (heardAt = Date.now()));
  process.stdin.on(
    "data",
    lineReader(
      (line) => {
        const checked = checkAgentInput(line);
        if (!checked.ok) return drop(checked.why, line);
        const message = checked.message;
        // Clock pings and notices are answered at once; the rest in order, one at a time.
        if (message.type === "time" || message.type === "window" || message.type === "signal" || message.type === "ping")
          void agent.handle(message);
        else queue = queue.then(() => agent.handle(message));
      },
      (length) => drop(`a line of ${length} characters, over the ${MAX_LINE_LENGTH} limit`, ""),
    ),
  );
  // stdin EOF: the controller, its ssh or the connection is gone; nothing may outlive the session.
  process.stdin.on("end", () => stopAndExit(0));
  process.stdout.on("error", () => stopAndExit(0));
}
