/** Remote hosts as a resolved spec names them: what ssh launchers and the multi-host client need, free of the spec itself. */
/** The resolved remote hosts. */
export interface RemoteHost {
  name: string;
  /** ssh destination. */
  ssh: string;
  /** Where other hosts reach it (the server's `{address}` for clients). */
  address?: string;
  /** Command line that runs tcpsweep there. */
  tcpsweep: string[];
}

export interface RemoteSettings {
  /** Arguments given to every ssh call. */
  sshOptions: string[];
  hosts: Record<string, RemoteHost>;
}

