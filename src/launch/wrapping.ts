/**
 * A launcher that wraps another (pinning to CPUs, the warm client): everything it does not change is
 * the inner launcher's, the optional capabilities included (preflight, profilers started where the
 * processes run, close). A wrapper overrides only what it changes, so a capability added to the seam
 * later is forwarded here once, not forgotten in one wrapper.
 */
import type { Profiler, ProfilerSetup } from "../profile/profiler.js";
import type { ProfilerKind } from "../profile/registry.js";
import type { Launched, Launcher, LauncherNeeds, PreflightReport, StartRequest } from "./launcher.js";

export abstract class WrappingLauncher implements Launcher {
  readonly where: string;
  readonly createProfiler?: (kind: ProfilerKind, setup: ProfilerSetup) => Profiler;
  readonly preflight?: (needs: LauncherNeeds) => Promise<PreflightReport>;

  constructor(
    protected readonly inner: Launcher,
    where: string = inner.where,
  ) {
    this.where = where;
    // Present only where the inner launcher has them: their absence means something to the runner.
    if (inner.createProfiler) this.createProfiler = (kind, setup) => inner.createProfiler!(kind, setup);
    if (inner.preflight) this.preflight = (needs) => inner.preflight!(needs);
  }

  start(request: StartRequest): Launched {
    return this.inner.start(request);
  }
  freePort(host: string): Promise<number> {
    return this.inner.freePort(host);
  }
  waitUntilAccepting(host: string, port: number, deadline: number, giveUp: () => boolean): Promise<boolean> {
    return this.inner.waitUntilAccepting(host, port, deadline, giveUp);
  }
  openFileShortfall(sockets: number): string | undefined {
    return this.inner.openFileShortfall(sockets);
  }
  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
