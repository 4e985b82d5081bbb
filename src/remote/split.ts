/**
 * How a cell's connections are shared by several load hosts: as evenly as possible, the
 * remainder one each to the first hosts (4000 over 3 → 1334 + 1333 + 1333), so the listed order
 * of `client.hosts` decides who carries the extra connection and runs are reproducible.
 */

/** Connections per host, in host order; always sums to `total`. */
export function splitConnections(total: number, hosts: number): number[] {
  if (!Number.isInteger(total) || total < 0) throw new Error(`cannot split ${total} connections: need a whole number ≥ 0`);
  if (!Number.isInteger(hosts) || hosts < 1) throw new Error(`cannot split connections over ${hosts} hosts: need at least 1`);
  const share = Math.floor(total / hosts);
  const remainder = total % hosts;
  return Array.from({ length: hosts }, (_, index) => share + (index < remainder ? 1 : 0));
}
