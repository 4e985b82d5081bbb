/**
 * The resolved sweep spec's types: what the runner, the launchers and the sinks read once a file
 * has been validated. Types only, importing nothing, so every folder of src/ may use them without
 * reaching up into sweep/ (the zod schemas that produce these values stay in sweep/spec/).
 */
export type MatrixValue = string | number;

export interface CommandTemplate {
  /** argv with `{placeholder}`s; argv[0] is the program. */
  argv: string[];
  /** Extra environment; values may contain `{placeholder}`s too. */
  env: Record<string, string>;
  /** Absolute working directory (resolved against process.cwd()). */
  cwd?: string;
  /** `cwd` as written in the spec, for messages. */
  cwdAsWritten?: string;
  /** CPUs the process tree is pinned to (a normalised Linux CPU list); undefined = not pinned. */
  cpus?: string;
}

export interface ServerSpec extends CommandTemplate {
  builtin: boolean;
  ready: { kind: "port" } | { kind: "stdout"; pattern: RegExp };
  readyTimeoutS: number;
  stopSignal: NodeJS.Signals;
  stopGraceS: number;
  lifetime: "cell" | "warm" | "group";
  /** `server.host`: the name of the remote host it runs on (undefined: this machine). */
  host?: string;
}

export interface ClientSpec extends CommandTemplate {
  builtin: boolean;
  parser: "json" | "seed-text" | "regex";
  regex?: RegExp;
  /** Built-in client: the wire protocol when `protocol` is not a matrix key (default chat). */
  protocol?: string;
  /** Built-in client: `client.length` when `length` is not a matrix key (undefined: the protocol's default). */
  length?: number;
  /** Built-in client: what makes a reply a response (`type`, the study's rule, or `payload`). */
  verify: "type" | "payload";
  /** `client.hosts`: remote hosts the connections are split across (undefined: this machine). */
  hosts?: string[];
  /** Built-in client: `client.processes` as given (undefined: as many as the descriptor limit needs). */
  processes?: number;
}

/** The resolved spec: what the runner consumes once a file has been validated. */
export interface SweepSpec {
  /** The spec file as given (used in messages). */
  file: string;
  name: string;
  description?: string;
  durationS: number;
  warmupS: number;
  cooldownS: number;
  repeat: number;
  timeoutS: number;
  concurrency: number;
  host: string;
  address?: string;
  matrix: {
    /** Matrix keys in the order written in the file. */
    keys: string[];
    values: Record<string, MatrixValue[]>;
    include: Record<string, MatrixValue>[];
    exclude: Record<string, MatrixValue>[];
  };
  /** The server to start; with `servers:`, the first named one (a run uses its cell's own: see sweep/spec/named-dimensions.ts). */
  server?: ServerSpec;
  /** `servers:` in definition order; the matrix key `server` picks one per cell. */
  servers?: Record<string, ServerSpec>;
  /** `baseline:`: the named server (without `servers:`, client) every other one is compared with (else: the best of each cell). */
  baseline?: string;
  /** The load client; with `clients:`, the first named one (a run uses its cell's own). */
  client: ClientSpec;
  /** `clients:` in definition order; the matrix key `client` picks one per cell. */
  clients?: Record<string, ClientSpec>;
  /** When a finished run is `degraded` rather than `ok`: the share of requested connections that must be served. */
  validity: { minServedPct: number };
  /** `csv` is absolute; `csvAsWritten` is the path as written (or the default `results/<name>.csv`). */
  output: {
    csv: string;
    mode: "append" | "new";
    csvAsWritten?: string;
    /** --follow-symlinks: write the CSVs through links. */ followSymlinks?: boolean;
  };
  profile?: {
    strace?: { target: "server" | "client" | "both"; pass: "separate" | "same"; attach: "window" | "launch"; args: string[] };
    perf?: { events: "syscalls" };
    /** On-CPU stack sampling (perf record) of one target over the window: folded stacks, flame graphs. */
    cpu?: { hz: number; target: "server" | "client" };
  };
  /** Names whose values are secrets beyond the built-in ones (`redact:`; docs/security.md). */
  redact: string[];
  /** `ssh` and `hosts`: the remote hosts a sweep may use. */
  remote?: RemoteSettings;
  /** Where clients connect to the server (the server host's address); undefined: `host`. */
  connectHost?: string;
}

export interface Cell {
  /** 0-based position in the expanded cell list. */
  index: number;
  /** `connections=100,threads=4` in matrix key order. */
  id: string;
  values: Record<string, MatrixValue>;
}

/** The resolved remote hosts (`ssh:` and `hosts:`): what ssh launchers and the multi-host client need. */
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
