/**
 * `<csv dir>/<spec name>.<run_id>.meta.json`: the environment a run measured in, written as it
 * starts, so that two runs can be told apart by more than their numbers (`tcpsweep compare`
 * warns when kernels, CPUs, Node, limits or governors differ). Every probe is best effort: a
 * missing file, git or binary leaves null, never a failed run.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { constants as fsConstants, createReadStream, existsSync, readFileSync } from "node:fs";
import { access, realpath, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readOpenFileLimit } from "../process/limits.js";
import { cellTemplateValues, type Cell, type CommandTemplate, type SweepSpec } from "../sweep/spec.js";
import { expandTemplate } from "../sweep/template.js";

export const META_VERSION = 1;

/** A limit: a number, or "unlimited". */
export type Limit = number | "unlimited";

export interface BinaryMeta {
  /** argv[0] as the spec gives it (placeholders expanded). */
  argv0: string;
  /** Where it resolves (PATH lookup, or against the command's cwd); null when not found. */
  path: string | null;
  /** `path` with symlinks resolved: the file hashed, and whose directory git runs in. */
  realpath: string | null;
  sha256: string | null;
  /** `git describe --always --dirty` of the repository the binary is in; null outside one or without git. */
  git_describe: string | null;
  /** That repository's top level. */
  git_toplevel: string | null;
}

export type CommandMeta =
  | { builtin: true; tcpsweep_version: string; git_describe: string | null }
  | { builtin: false; argv: string[]; binaries: BinaryMeta[] };

export interface RunMeta {
  meta_version: number;
  run_id: string;
  spec_name: string;
  spec_file: string;
  csv: string;
  written_at: string;
  tcpsweep: { version: string; root: string; git_describe: string | null };
  node: string;
  host: {
    hostname: string;
    platform: string;
    arch: string;
    kernel: string;
    kernel_version: string;
    cpu_model: string | null;
    /** Logical CPUs of the machine. */
    cpu_count: number;
    /** CPUs this process may run on (affinity, cgroup-unaware). */
    available_parallelism: number;
    total_memory_bytes: number;
  };
  limits: {
    /** RLIMIT_NOFILE of the tcpsweep process (inherited by the servers and clients it starts). */
    nofile: { soft: Limit; hard: Limit };
    /** /proc/sys/net/core/somaxconn */
    somaxconn: number | null;
    /** /proc/sys/net/ipv4/ip_local_port_range, [first, last] */
    ip_local_port_range: [number, number] | null;
    /** /proc/sys/net/ipv4/tcp_tw_reuse */
    tcp_tw_reuse: number | null;
  };
  /** /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor; null when not readable (VMs, containers). */
  cpu_governor: string | null;
  /** null when the spec measures a running server at `address`. */
  server: CommandMeta | null;
  client: CommandMeta;
  /** CPU lists the trees were pinned to (null: not pinned). */
  placement: { server_cpus: string | null; client_cpus: string | null };
  /** The resolved spec (RegExps as their source). */
  spec: unknown;
  /** Remote hosts (`hosts`), as each one's agent described itself at preflight. */
  remote_hosts?: RemoteHostMeta[];
}

export interface RemoteHostMeta {
  name: string;
  ssh: string;
  roles: string[];
  hostname: string;
  kernel: string;
  node: string;
  cpus: number;
  tcpsweep_version: string;
}

/** Where a run's meta.json lives: beside the CSV, named by spec name and run id. */
export function metaPath(csvFile: string, specName: string, runId: string): string {
  return path.join(path.dirname(csvFile), `${specName}.${runId}.meta.json`);
}

const TCPSWEEP_ROOT = path.dirname(fileURLToPath(new URL("../../package.json", import.meta.url)));

