/**
 * The built-in client on several remote load hosts, as the client launcher (launch/multi-host-client.ts
 * does the work). Each host's agent is kept for the sweep (kept-agents.ts, in kept.ts's pool), the
 * built-in client in a warm client under it unless `warm` is off (TCPSWEEP_WARM_CLIENT=0).
 */
import { KeptAgent } from "./kept-agents.js";
import { KeptPool, type KeepingLauncher } from "./kept.js";
import { MultiHostClient } from "./multi-host-client.js";
import type { RemoteHost } from "../remote/hosts.js";
import { splitConnections } from "../remote/split.js";
import type { Launched, LauncherNeeds, PreflightReport, StartRequest } from "./launcher.js";
import { preflightHosts } from "./ssh-preflight.js";
import { SshLauncher, type SshConnections } from "./ssh.js";

export class MultiHostClientLauncher implements KeepingLauncher {
  readonly where: string;
  readonly kept = new KeptPool<KeptAgent>();
  private readonly first: SshLauncher;
  private readonly probes: SshLauncher[];
  constructor(
    private readonly connections: SshConnections,
    private readonly hosts: readonly RemoteHost[],
    private readonly warm: boolean,
  ) {
    this.where = `hosts ${hosts.map((h) => h.name).join(", ")}`;
    this.probes = hosts.map((host) => new SshLauncher(connections, host));
    this.first = this.probes[0]!;
  }

  start(request: StartRequest): Launched {
    // One agent per host (per run at a time: concurrent cells each take their own).
    const take = (host: RemoteHost) => this.kept.take(host.name, (onLoss) => new KeptAgent((h) => this.connections.open(h), host, onLoss));
    return new MultiHostClient(take, this.hosts, request, this.warm);
  }

  freePort(host: string): Promise<number> {
    return this.first.freePort(host);
  }

  /**
   * Probed from every load host at once; accepting as soon as one sees it: whether the server accepts
   * is the server's state, and a load host that dropped must fail the client (naming it), not the server.
   */
  waitUntilAccepting(host: string, port: number, deadline: number, giveUp: () => boolean): Promise<boolean> {
    let settled = false;
    const stop = () => settled || giveUp();
    return new Promise<boolean>((resolve) => {
      let pending = this.probes.length;
      for (const probe of this.probes)
        void probe.waitUntilAccepting(host, port, deadline, stop).then((accepting) => {
          if (accepting || --pending === 0) {
            settled = true;
            resolve(accepting);
          }
        });
    });
  }

  /** Each host's share is checked there by the remote preflight. */
  openFileShortfall(): string | undefined {
    return undefined;
  }

  /** Asks each host's agent for its share of the connections (ssh-preflight.ts). */
  preflight(needs: LauncherNeeds): Promise<PreflightReport> {
    const shares = splitConnections(needs.connections, this.hosts.length);
    return preflightHosts(
      (host) => this.connections.open(host),
      this.hosts.map((host, i) => ({ host, roles: needs.roles, connections: shares[i]! })),
    );
  }

  /** Ends the kept agents (and whatever they run), then the ssh control connections. */
  async close(): Promise<void> {
    await this.kept.close();
    await this.connections.close();
  }
}
