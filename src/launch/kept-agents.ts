/**
 * A load host's agent kept for the sweep (kept.ts's pool, in ssh-clients.ts): one `tcpsweep agent`
 * session per host runs one client run after another instead of a new ssh session and agent per run.
 * A run takes it ({@link KeptAgent.use}), gets its events, and gives it back once the host's client
 * has exited ({@link KeptAgent.release}); the agent is lost during a run when its session ends (ssh,
 * sshd or the agent killed, the network gone) or its warm client does (the exit's `lost`), and the
 * run is then retried once on a new one (kept.ts's retryOnLoss).
 */
import type { RemoteHost } from "../remote/hosts.js";
import { REQUEST_TIMEOUT_MS, type Event } from "../remote/protocol.js";
import type { AgentSession, SessionEnd } from "../remote/session.js";
import type { Kept } from "./kept.js";

const CLOSE_GRACE_MS = 5000;

export class KeptAgent implements Kept {
  readonly session: AgentSession;
  /** Runs taken so far (1 for the first): said in each run's output. */
  runs = 0;
  private listener?: { onEvent: (event: Event) => void; onEnd: (end: SessionEnd) => void };
  private lossNoted = false;
  /** The run stopped its client because another host failed: its warm client's end is no loss of its own. */
  private excused = false;
  private hello?: Promise<{ cpus: number; pid: number | undefined }>;

  constructor(
    open: (host: RemoteHost) => AgentSession,
    readonly host: RemoteHost,
    private readonly onLoss: (reason: string) => void,
  ) {
    this.session = open(host);
    this.session.onEvent((event) => {
      // The agent's warm client died or was stopped during the run: the agent stays, the run is retried.
      if (event.type === "exit" && event.exit.lost && this.busy && !this.excused) this.onLoss(`host ${host.name}: ${event.exit.lost}`);
      this.listener?.onEvent(event);
    });
    void this.session.ended.then((end) => {
      const during = this.listener;
      if (!this.lossNoted && during) this.onLoss(`kept agent lost: ${end.message}`);
      this.lossNoted = true;
      during?.onEnd(end);
    });
  }

  get alive(): boolean {
    return !this.session.hasEnded && !this.lossNoted;
  }
  get busy(): boolean {
    return this.listener !== undefined;
  }

  /** The run that takes it gets its events, and the session's end, until it releases it. */
  use(onEvent: (event: Event) => void, onEnd: (end: SessionEnd) => void): void {
    this.runs++;
    this.excused = false;
    this.listener = { onEvent, onEnd };
  }

  /** Its CPU count and the agent's pid, asked once per agent. */
  describe(): Promise<{ cpus: number; pid: number | undefined }> {
    this.hello ??= this.session.request({ type: "hello" }, REQUEST_TIMEOUT_MS).then((reply) => ({
      cpus: Number(reply.cpus) || 1,
      pid: typeof reply.pid === "number" ? reply.pid : undefined,
    }));
    return this.hello;
  }

  /**
   * Stops the run's tree on the host and keeps the agent; an agent that does not answer in time is
   * ended (a loss: the next run gets a new one). `excused`: stopped because another host failed, so
   * a warm client ended by it is not a reason to retry (a stop by the cell, its time limit, is: the
   * client hung, as for the local warm client).
   */
  async endRun(signal: NodeJS.Signals, graceMs: number, excused: boolean): Promise<boolean> {
    if (this.session.hasEnded) return false;
    this.excused = excused;
    try {
      const reply = await this.session.request({ type: "endRun", signal, graceMs }, graceMs + REQUEST_TIMEOUT_MS);
      return reply.forced === true;
    } catch {
      this.session.kill(); // stuck or gone: ending ssh makes the agent stop its tree (stdin EOF)
      await this.session.ended;
      return false;
    }
  }

  /** The run is over (its client exited, or was stopped): the next run may take it. */
  release(): void {
    this.listener = undefined;
  }

  /** Stdin closed: the agent stops whatever runs (its warm client too) and exits; ssh killed after a grace. */
  async close(): Promise<void> {
    this.lossNoted = true;
    await this.session.close(CLOSE_GRACE_MS);
  }
}
