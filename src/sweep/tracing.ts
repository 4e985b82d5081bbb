/**
 * Profiling of one traced pass: which syscall profiler (from the registry) watches which
 * target, and their tables; and the CPU stack sampler (`profile.cpu`) beside it. The kind of profiler is decided once, in {@link tracePlan}.
 */
import { ProfileError, type ProfileTarget, type Profiler, type SyscallCounts, type SyscallSource } from "../profile/profiler.js";
import type { Launcher } from "../launch/launcher.js";
import { CPU_PROFILER, PROFILERS, type ProfilerKind } from "../profile/registry.js";
import type { CpuProfile } from "../profile/cpu.js";
import type { SweepSpec } from "./spec.js";
import type { ProfileKindName } from "../model/spec-types.js";
import type { RunResult } from "../record/run-record.js";
import { allocatorChurn } from "../pathology/notes.js";
import path from "node:path";
import { cpuFoldedPath } from "../rundir/run-dir.js";
import { PROFILE_KINDS, kindPlan, namedKinds, type KindPlan } from "./profile-kinds.js";

export interface TracePlan extends Omit<KindPlan, "variant"> {
  /** The syscall profiler; undefined when only CPU stacks are sampled. */
  kind?: ProfilerKind;
  source?: SyscallSource;
  /** The spec's `profile:` entry the syscall profiler comes from ("cpu" when only CPU stacks are sampled). */
  from: ProfileKindName;
  /** On-CPU stack sampling in the same traced pass (`profile.cpu`). */
  cpu?: { hz: number; target: ProfileTarget };
}

/** The syscall profiler the spec's `profile:` section asks for (the first kind with a profiler; preflight refuses more than one). */
export function tracePlan(spec: SweepSpec): TracePlan | undefined {
  const cpu = spec.profile?.cpu;
  const plan = syscallPlan(spec);
  if (!cpu) return plan;
  // CPU sampling runs in the traced pass (its cost stays out of the clean figures), beside a syscall profiler if any.
  const base: TracePlan = plan ?? { targets: [], args: [], pass: "separate", from: "cpu" };
  return { ...base, cpu: { hz: cpu.hz, target: spec.server ? cpu.target : "client" } };
}

function syscallPlan(spec: SweepSpec): TracePlan | undefined {
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
  if (!plan) return undefined;
  if (plan.cpu && spec.server?.host !== undefined)
    return "profile.cpu: CPU profiling of a server on a remote host is not supported yet; profile a local server (docs/spec.md)";
  const cpuProblem = plan.cpu ? CPU_PROFILER.preflight() : undefined;
  if (cpuProblem || plan.kind === undefined) return cpuProblem;
  if (plan.targets.length === 0)
    return `profile.${plan.from}.target: server, but the spec has no server to trace (it measures an address); trace the client`;
  if (!PROFILERS[plan.kind].attachesToRunning && plan.targets.includes("server") && spec.server?.lifetime === "group") {
    return `profile.${plan.from}.attach: launch needs server.lifetime: cell (a group's server is shared by clean and traced passes)`;
  }
  // A remote server is profiled on its host: the ssh launcher's preflight (launch/ssh-preflight.ts) checks the tool there.
  return spec.server?.host !== undefined ? undefined : PROFILERS[plan.kind].preflight();
}

/** What a traced pass adds to the row beyond syscall counts: the allocator churn note, a CPU profile's figures (and the profile itself, for the top-frames sink). */
export function addProfileFindings(row: RunResult, plan: TracePlan, cpu: CpuProfile | undefined): void {
  if (plan.kind === undefined) delete row.syscall_source;
  const churn = allocatorChurn(row);
  if (churn) row.note = [row.note, churn].filter(Boolean).join("; ");
  if (!cpu) return;
  row.cpuProfile = cpu;
  row.cpu_samples = cpu.samples;
  row.cpu_kernel_share = cpu.kernelShare === undefined ? undefined : Number(cpu.kernelShare.toFixed(3));
  row.cpu_profile = path.relative(process.cwd(), cpu.foldedFile);
  if (cpu.note) row.note = [row.note, cpu.note].filter(Boolean).join("; ");
}

const ATTACH_ORDER: readonly ProfileTarget[] = ["client", "server"];

/** The profilers of one traced pass, one per target. */
export class TracedPassProfilers {
  private readonly profilers = new Map<ProfileTarget, Profiler>();
  private readonly cpuProfiler?: Profiler<CpuProfile>;
  private readonly cpuTarget?: ProfileTarget;
  private attaching?: Promise<void>;
  private readonly ended: Promise<unknown>[] = [];
  /** Set by {@link abort}: a profiler not started yet must not start after it (attach goes one by one). */
  private aborted = false;

