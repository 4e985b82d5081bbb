/** The one place that decides where each process of a sweep runs. */
import type { SweepSpec } from "../model/spec-types.js";
import type { Launcher } from "./launcher.js";
import { LocalLauncher } from "./local.js";
import { PinnedLauncher } from "./pinned.js";
import { SshConnections, SshLauncher } from "./ssh.js";
import { MultiHostClientLauncher } from "./ssh-clients.js";
import { WarmClientLauncher } from "./warm-client.js";

/** `TCPSWEEP_WARM_CLIENT=0`: start the built-in client cold, a fresh process per run (docs/cli.md; the bench compares both). */
export const warmClientWanted = (env: NodeJS.ProcessEnv = process.env): boolean => env.TCPSWEEP_WARM_CLIENT !== "0";

export type Role = "server" | "client" | "profiler";

/** `remote`: the sweep's ssh connections, when any role runs on another host (preflight and close use it). */
export type Launchers = Record<Role, Launcher> & { remote?: SshConnections };

export function chooseLaunchers(spec: SweepSpec): Launchers {
  const local = new LocalLauncher();
  const pinned = (cpus: string | undefined) => (cpus === undefined ? local : new PinnedLauncher(local, cpus));
  const launchers: Launchers = {
    server: pinned(spec.server?.cpus),
    client: pinned(spec.client.cpus),
    // A profiler is not pinned with its target: it would steal the very CPUs it measures.
    profiler: local,
  };
  // Remote hosts (server.host, client.hosts): one set of ssh control connections for the sweep;
  // a remote server's profiler runs on its host.
  if (spec.remote && (spec.server?.host !== undefined || spec.client.hosts !== undefined)) {
    const remote = new SshConnections(spec.remote);
    launchers.remote = remote;
    if (spec.server?.host !== undefined)
      launchers.server = launchers.profiler = new SshLauncher(remote, spec.remote.hosts[spec.server.host]!);
    if (spec.client.hosts)
      launchers.client = new MultiHostClientLauncher(
        remote,
        spec.client.hosts.map((name) => spec.remote!.hosts[name]!),
      );
  }
  // The built-in client on this machine stays warm between runs (warm-client.ts); remote load hosts start theirs per run.
  if (spec.client.builtin && !spec.client.hosts && warmClientWanted()) launchers.client = new WarmClientLauncher(launchers.client);
  return launchers;
}
