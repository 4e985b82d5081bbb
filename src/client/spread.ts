/**
 * How the built-in client spreads its connections past one process's limits: over several
 * processes when one process's descriptor limit (RLIMIT_NOFILE) would not hold them, and over
 * several loopback source addresses (127.0.0.1, 127.0.0.2, …) when one address's ephemeral ports
 * towards the server would not. Every loop (a thread, or a process of its own) gets an even share
 * and one source address; the addresses get equal numbers of loops.
 */
import { FD_HEADROOM } from "../process/limits.js";

export interface SpreadInput {
  connections: number;
  threads: number;
  /** The address the client dials: source addresses other than the default need it on loopback. */
  host: string;
  /** Explicit counts; undefined = as many as the limits need (at least one). */
  processes?: number;
  sourceAddresses?: number;
  /** RLIMIT_NOFILE (soft) each process gets. */
  openFileLimit: number;
  /** Ephemeral ports per source address (ip_local_port_range). */
  portsPerAddress: number;
}

export interface LoopShare {
  connections: number;
  /** undefined: the kernel picks the source address (a single one). */
  localAddress?: string;
}

export interface Spread {
  /** 1: the loops are threads of this process; more: each loop is a process of its own. */
  processes: number;
  loops: LoopShare[];
  sourceAddresses: string[];
}

/**
 * Automatic source addresses fill at most this share of each one's port range: connect() searches
 * the range for a free port, longer the fuller it is (19,000 connections from one address took
 * 107 s to open on the 2-core machine, from 4 addresses 21 s; bench/RESULTS.md).
 */
const PORT_RANGE_SHARE = 0.25;

/** Client connections one process can hold under `openFileLimit`. */
export const connectionsPerProcess = (openFileLimit: number): number => Math.max(1, openFileLimit - FD_HEADROOM);

const isLoopback = (host: string): boolean => /^127\.\d+\.\d+\.\d+$/.test(host) || host === "localhost";

/** 127.0.0.1, 127.0.0.2, …: every address of 127.0.0.0/8 is this machine's on Linux. */
const loopbackAddress = (i: number): string => `127.0.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`;

/** Connections per share: as even as possible, every connection assigned. */
export function evenShares(total: number, parts: number): number[] {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** The spread, or every reason it cannot be made (what to change, in the flags' and spec keys' words). */
export function planSpread(input: SpreadInput): Spread | { problems: string[] } {
  const { connections, threads, host } = input;
  const problems: string[] = [];
  const perProcess = connectionsPerProcess(input.openFileLimit);
  const neededProcesses = Math.ceil(connections / perProcess);
  const processes = input.processes ?? neededProcesses;
  if (processes < neededProcesses) {
    problems.push(
      `${connections} connections in ${processes} client process${processes === 1 ? "" : "es"} need ${Math.ceil(connections / processes) + FD_HEADROOM} open files each but RLIMIT_NOFILE (ulimit -n) is ${input.openFileLimit}: use ${neededProcesses} processes or more (--processes / client.processes), or leave it automatic`,
    );
  }
  const neededAddresses = Math.ceil(connections / input.portsPerAddress);
  const comfortable = Math.ceil(connections / Math.floor(input.portsPerAddress * PORT_RANGE_SHARE));
  const addresses = input.sourceAddresses ?? (isLoopback(host) ? comfortable : 1);
  if (addresses < neededAddresses) {
    problems.push(
      `${connections} connections to one server address and port need ${neededAddresses} source addresses (one has ${input.portsPerAddress} ephemeral ports, net.ipv4.ip_local_port_range)` +
        (isLoopback(host)
          ? `: use --source-addresses ${neededAddresses} (client.source_addresses) or leave it automatic`
          : `: ${host} is not a loopback address, so the client cannot add source addresses; spread the connections over several load hosts (client.hosts)`),
    );
  }
  if (addresses > 1 && !isLoopback(host)) problems.push(`several source addresses need a server on loopback (127.0.0.0/8), not ${host}`);
  if (problems.length > 0) return { problems };
  const baseLoops = Math.min(connections, processes > 1 ? Math.max(processes, threads) : threads);
  // Equal loops per address, so no address carries more connections than its share.
  const loopCount = Math.min(connections, addresses * Math.ceil(Math.max(baseLoops, addresses) / addresses));
  const sourceAddresses = addresses > 1 ? Array.from({ length: addresses }, (_, i) => loopbackAddress(i)) : [];
  const loops = evenShares(connections, loopCount).map((share, i) => ({
    connections: share,
    ...(addresses > 1 ? { localAddress: sourceAddresses[i % addresses]! } : {}),
  }));
  return { processes: processes > 1 ? loops.length : 1, loops, sourceAddresses };
}