  private readonly kind?: ProfilerKind;

  constructor(
    plan: TracePlan,
    /** Raw profiler output goes to `<base>.<source>-<target>.txt`. */
    rawBase: string,
    /** Starts the profiler processes (beside the processes they watch). */
    launcher: Launcher,
  ) {
    this.kind = plan.kind;
    const kind = plan.kind;
    for (const target of kind ? plan.targets : []) {
      const setup = { target, rawFile: `${rawBase}.${plan.source}-${target}.txt`, extraArgs: plan.args, launcher };
      this.profilers.set(target, launcher.createProfiler?.(kind!, setup) ?? PROFILERS[kind!].create(setup));
    }
    if (plan.cpu) {
      this.cpuTarget = plan.cpu.target;
      const setup = { target: plan.cpu.target, rawFile: cpuFoldedPath(rawBase, plan.cpu.target), extraArgs: [], launcher };
      this.cpuProfiler = CPU_PROFILER.create(setup, plan.cpu.hz);
    }
  }

  /** The command as launched (wrapped from its start by a launch profiler). */
  wrap(target: ProfileTarget, argv: string[]): string[] {
    return this.profilers.get(target)?.wrap(argv) ?? argv;
  }

  /** Whether its profilers attach to running processes (then the window should wait for {@link attach}). */
  get attachesToRunning(): boolean {
    return this.kind ? PROFILERS[this.kind].attachesToRunning : true;
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
      await this.beginCpu(pids);
    })();
    return this.attaching;
  }

  /**
   * The client has started: profilers that can open their counters switched off do so now, during its
   * warmup, so that attaching at the window only switches them on (Profiler.prepare).
   */
  prepare(pids: Partial<Record<ProfileTarget, number[]>>): void {
    for (const [target, profiler] of this.profilers) {
      const targetPids = pids[target];
      if (profiler.prepare && targetPids && targetPids.length > 0 && !this.aborted)
        void profiler.prepare(targetPids).catch(() => undefined);
    }
  }

  /** The window opened: attaches now, all at once, unless the profilers were attached before it (then this does nothing). */
  windowOpened(pids: Partial<Record<ProfileTarget, number[]>>): void {
    this.attaching ??= Promise.all([...ATTACH_ORDER.map((target) => this.begin(target, pids[target])), this.beginCpu(pids)]).then(
      () => undefined,
    );
  }

  private async beginCpu(pids: Partial<Record<ProfileTarget, number[]>>): Promise<void> {
    const targetPids = this.cpuTarget ? pids[this.cpuTarget] : undefined;
    if (this.cpuProfiler && targetPids && targetPids.length > 0 && !this.aborted)
      await this.cpuProfiler.begin(targetPids).catch(() => undefined);
  }

  private async begin(target: ProfileTarget, pids: number[] | undefined): Promise<void> {
    const profiler = this.profilers.get(target);
    // begin() records its own failure for result(); a rejection is not one more thing to handle here.
    if (profiler && pids && pids.length > 0 && !this.aborted) await profiler.begin(pids).catch(() => undefined);
  }

  windowClosed(): void {
    for (const profiler of this.allProfilers()) this.ended.push((this.attaching ?? Promise.resolve()).then(() => profiler.end()));
  }

  private allProfilers(): Profiler<unknown>[] {
    return [...this.profilers.values(), ...(this.cpuProfiler ? [this.cpuProfiler] : [])];
  }

  /** Every target's table, or why it is missing; call once the processes have stopped. */
  async results(): Promise<{ counts: SyscallCounts[]; problems: string[]; cpu?: CpuProfile }> {
    // A window that never closed (nothing ended) leaves nothing to count, but a prepared profiler may still be running.
    if (this.ended.length === 0) await this.abort();
    await Promise.all(this.ended);
    const outcomes = await Promise.all([...this.profilers.values()].map((profiler) => profiler.result()));
    const cpu = await this.cpuProfiler?.result();
    return {
      counts: outcomes.filter((o): o is SyscallCounts => !(o instanceof ProfileError)),
      problems: [...outcomes, ...(cpu ? [cpu] : [])].filter((o): o is ProfileError => o instanceof ProfileError).map((o) => o.message),
      ...(cpu && !(cpu instanceof ProfileError) ? { cpu } : {}),
    };
  }

  async abort(): Promise<void> {
    this.aborted = true;
    await Promise.all(this.allProfilers().map((profiler) => profiler.abort()));
  }
}
