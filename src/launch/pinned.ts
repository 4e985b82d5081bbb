/**
 * Processes pinned to a CPU set: started under `taskset -c LIST`, so the process and every
 * child and thread it starts inherit the set (the whole tree stays on those CPUs). Wraps
 * another launcher: pinning is about CPUs, the inner launcher about where and how.
 */
import { parseCpuList, pinnedArgv } from "../placement/cpus.js";
import type { Launched, Launcher, StartRequest } from "./launcher.js";
import { WrappingLauncher } from "./wrapping.js";

export class PinnedLauncher extends WrappingLauncher {
  private readonly cpuIds: number[];

  constructor(
    inner: Launcher,
    /** A normalised Linux CPU list, e.g. "0-1". */
    readonly cpus: string,
  ) {
    super(inner, `${inner.where}, CPUs ${cpus}`);
    this.cpuIds = parseCpuList(cpus);
  }

  override start(request: StartRequest): Launched {
    return this.inner.start({ ...request, argv: pinnedArgv(this.cpuIds, request.argv) });
  }
}
