/**
 * Syscall profiling of one traced pass: which profiler (from the registry) watches which
 * target, and their tables. The kind of profiler is decided once, in {@link tracePlan}.
 */
import { ProfileError, type ProfileTarget, type Profiler, type SyscallCounts, type SyscallSource } from "../profile/profiler.js";
import type { Launcher } from "../launch/launcher.js";
import { PROFILERS, type ProfilerKind } from "../profile/registry.js";
import type { SweepSpec } from "./spec.js";
import type { ProfileKindName } from "../model/spec-types.js";
import { PROFILE_KINDS, kindPlan, namedKinds, type KindPlan } from "./profile-kinds.js";

export interface TracePlan extends Omit<KindPlan, "variant"> {
  kind: ProfilerKind;
  source: SyscallSource;
  /** The spec's `profile:` entry it comes from. */
  from: ProfileKindName;
}

/** The syscall profiler the spec's `profile:` section asks for (the first kind with a profiler; preflight refuses more than one). */
export function tracePlan(spec: SweepSpec): TracePlan | undefined {
  for (const { name, options } of namedKinds(spec)) {
    const plan = kindPlan(name, options);
    if (!plan) continue;
    const { variant, ...rest } = plan;
    // Without a server (the spec measures an address), only the client can be traced.
    const traced = spec.server ? rest.targets : rest.targets.filter((t) => t === "client");
    return { ...rest, targets: traced, kind: variant, source: PROFILERS[variant].source, from: name };
  }
  return undefined;
}

/** Why the spec's profiling cannot run with this spec on this machine (checked before the sweep starts), or undefined. */
export function tracePlanProblem(spec: SweepSpec, plan: TracePlan | undefined): string | undefined {
  const named = namedKinds(spec).map((k) => k.name);
  const counting = named.filter((name) => PROFILE_KINDS[name].plan);
  if (counting.length > 1) return `profile: use one of ${counting.join(", ")}, not several: each would perturb the others' counts`;
  const notBuilt = named.filter((name) => !PROFILE_KINDS[name].plan);
  if (notBuilt.length > 0)
    return `profile.${notBuilt[0]}: this build of tcpsweep has no ${notBuilt[0]} profiler yet; remove it from the spec`;
  if (!plan) return undefined;
  if (plan.targets.length === 0)
    return `profile.${plan.from}.target: server, but the spec has no server to trace (it measures an address); trace the client`;
  if (!PROFILERS[plan.kind].attachesToRunning && plan.targets.includes("server") && spec.server?.lifetime === "group") {
    return `profile.${plan.from}.attach: launch needs server.lifetime: cell (a group's server is shared by clean and traced passes)`;
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