export function tcpsweepVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(TCPSWEEP_ROOT, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

function readNumber(file: string): number | null {
  const text = readText(file);
  const number = text === null || text === "" ? Number.NaN : Number(text);
  return Number.isFinite(number) ? number : null;
}

function portRange(): [number, number] | null {
  const parts = readText("/proc/sys/net/ipv4/ip_local_port_range")?.split(/\s+/).map(Number);
  return parts && parts.length === 2 && parts.every(Number.isFinite) ? [parts[0]!, parts[1]!] : null;
}

const limit = (value: number): Limit => (Number.isFinite(value) ? value : "unlimited");

function run(command: string, args: string[], cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    // GIT_OPTIONAL_LOCKS=0: `describe --dirty` must not take the index lock of a repository someone is working in.
    execFile(command, args, { cwd, timeout: 5000, env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } }, (error, stdout) =>
      resolve(error ? null : stdout.trim() || null),
    );
  });
}

/** The repository `dir` is in and its `git describe --always --dirty`; nulls outside one or without git. */
async function gitInfo(dir: string): Promise<{ describe: string | null; toplevel: string | null }> {
  const toplevel = await run("git", ["rev-parse", "--show-toplevel"], dir);
  if (!toplevel) return { describe: null, toplevel: null };
  return { describe: await run("git", ["describe", "--always", "--dirty"], dir), toplevel };
}

/** tcpsweep's own checkout, only when tcpsweep is its top level (not a package inside someone else's repository). */
async function tcpsweepGit(): Promise<string | null> {
  const { describe, toplevel } = await gitInfo(TCPSWEEP_ROOT);
  if (!toplevel) return null;
  try {
    return (await realpath(toplevel)) === (await realpath(TCPSWEEP_ROOT)) ? describe : null;
  } catch {
    return null;
  }
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** argv[0] as the kernel would find it: through PATH when it has no slash, else against `cwd`. */
export async function resolveProgram(argv0: string, cwd: string, envPath = process.env.PATH ?? ""): Promise<string | null> {
  if (argv0.includes("/")) {
    const file = path.resolve(cwd, argv0);
    return (await isExecutableFile(file)) ? file : null;
  }
  for (const dir of envPath.split(":")) {
    const file = path.resolve(cwd, dir || ".", argv0);
    if (await isExecutableFile(file)) return file;
  }
  return null;
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("error", reject)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")));
  });
}

async function binaryMeta(argv0: string, command: CommandTemplate): Promise<BinaryMeta> {
  const cwd = command.cwd ?? process.cwd();
  const found = await resolveProgram(argv0, cwd, command.env.PATH ?? process.env.PATH);
  const meta: BinaryMeta = { argv0, path: found, realpath: null, sha256: null, git_describe: null, git_toplevel: null };
  if (!found) return meta;
  try {
    meta.realpath = await realpath(found);
    meta.sha256 = await sha256File(meta.realpath);
  } catch {
    return meta;
  }
  const git = await gitInfo(path.dirname(meta.realpath));
  meta.git_describe = git.describe;
  meta.git_toplevel = git.toplevel;
  return meta;
}

async function commandMeta(
  command: CommandTemplate & { builtin: boolean },
  spec: SweepSpec,
  cells: readonly Cell[],
  tcpsweep: RunMeta["tcpsweep"],
): Promise<CommandMeta> {
  if (command.builtin) return { builtin: true, tcpsweep_version: tcpsweep.version, git_describe: tcpsweep.git_describe };
  // argv[0] may hold placeholders: one entry per program the cells actually run.
  const programs = new Set<string>();
  for (const cell of cells.length > 0 ? cells : [{ values: {} }]) {
    try {
      programs.add(expandTemplate([command.argv[0]!], { ...cellTemplateValues(spec, cell, 0) })[0]!);
    } catch {
      programs.add(command.argv[0]!);
    }
  }
  return { builtin: false, argv: [...command.argv], binaries: await Promise.all([...programs].map((program) => binaryMeta(program, command))) };
}

/** The spec as JSON: RegExps become their source, undefined keys disappear. */
export function jsonSafeSpec(spec: SweepSpec): unknown {
  return JSON.parse(JSON.stringify(spec, (_key, value: unknown) => (value instanceof RegExp ? value.source : value)));
}

