/**
 * The built-in server's perf maps. Under a CPU profile it runs with Node's `--perf-basic-prof`
 * (argv.ts), so each of its processes writes /tmp/perf-PID.map for perf to name JavaScript frames.
 * perf reads them when each run's window closes; once the server has stopped nothing reads them
 * again, and a nightly would leave one per process per server start in /tmp.
 */
import { existsSync, rmSync } from "node:fs";
import { PERF_MAP_FLAG } from "./argv.js";

export const perfMapOf = (pid: number) => `/tmp/perf-${pid}.map`;

/** Whether a server started with this argv writes perf maps (tcpsweep asked Node to). */
export const writesPerfMaps = (argv: readonly string[]) => argv.includes(PERF_MAP_FLAG);

/** Removes the maps of the processes that have exited; a live process keeps its map. */
export function removePerfMaps(pids: readonly number[]): void {
  for (const pid of pids) if (!existsSync(`/proc/${pid}`)) rmSync(perfMapOf(pid), { force: true });
}
