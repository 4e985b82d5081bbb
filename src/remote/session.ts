/**
 * The controller's end of one agent: an `ssh … tcpsweep agent` child speaking the agent protocol
 * (protocol.ts). Requests time out and fail when the session ends, so nothing waits forever on a
 * host that went away; the error names the host and says what ssh said.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { stripControl } from "../untrusted/terminal.js";
import { checkAgentEvent } from "./messages.js";
import { PING_INTERVAL_MS, lineReader, type Event, type Notice, type Request } from "./protocol.js";

export interface SessionEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What went wrong, naming the host (ssh's own last words included). */
  message: string;
}

export class AgentSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  private readonly listeners: ((event: Event) => void)[] = [];
  private nextId = 1;
  private stderrText = "";
  private endedWith?: SessionEnd;
  private inputClosed = false;
  /** Lines from the agent that were not a protocol message (or were over the length limit): dropped. */
  dropped = 0;
  readonly ended: Promise<SessionEnd>;

  constructor(
    /** The ssh command line that runs the agent. */
    readonly argv: readonly string[],
    /** The host's name in the spec, for messages. */
    readonly host: string,
  ) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdin.on("error", () => undefined); // a session that died closes the pipe: `ended` says why
    const heartbeat = setInterval(() => this.notify({ type: "ping" }), PING_INTERVAL_MS);
    heartbeat.unref();
    this.child.stdout.on(
      "data",
      lineReader(
        (line) => {
          const checked = checkAgentEvent(line);
          if (!checked.ok) {
            // A shell's greeting, a wrong tcpsweep, or a message that does not fit: dropped, counted, kept for the error message.
            this.dropped++;
            this.stderrText = `${this.stderrText}${stripControl(line.slice(0, 300))}\n`.slice(-8192);
            return;
          }
          const event = checked.message;
          if (event.type === "reply") {
            const waiter = this.pending.get(event.id);
            this.pending.delete(event.id);
            if (event.error !== undefined) waiter?.reject(new Error(`host ${host}: ${event.error}`));
            else waiter?.resolve(event);
            return;
          }
          for (const listener of this.listeners) listener(event);
        },
        () => this.dropped++,
      ),
    );
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString("utf8")).slice(-8192);
    });
    this.ended = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: string) => {
        if (this.endedWith) return;
        clearInterval(heartbeat);
        const said = this.stderrText.trim().split("\n").filter(Boolean).slice(-3).join(" | ");
        const how = spawnError ?? (signal ? `ssh killed by ${signal}` : `ssh exited with code ${code}`);
        const hint = code === 127 ? " (tcpsweep not found there: set hosts." + host + ".tcpsweep)" : "";
        this.endedWith = { code, signal, message: `host ${host}: session ended (${how}${hint})${said ? `: ${said}` : ""}` };
        for (const waiter of this.pending.values()) waiter.reject(new Error(this.endedWith.message));
        this.pending.clear();
        resolve(this.endedWith);
      };
      this.child.once("error", (error) => finish(null, null, `could not run ${argv[0]}: ${error.message}`));
      this.child.once("close", (code, signal) => finish(code, signal));
    });
  }

  get hasEnded(): boolean {
    return this.endedWith !== undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  onEvent(listener: (event: Event) => void): void {
    this.listeners.push(listener);
  }

  /** A request and its reply; rejects after `timeoutMs`, or when the session ends first. */
  request(message: Request, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.endedWith) return Promise.reject(new Error(this.endedWith.message));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(
            `host ${this.host}: no answer to "${message.type}" within ${Math.round(timeoutMs / 1000)} s${this.stderrText.trim() ? `: ${this.stderrText.trim().split("\n").slice(-2).join(" | ")}` : ""}`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.child.stdin.write(`${JSON.stringify({ ...message, id })}\n`);
    });
  }

  notify(message: Notice): void {
    if (!this.endedWith && !this.inputClosed) this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Closes the agent's stdin: it stops its tree (with its grace) and exits. */
  closeInput(): void {
    this.inputClosed = true;
    this.child.stdin.end();
  }

  /** Ends the local ssh at once (the agent then sees EOF and stops its tree). */
  kill(): void {
    if (!this.endedWith) this.child.kill("SIGKILL");
  }

  /** Closes stdin, waits up to `graceMs` for the session to end, then kills ssh. */
  async close(graceMs: number): Promise<SessionEnd> {
    this.closeInput();
    const timer = setTimeout(() => this.kill(), graceMs);
    const end = await this.ended;
    clearTimeout(timer);
    return end;
  }
}