/** Gathers a run's environment (see {@link RunMeta}). */
export async function collectRunMeta(spec: SweepSpec, cells: readonly Cell[], runId: string): Promise<RunMeta> {
  const cpus = os.cpus();
  const nofile = readOpenFileLimit();
  const tcpsweep = { version: tcpsweepVersion(), root: TCPSWEEP_ROOT, git_describe: await tcpsweepGit() };
  const [server, client] = await Promise.all([
    spec.server ? commandMeta(spec.server, spec, cells, tcpsweep) : Promise.resolve(null),
    commandMeta(spec.client, spec, cells, tcpsweep),
  ]);
  return {
    meta_version: META_VERSION,
    run_id: runId,
    spec_name: spec.name,
    spec_file: spec.file,
    csv: spec.output.csv,
    written_at: new Date().toISOString(),
    tcpsweep,
    node: process.version,
    host: {
      hostname: os.hostname(),
      platform: os.platform(),
      arch: os.arch(),
      kernel: os.release(),
      kernel_version: os.version(),
      cpu_model: cpus[0]?.model.trim() || null,
      cpu_count: cpus.length,
      available_parallelism: os.availableParallelism(),
      total_memory_bytes: os.totalmem(),
    },
    limits: {
      nofile: { soft: limit(nofile.soft), hard: limit(nofile.hard) },
      somaxconn: readNumber("/proc/sys/net/core/somaxconn"),
      ip_local_port_range: portRange(),
      tcp_tw_reuse: readNumber("/proc/sys/net/ipv4/tcp_tw_reuse"),
    },
    cpu_governor: readText("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") || null,
    server,
    client,
    placement: { server_cpus: spec.server?.cpus ?? null, client_cpus: spec.client.cpus ?? null },
    spec: jsonSafeSpec(spec),
  };
}

/**
 * Writes the run's meta.json beside the CSV. Never fails the run: a problem becomes one
 * warning line on `out`. Returns the file written, or undefined.
 */
export async function writeRunMeta(
  spec: SweepSpec,
  cells: readonly Cell[],
  runId: string,
  out: NodeJS.WritableStream,
  extra: Pick<RunMeta, "remote_hosts"> = {},
): Promise<string | undefined> {
  const file = metaPath(spec.output.csv, spec.name, runId);
  try {
    const meta = { ...(await collectRunMeta(spec, cells, runId)), ...extra };
    await writeFile(file, `${JSON.stringify(meta, null, 2)}\n`);
    return file;
  } catch (error) {
    out.write(`warning: could not write ${file}: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** A run's meta.json, or undefined when it is missing or unreadable. */
export function readRunMeta(file: string): RunMeta | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(file, "utf8")) as RunMeta;
    return typeof meta === "object" && meta !== null && typeof meta.run_id === "string" ? meta : undefined;
  } catch {
    return undefined;
  }
}

export interface EnvironmentDifference {
  what: string;
  base: string;
  new: string;
}

const show = (value: unknown): string => (value === null || value === undefined ? "unknown" : Array.isArray(value) ? value.join("-") : String(value));

/** What differs between two runs' environments, of what shapes results. */
export function environmentDifferences(base: RunMeta, next: RunMeta): EnvironmentDifference[] {
  const fields: [string, (meta: RunMeta) => unknown][] = [
    ["hostname", (m) => m.host?.hostname],
    ["kernel", (m) => m.host?.kernel],
    ["CPU model", (m) => m.host?.cpu_model],
    ["CPU count", (m) => m.host?.cpu_count],
    ["node", (m) => m.node],
    ["tcpsweep version", (m) => m.tcpsweep?.version],
    ["nofile soft limit", (m) => m.limits?.nofile?.soft],
    ["nofile hard limit", (m) => m.limits?.nofile?.hard],
    ["somaxconn", (m) => m.limits?.somaxconn],
    ["ip_local_port_range", (m) => m.limits?.ip_local_port_range],
    ["tcp_tw_reuse", (m) => m.limits?.tcp_tw_reuse],
    ["CPU governor", (m) => m.cpu_governor],
  ];
  return fields
    .map(([what, get]) => ({ what, base: show(get(base)), new: show(get(next)) }))
    .filter((difference) => difference.base !== difference.new);
}
