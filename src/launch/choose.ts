/** The one place that decides where each process of a sweep runs. */
import type { SweepSpec } from "../model/spec-types.js";
import type { Launcher, PreflightReport, Role } from "./launcher.js";
import type { ProfilerKind } from "../profile/registry.js";
import { LocalLauncher } from "./local.js";
import { PinnedLauncher } from "./pinned.js";
import { SshConnections, SshLauncher } from "./ssh.js";
import { MultiHostClientLauncher } from "./ssh-clients.js";
import { WarmClientLauncher } from "./warm-client.js";

/** `TCPSWEEP_WARM_CLIENT=0`: start the built-in client cold, a fresh process per run (docs/cli.md; the bench compares both). */
export const warmClientWanted = (env: NodeJS.ProcessEnv = process.env): boolean => env.TCPSWEEP_WARM_CLIENT !== "0";

export interface Launchers extends Record<Role, Launcher> {
  /** Each named server's and client's launcher (`servers:` / `clients:`, pinned to its own `cpus`), by name. */
  named: { server: ReadonlyMap<string, Launcher>; client: ReadonlyMap<string, Launcher> };
  /** Every launcher of the sweep, once each: the runner preflights and closes each of these. */
  opened: readonly Launcher[];
}

export function chooseLaunchers(spec: SweepSpec): Launchers {
  const local = new LocalLauncher();
  const pinnedByCpus = new Map<string, Launcher>();
  // One launcher per CPU set: a named server pinned like the sweep's server shares its launcher.
  const pinned = (cpus: string | undefined): Launcher => {
    if (cpus === undefined) return local;
    if (!pinnedByCpus.has(cpus)) pinnedByCpus.set(cpus, new PinnedLauncher(local, cpus));
    return pinnedByCpus.get(cpus)!;
  };
  const roles: Record<Role, Launcher> = {
    server: pinned(spec.server?.cpus),
    client: pinned(spec.client.cpus),
    // A profiler is not pinned with its target: it would steal the very CPUs it measures.
    profiler: local,
  };
  // Remote hosts (server.host, client.hosts): one set of ssh control connections for the sweep;
  // a remote server's profiler runs on its host. Named servers and clients run on this machine.
  if (spec.remote && (spec.server?.host !== undefined || spec.client.hosts !== undefined)) {
    const remote = new SshConnections(spec.remote);
    if (spec.server?.host !== undefined) roles.server = roles.profiler = new SshLauncher(remote, spec.remote.hosts[spec.server.host]!);
    if (spec.client.hosts)
      roles.client = new MultiHostClientLauncher(
        remote,
        spec.client.hosts.map((name) => spec.remote!.hosts[name]!),
        warmClientWanted(),
      );
  }
  const named = {
    server: new Map(Object.entries(spec.servers ?? {}).map(([name, server]) => [name, pinned(server.cpus)])),
    client: new Map(Object.entries(spec.clients ?? {}).map(([name, client]) => [name, pinned(client.cpus)])),
  };
  // The built-in client on this machine stays warm between runs (warm-client.ts); on remote load hosts, under each kept agent (kept-agents.ts).
  if (spec.client.builtin && !spec.client.hosts && warmClientWanted()) roles.client = new WarmClientLauncher(roles.client);
  const opened = [...new Set([...Object.values(roles), ...named.server.values(), ...named.client.values()])];
  return { ...roles, named, opened };
}

/** Releases what every launcher of the sweep holds (ssh control connections); one after the other, as launchers may share what they hold. */
export async function closeLaunchers(launchers: Pick<Launchers, "opened">): Promise<void> {
  for (const launcher of launchers.opened) await launcher.close?.();
}

/**
 * Every launcher's preflight at once (each launcher told every role it starts), their problems in
 * one list (a line two launchers both report, once) and what they learned about their hosts.
 */
export async function preflightLaunchers(
  launchers: Launchers,
  connections: number,
  profiler: ProfilerKind | undefined,
): Promise<PreflightReport> {
  const roles = new Map<Launcher, Role[]>();
  for (const role of ["server", "client", "profiler"] as const) roles.set(launchers[role], [...(roles.get(launchers[role]) ?? []), role]);
  const reports = await Promise.all(
    [...roles].map(async ([launcher, its]) => {
      const needs = {
        roles: its,
        connections: its.includes("server") || its.includes("client") ? connections : 0,
        ...(profiler && its.includes("profiler") ? { profiler } : {}),
      };
      return (
        (await launcher.preflight?.(needs).catch((error: Error) => ({ problems: [error.message], hosts: [] }))) ?? {
          problems: [],
          hosts: [],
        }
      );
    }),
  );
  return { problems: [...new Set(reports.flatMap((r) => r.problems))], hosts: mergeHosts(reports.flatMap((r) => r.hosts)) };
}

/** One entry per host (a host serving two roles is asked by two launchers), sorted by name. */
function mergeHosts(hosts: PreflightReport["hosts"]): PreflightReport["hosts"] {
  const byName = new Map<string, PreflightReport["hosts"][number]>();
  for (const host of hosts) {
    const seen = byName.get(host.name);
    byName.set(host.name, seen ? { ...seen, roles: [...new Set([...seen.roles, ...host.roles])] } : host);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
