/** The built-in client on several remote load hosts, as the client launcher (launch/multi-host-client.ts does the work). */
import { MultiHostClient } from "./multi-host-client.js";
import type { RemoteHost } from "../remote/hosts.js";
import { splitConnections } from "../remote/split.js";
import type { Launched, Launcher, LauncherNeeds, PreflightReport, StartRequest } from "./launcher.js";
import { preflightHosts } from "./ssh-preflight.js";
import { SshLauncher, type SshConnections } from "./ssh.js";

export class MultiHostClientLauncher implements Launcher {
  readonly where: string;
  private readonly first: SshLauncher;
  constructor(
    private readonly connections: SshConnections,
    private readonly hosts: readonly RemoteHost[],
  ) {
    this.where = `hosts ${hosts.map((h) => h.name).join(", ")}`;
    this.first = new SshLauncher(connections, hosts[0]!);
  }

  start(request: StartRequest): Launched {
    return new MultiHostClient(this.connections, this.hosts, request);
  }

  freePort(host: string): Promise<number> {
    return this.first.freePort(host);
  }

  waitUntilAccepting(host: string, port: number, deadline: number, giveUp: () => boolean): Promise<boolean> {
    return this.first.waitUntilAccepting(host, port, deadline, giveUp);
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

  close(): Promise<void> {
    return this.connections.close();
  }
}
