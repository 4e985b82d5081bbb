/**
 * The built-in server's perf maps. Under a CPU profile tcpsweep starts it with Node's
 * `--perf-basic-prof` (argv.ts), so each of its processes writes /tmp/perf-PID.map for perf to name
 * JavaScript frames. `perf script` reads them after each run's window; once the sweep has stopped
 * its servers nothing reads them again, and a nightly would leave one per process per server start
 * in /tmp. A server of the user's own, even one started with the same flag, keeps its maps.
 */
import { existsSync, rmSync } from "node:fs";
import { PERF_MAP_FLAG } from "./argv.js";

export const perfMapOf = (pid: number) => `/tmp/perf-${pid}.map`;

/** Whether tcpsweep asked this server for perf maps: the built-in server, started with the flag. */
export const writesPerfMaps = (builtin: boolean, argv: readonly string[]) => builtin && argv.includes(PERF_MAP_FLAG);

/** Removes the maps of the processes that have exited; a live process keeps its map. */
export function removePerfMaps(pids: readonly number[]): void {
  for (const pid of pids) if (!existsSync(`/proc/${pid}`)) rmSync(perfMapOf(pid), { force: true });
}
