/** The one place that decides where each process of a sweep runs. */
import type { SweepSpec } from "../sweep/spec.js";
import type { Launcher } from "./launcher.js";
import { LocalLauncher } from "./local.js";
import { PinnedLauncher } from "./pinned.js";

export type Role = "server" | "client" | "profiler";

export type Launchers = Record<Role, Launcher>;

export function chooseLaunchers(spec: SweepSpec): Launchers {
  const local = new LocalLauncher();
  const pinned = (cpus: string | undefined) => (cpus === undefined ? local : new PinnedLauncher(local, cpus));
  return {
    server: pinned(spec.server?.cpus),
    client: pinned(spec.client.cpus),
    // A profiler is not pinned with its target: it would steal the very CPUs it measures.
    profiler: local,
  };
}
