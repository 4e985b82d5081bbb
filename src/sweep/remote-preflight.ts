/**
 * Before any cell runs, every remote host is asked over ssh (its agent's `hello`): reachable,
 * the same tcpsweep version, a Node tcpsweep runs on, `ulimit -n` enough for its share of the
 * connections, the profiler usable where profiling runs. Every problem of every host is
 * returned at once, each naming its host.
 */
import type { SshConnections } from "../launch/ssh.js";
import type { RemoteHostMeta } from "../rundir/run-dir.js";
import type { ProfilerKind } from "../profile/registry.js";
import type { SweepSpec } from "./spec/types.js";
import { REQUEST_TIMEOUT_MS, tcpsweepVersion, type HelloReply } from "../remote/protocol.js";
import { splitConnections } from "../remote/split.js";
import { SUPPORTED_NODE, nodeVersionSupported } from "../node-version.js";

interface HostNeeds {
  connections: number;
  profiler?: ProfilerKind;
}

function needsPerHost(spec: SweepSpec, maxConnections: number, profiler: ProfilerKind | undefined): Map<string, HostNeeds> {
  const needs = new Map<string, HostNeeds>();
  // The server's host holds one socket per connection too.
  if (spec.server?.host !== undefined) needs.set(spec.server.host, { connections: maxConnections, ...(profiler ? { profiler } : {}) });
  const clients = spec.client.hosts ?? [];
  if (clients.length > 0) {
    splitConnections(maxConnections, clients.length).forEach((share, i) => {
      const name = clients[i]!;
      const current = needs.get(name);
      needs.set(name, { ...current, connections: Math.max(share, current?.connections ?? 0) });
    });
  }
  return needs;
}

/** The problems, one line each (empty when every host is fine), and what each host said about itself (for meta.json). */
export async function preflightRemoteHosts(
  spec: SweepSpec,
  connections: SshConnections,
  maxConnections: number,
  profiler: ProfilerKind | undefined,
): Promise<{ problems: string[]; hosts: RemoteHostMeta[] }> {
  const facts: RemoteHostMeta[] = [];
  const here = tcpsweepVersion();
  const checks = [...needsPerHost(spec, maxConnections, profiler)].map(async ([name, need]): Promise<string[]> => {
    const host = spec.remote!.hosts[name]!;
    const where = `hosts.${name} (ssh ${host.ssh})`;
    const session = connections.open(host);
    try {
      const hello = (await session.request(
        { type: "hello", ...(need.profiler ? { profiler: need.profiler } : {}), connections: need.connections },
        REQUEST_TIMEOUT_MS,
      )) as unknown as HelloReply;
      const roles = [...(spec.server?.host === name ? ["server"] : []), ...(spec.client.hosts?.includes(name) ? ["client"] : [])];
      facts.push({
        name,
        ssh: host.ssh,
        roles,
        hostname: hello.hostname,
        kernel: hello.kernel,
        node: hello.node,
        cpus: hello.cpus,
        tcpsweep_version: hello.version,
      });
      const problems: string[] = [];
      if (hello.version !== here)
        problems.push(
          `${where}: another build there: ${hello.version}; here: ${here}; install the same build there (same version, commit and Node), or point hosts.${name}.tcpsweep at it`,
        );
      if (!nodeVersionSupported(hello.node))
        problems.push(`${where}: Node ${hello.node} there; tcpsweep needs Node.js ${SUPPORTED_NODE}: install a current LTS there`);
      if (hello.nofileProblem) problems.push(`${where}: ${hello.nofileProblem}`);
      if (hello.profilerProblem) problems.push(`${where}: profiling the server there: ${hello.profilerProblem}`);
      return problems;
    } catch (error) {
      const message = (error as Error).message.replace(/^host \S+: /, "");
      return [`${where}: cannot run \`${[...host.tcpsweep, "agent"].join(" ")}\` there over ssh: ${message}`];
    } finally {
      await session.close(3000);
    }
  });
  const problems = (await Promise.all(checks)).flat();
  return { problems, hosts: facts.sort((a, b) => a.name.localeCompare(b.name)) };
}
