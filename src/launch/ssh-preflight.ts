/**
 * The ssh launchers' preflight: before any cell runs, each remote host is asked over ssh (its
 * agent's `hello`): reachable, the same tcpsweep version, a Node tcpsweep runs on, `ulimit -n`
 * enough for its share of the connections, the profiler usable where profiling runs. Every
 * problem of every host is returned at once, each naming its host.
 */
import type { RemoteHostMeta } from "../rundir/run-dir.js";
import type { ProfilerKind } from "../profile/registry.js";
import type { RemoteHost } from "../remote/hosts.js";
import { REQUEST_TIMEOUT_MS, tcpsweepVersion, type HelloReply } from "../remote/protocol.js";
import { SUPPORTED_NODE, nodeVersionSupported } from "../node-version.js";
import type { PreflightReport, Role } from "./launcher.js";
import type { AgentSession } from "../remote/session.js";

/** Opens an agent session on a host (the launcher's ssh connections). */
type OpenSession = (host: RemoteHost) => AgentSession;

/** What one host must support: its share of the connections, and the profiler that runs there. */
export interface HostNeeds {
  host: RemoteHost;
  roles: readonly Role[];
  connections: number;
  profiler?: ProfilerKind;
}

/** Asks every host at once; the problems, one line each (empty when every host is fine), and what each host said about itself (for meta.json). */
export async function preflightHosts(open: OpenSession, hosts: readonly HostNeeds[]): Promise<PreflightReport> {
  const reports = await Promise.all(hosts.map((need) => preflightHost(open, need)));
  return { problems: reports.flatMap((r) => r.problems), hosts: reports.flatMap((r) => r.hosts) };
}

async function preflightHost(open: OpenSession, need: HostNeeds): Promise<PreflightReport> {
  const { host } = need;
  const where = `hosts.${host.name} (ssh ${host.ssh})`;
  const session = open(host);
  try {
    const hello = (await session.request(
      { type: "hello", ...(need.profiler ? { profiler: need.profiler } : {}), connections: need.connections },
      REQUEST_TIMEOUT_MS,
    )) as unknown as HelloReply;
    const facts: RemoteHostMeta = {
      name: host.name,
      ssh: host.ssh,
      roles: need.roles.filter((role) => role !== "profiler"),
      hostname: hello.hostname,
      kernel: hello.kernel,
      node: hello.node,
      cpus: hello.cpus,
      tcpsweep_version: hello.version,
    };
    const problems: string[] = [];
    const here = tcpsweepVersion();
    if (hello.version !== here)
      problems.push(
        `${where}: another build there: ${hello.version}; here: ${here}; install the same build there (same version, commit and Node), or point hosts.${host.name}.tcpsweep at it`,
      );
    if (!nodeVersionSupported(hello.node))
      problems.push(`${where}: Node ${hello.node} there; tcpsweep needs Node.js ${SUPPORTED_NODE}: install a current LTS there`);
    if (hello.nofileProblem) problems.push(`${where}: ${hello.nofileProblem}`);
    if (hello.profilerProblem) problems.push(`${where}: profiling the server there: ${hello.profilerProblem}`);
    return { problems, hosts: [facts] };
  } catch (error) {
    const message = (error as Error).message.replace(/^host \S+: /, "");
    return { problems: [`${where}: cannot run \`${[...host.tcpsweep, "agent"].join(" ")}\` there over ssh: ${message}`], hosts: [] };
  } finally {
    await session.close(3000);
  }
}
