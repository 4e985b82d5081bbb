/** Processes on this machine: own process group, /proc accounting, the tree stopped as a whole. */
import { ChildProcess } from "../process/child.js";
import { openFileShortfall } from "../process/limits.js";
import { freePort, waitUntilAccepting } from "../process/ports.js";
import type { Launched, Launcher, StartRequest } from "./launcher.js";

export class LocalLauncher implements Launcher {
  readonly where = "this machine";

  start(request: StartRequest): Launched {
    return new ChildProcess(request.argv, { cwd: request.cwd, env: request.env, stdin: request.stdin });
  }

  freePort(host: string): Promise<number> {
    return freePort(host);
  }

  waitUntilAccepting(host: string, port: number, deadline: number, giveUp: () => boolean): Promise<boolean> {
    return waitUntilAccepting(host, port, deadline, giveUp);
  }

  openFileShortfall(sockets: number): string | undefined {
    return openFileShortfall(sockets);
  }
}
