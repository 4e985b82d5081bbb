/** The one place that decides where each process of a sweep runs. */
import type { SweepSpec } from "../sweep/spec.js";
import type { Launcher } from "./launcher.js";
import { LocalLauncher } from "./local.js";
import { SshConnections, SshLauncher } from "./ssh.js";
import { MultiHostClientLauncher } from "./ssh-clients.js";

export type Role = "server" | "client" | "profiler";

/** `remote`: the sweep's ssh connections, when any role runs on another host (preflight and close use it). */
export type Launchers = Record<Role, Launcher> & { remote?: SshConnections };

export function chooseLaunchers(spec: SweepSpec): Launchers {
  const local = new LocalLauncher();
  const launchers: Launchers = { server: local, client: local, profiler: local };
  // Remote hosts (server.host, client.hosts): one set of ssh control connections for the sweep;
  // a remote server's profiler runs on its host.
  if (spec.remote && (spec.server?.host !== undefined || spec.client.hosts !== undefined)) {
    const remote = new SshConnections(spec.remote);
    launchers.remote = remote;
    if (spec.server?.host !== undefined) launchers.server = launchers.profiler = new SshLauncher(remote, spec.remote.hosts[spec.server.host]!);
    if (spec.client.hosts) launchers.client = new MultiHostClientLauncher(remote, spec.client.hosts.map((name) => spec.remote!.hosts[name]!));
  }
  return launchers;
}
