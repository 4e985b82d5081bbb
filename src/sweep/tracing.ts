/**
 * Syscall profiling of one traced pass: which profiler (from the registry) watches which
 * target, and their tables. The kind of profiler is decided once, in {@link tracePlan}.
 */
import { ProfileError, type ProfileTarget, type Profiler, type SyscallCounts, type SyscallSource } from "../profile/profiler.js";
import type { Launcher } from "../launch/launcher.js";
import { PROFILERS, type ProfilerKind } from "../profile/registry.js";
import type { SweepSpec } from "./spec.js";

export interface TracePlan {
  kind: ProfilerKind;
  source: SyscallSource;
  targets: ProfileTarget[];
  /** Extra profiler arguments (strace's `args`). */
  args: string[];
  /** `same`: the traced pass is the only pass (its rate is not the clean rate). */
  pass: "separate" | "same";
}

export function tracePlan(spec: SweepSpec): TracePlan | undefined {
  const strace = spec.profile?.strace;
  if (strace) {
    const targets: ProfileTarget[] = strace.target === "both" ? ["server", "client"] : [strace.target];
    const kind = strace.attach === "launch" ? "strace-launch" : "strace-window";
    return {
      kind,
      source: PROFILERS[kind].source,
      targets: spec.server ? targets : targets.filter((t) => t === "client"),
      args: strace.args,
      pass: strace.pass,
    };
  }
  if (spec.profile?.perf) return { kind: "perf", source: PROFILERS.perf.source, targets: ["server"], args: [], pass: "separate" };
  return undefined;
}

/** Why this plan cannot run with this spec on this machine (checked before the sweep starts), or undefined. */
export function tracePlanProblem(spec: SweepSpec, plan: TracePlan): string | undefined {
  if (spec.profile?.strace && spec.profile.perf) return "profile: use strace or perf, not both: each would perturb the other's counts";
  if (plan.targets.length === 0)
    return "profile.strace.target: server, but the spec has no server to trace (it measures an address); trace the client";
  if (plan.kind === "strace-launch" && plan.targets.includes("server") && spec.server?.lifetime === "group") {
    return "profile.strace.attach: launch needs server.lifetime: cell (a group's server is shared by clean and traced passes)";
  }
  // A remote server is profiled on its host: the ssh launcher's preflight (launch/ssh-preflight.ts) checks the tool there.
  return spec.server?.host !== undefined ? undefined : PROFILERS[plan.kind].preflight();
}

const ATTACH_ORDER: readonly ProfileTarget[] = ["client", "server"];

/** The profilers of one traced pass, one per target. */
export class TracedPassProfilers {
  private readonly profilers = new Map<ProfileTarget, Profiler>();
  private attaching?: Promise<void>;
  private readonly ended: Promise<unknown>[] = [];

  private readonly kind: ProfilerKind;

  constructor(
    plan: TracePlan,
    /** Raw profiler output goes to `<base>.<source>-<target>.txt`. */
    rawBase: string,
    /** Starts the profiler processes (beside the processes they watch). */
    launcher: Launcher,
  ) {
    this.kind = plan.kind;
    for (const target of plan.targets) {
      const setup = { target, rawFile: `${rawBase}.${plan.source}-${target}.txt`, extraArgs: plan.args, launcher };
      this.profilers.set(target, launcher.createProfiler?.(plan.kind, setup) ?? PROFILERS[plan.kind].create(setup));
    }
  }

  /** The command as launched (wrapped from its start by a launch profiler). */
  wrap(target: ProfileTarget, argv: string[]): string[] {
    return this.profilers.get(target)?.wrap(argv) ?? argv;
  }

  /** Whether its profilers attach to running processes (then the window should wait for {@link attach}). */
  get attachesToRunning(): boolean {
    return PROFILERS[this.kind].attachesToRunning;
  }

  /**
   * Attaches the profilers to these processes; resolves once each counts them or has recorded why
   * not (its `result()` then says so). Called before the window opens when the client waits for it.
   */
  attach(pids: Partial<Record<ProfileTarget, number[]>>): Promise<void> {
    this.attaching ??= (async () => {
      // One after the other, the server last: what a profiler counts before the window opens is then,
      // for the server (the figure that matters), only the window's opening, not the client's attach.
      for (const target of ATTACH_ORDER) await this.begin(target, pids[target]);
    })();
    return this.attaching;
  }

  /** The window opened: attaches now, all at once, unless the profilers were attached before it (then this does nothing). */
  windowOpened(pids: Partial<Record<ProfileTarget, number[]>>): void {
    this.attaching ??= Promise.all(ATTACH_ORDER.map((target) => this.begin(target, pids[target]))).then(() => undefined);
  }

  private async begin(target: ProfileTarget, pids: number[] | undefined): Promise<void> {
    const profiler = this.profilers.get(target);
    // begin() records its own failure for result(); a rejection is not one more thing to handle here.
    if (profiler && pids && pids.length > 0) await profiler.begin(pids).catch(() => undefined);
  }

  windowClosed(): void {
    for (const profiler of this.profilers.values()) this.ended.push((this.attaching ?? Promise.resolve()).then(() => profiler.end()));
  }

  /** Every target's table, or why it is missing; call once the processes have stopped. */
  async results(): Promise<{ counts: SyscallCounts[]; problems: string[] }> {
    await Promise.all(this.ended);
    const outcomes = await Promise.all([...this.profilers.values()].map((profiler) => profiler.result()));
    return {
      counts: outcomes.filter((o): o is SyscallCounts => !(o instanceof ProfileError)),
      problems: outcomes.filter((o): o is ProfileError => o instanceof ProfileError).map((o) => o.message),
    };
  }

  async abort(): Promise<void> {
    await Promise.all([...this.profilers.values()].map((profiler) => profiler.abort()));
  }
}
