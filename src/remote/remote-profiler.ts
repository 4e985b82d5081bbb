/**
 * A profiler on the host of the processes it watches: an agent session of its own runs the
 * registry's profiler there (agent/agent.ts) and sends back its table and raw output, which is
 * kept beside the run's log here like a local profiler's.
 */
import { writeFileSync } from "node:fs";
import { ProfileError, type Profiler, type ProfilerSetup, type ProfileTarget, type SyscallCounts } from "../profile/profiler.js";
import type { ProfilerKind } from "../profile/registry.js";
import { REQUEST_TIMEOUT_MS, type ProfileReply } from "./protocol.js";
import type { AgentSession } from "./session.js";

export class RemoteProfiler implements Profiler {
  readonly target: ProfileTarget;
  private readonly session: AgentSession;
  private begun?: Promise<void>;
  private counts?: Promise<SyscallCounts | ProfileError>;

  constructor(
    private readonly host: { openSession(): AgentSession; where: string },
    private readonly kind: ProfilerKind,
    private readonly setup: ProfilerSetup,
  ) {
    this.target = setup.target;
    // Opened now, before the window: an ssh session and the agent's start take longer than perf's own attach.
    this.session = host.openSession();
  }

  wrap(argv: string[]): string[] {
    return argv;
  }

  async begin(pids: number[]): Promise<void> {
    this.begun = this.session
      .request(
        { type: "profileBegin", kind: this.kind, target: this.target, pids, extraArgs: [...this.setup.extraArgs] },
        REQUEST_TIMEOUT_MS,
      )
      .then(() => undefined);
    await this.begun.catch(() => undefined);
  }

  async end(): Promise<void> {
    this.counts ??= this.detach();
    await this.counts;
  }

  private async detach(): Promise<SyscallCounts | ProfileError> {
    const session = this.session;
    if (!this.begun) return new ProfileError(`the ${this.target} on ${this.host.where} was never profiled`);
    try {
      await this.begun;
      const reply = (await session.request({ type: "profileEnd" }, REQUEST_TIMEOUT_MS)) as ProfileReply;
      if (reply.raw !== undefined) writeFileSync(this.setup.rawFile, reply.raw);
      if (!reply.counts) return new ProfileError(`${this.host.where}: ${reply.error ?? "no syscall table"}`);
      return { ...reply.counts, rawFile: this.setup.rawFile };
    } catch (error) {
      return new ProfileError(`profiling the ${this.target} on ${this.host.where}: ${(error as Error).message}`);
    } finally {
      await session.close(5000);
    }
  }

  result(): Promise<SyscallCounts | ProfileError> {
    if (!this.counts) this.session.kill();
    return this.counts ?? Promise.resolve(new ProfileError(`the ${this.target}'s window never closed, so it was not profiled`));
  }

  async abort(): Promise<void> {
    this.session.kill();
  }
}
