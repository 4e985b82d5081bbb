/**
 * Syscall profiling of one traced pass: which profiler watches which target, how it is
 * started (attached over the window, or wrapping the command from launch), and its tables.
 */
import { PerfWindowProfiler } from "../profile/perf.js";
import { ProfileError, type ProfileTarget, type SyscallCounts, type SyscallSource, type WindowProfiler } from "../profile/profiler.js";
import { StraceWindowProfiler, readStraceCounts, straceLaunchArgv } from "../profile/strace.js";
import type { SweepSpec } from "./spec.js";

export interface TracePlan {
  source: SyscallSource;
  targets: ProfileTarget[];
  attach: "window" | "launch";
  /** Extra strace arguments. */
  args: string[];
  /** `same`: the traced pass is the only pass (its rate is not the clean rate). */
  pass: "separate" | "same";
}

export function tracePlan(spec: SweepSpec): TracePlan | undefined {
  const strace = spec.profile?.strace;
  if (strace) {
    const targets: ProfileTarget[] = strace.target === "both" ? ["server", "client"] : [strace.target];
    return { source: "strace", targets: spec.server ? targets : targets.filter((t) => t === "client"), attach: strace.attach, args: strace.args, pass: strace.pass };
  }
  if (spec.profile?.perf) return { source: "perf", targets: ["server"], attach: "window", args: [], pass: "separate" };
  return undefined;
}

/** Why this plan cannot run with this spec (checked before the sweep starts), or undefined. */
export function tracePlanProblem(spec: SweepSpec, plan: TracePlan): string | undefined {
  if (spec.profile?.strace && spec.profile.perf) return "profile: use strace or perf, not both: each would perturb the other's counts";
  if (plan.targets.length === 0) return "profile.strace.target: server, but the spec has no server to trace (it measures an address); trace the client";
  if (plan.attach === "launch" && plan.targets.includes("server") && spec.server?.lifetime === "group") {
    return "profile.strace.attach: launch needs server.lifetime: cell (a group's server is shared by clean and traced passes)";
  }
  return undefined;
}

export class CellTracer {
  private readonly profilers = new Map<ProfileTarget, WindowProfiler>();
  private readonly pending: Promise<unknown>[] = [];
  private readonly ended = new Map<ProfileTarget, Promise<SyscallCounts | ProfileError>>();

  constructor(
    private readonly plan: TracePlan,
    /** Raw profiler output goes to `<base>.<source>-<target>.txt`. */
    private readonly rawBase: string,
  ) {
    if (plan.attach !== "window") return;
    for (const target of plan.targets) {
      const file = this.rawFile(target);
      this.profilers.set(target, plan.source === "strace" ? new StraceWindowProfiler(target, file, plan.args) : new PerfWindowProfiler(target, file));
    }
  }

  rawFile(target: ProfileTarget): string {
    return `${this.rawBase}.${this.plan.source}-${target}.txt`;
  }

  /** The command as launched: wrapped in strace from its start when attach is `launch`. */
  wrap(target: ProfileTarget, argv: string[]): string[] {
    return this.plan.attach === "launch" && this.plan.targets.includes(target) ? straceLaunchArgv(argv, this.rawFile(target), this.plan.args) : argv;
  }

  windowOpened(pids: Partial<Record<ProfileTarget, number[]>>): void {
    for (const [target, profiler] of this.profilers) {
      const targetPids = pids[target];
      if (targetPids && targetPids.length > 0) this.pending.push(profiler.begin(targetPids));
    }
  }

  windowClosed(): void {
    for (const [target, profiler] of this.profilers) {
      this.ended.set(target, Promise.all(this.pending).then(() => profiler.end()));
    }
  }

  /** Every target's table, or why it is missing; call once the processes have stopped. */
  async results(): Promise<{ counts: SyscallCounts[]; problems: string[] }> {
    const outcomes = await Promise.all(
      this.plan.targets.map((target) => {
        if (this.plan.attach === "launch") return readStraceCounts(this.rawFile(target), target);
        return this.ended.get(target) ?? Promise.resolve(new ProfileError(`the ${target}'s window never closed, so it was not profiled`));
      }),
    );
    return {
      counts: outcomes.filter((o): o is SyscallCounts => !(o instanceof ProfileError)),
      problems: outcomes.filter((o): o is ProfileError => o instanceof ProfileError).map((o) => o.message),
    };
  }

  async abort(): Promise<void> {
    await Promise.all([...this.profilers.values()].map((profiler) => profiler.abort()));
  }
}
