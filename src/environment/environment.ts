/**
 * The environment a run measures in: host, kernel limits, CPU governor, tcpsweep's own version and
 * the programs the run starts, so that two runs can be told apart by more than their numbers
 * (`tcpsweep compare` warns when kernels, CPUs, Node, limits or governors differ). It is given
 * plain values (which programs to describe) and knows nothing of sweeps. Every probe is best
 * effort: a missing file, git or binary leaves null, never a failed run.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { readOpenFileLimit } from "../process/limits.js";
import { TCPSWEEP_ROOT, tcpsweepBuild, tcpsweepGitDescribe, tcpsweepVersion } from "../version.js";
import { binaryMeta, type BinaryMeta } from "./binaries.js";

export { resolveProgram, sha256File, type BinaryMeta } from "./binaries.js";

/** A limit: a number, or "unlimited". */
export type Limit = number | "unlimited";

export type CommandMeta =
  { builtin: true; tcpsweep_version: string; git_describe: string | null } | { builtin: false; argv: string[]; binaries: BinaryMeta[] };

/** A command of the run, as the caller knows it: the built-in one, or argv with every program its cells run. */
export type CommandToDescribe =
  { builtin: true } | { builtin: false; argv: readonly string[]; programs: readonly string[]; cwd: string; envPath?: string };

export interface RunEnvironment {
  /** version: the whole build string (`tcpsweep 0.2.0 (git 1a2b3c4, node v20.19.0)`), what --strict-env compares; package_version: package.json's. */
  tcpsweep: { version: string; package_version: string; root: string; git_describe: string | null };
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
  /** null when the run measures a running server at an address. */
  server: CommandMeta | null;
  client: CommandMeta;
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

async function commandMeta(command: CommandToDescribe, tcpsweep: RunEnvironment["tcpsweep"]): Promise<CommandMeta> {
  if (command.builtin) return { builtin: true, tcpsweep_version: tcpsweep.version, git_describe: tcpsweep.git_describe };
  const binaries = await Promise.all([...new Set(command.programs)].map((program) => binaryMeta(program, command.cwd, command.envPath)));
  return { builtin: false, argv: [...command.argv], binaries };
}

/** Probes the environment (see {@link RunEnvironment}), describing the server (null: none started) and client commands. */
export async function probeEnvironment(commands: { server: CommandToDescribe | null; client: CommandToDescribe }): Promise<RunEnvironment> {
  const cpus = os.cpus();
  const nofile = readOpenFileLimit();
  const tcpsweep = {
    version: tcpsweepBuild(),
    package_version: tcpsweepVersion() ?? "unknown",
    root: TCPSWEEP_ROOT,
    git_describe: tcpsweepGitDescribe(),
  };
  const [server, client] = await Promise.all([
    commands.server ? commandMeta(commands.server, tcpsweep) : Promise.resolve(null),
    commandMeta(commands.client, tcpsweep),
  ]);
  return {
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
  };
}
