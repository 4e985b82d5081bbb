/** The one place that decides where each process of a sweep runs. */
import type { SweepSpec } from "../sweep/spec.js";
import type { Launcher } from "./launcher.js";
import { LocalLauncher } from "./local.js";

export type Role = "server" | "client" | "profiler";

export type Launchers = Record<Role, Launcher>;

export function chooseLaunchers(_spec: SweepSpec): Launchers {
  const local = new LocalLauncher();
  return { server: local, client: local, profiler: local };
}
