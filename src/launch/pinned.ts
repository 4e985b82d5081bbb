/**
 * Processes pinned to a CPU set: started under `taskset -c LIST`, so the process and every
 * child and thread it starts inherit the set (the whole tree stays on those CPUs). Wraps
 * another launcher: pinning is about CPUs, the inner launcher about where and how.
 */
import { parseCpuList, pinnedArgv } from "../placement/cpus.js";
import type { Launched, Launcher, StartRequest } from "./launcher.js";

export class PinnedLauncher implements Launcher {
  readonly where: string;
  private readonly cpuIds: number[];

  constructor(
    private readonly inner: Launcher,
    /** A normalised Linux CPU list, e.g. "0-1". */
    readonly cpus: string,
  ) {
    this.cpuIds = parseCpuList(cpus);
    this.where = `${inner.where}, CPUs ${cpus}`;
  }

  start(request: StartRequest): Launched {
    return this.inner.start({ ...request, argv: pinnedArgv(this.cpuIds, request.argv) });
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
}
