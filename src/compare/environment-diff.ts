/** What differs between the environments two compared runs measured in, from their meta.json. */
import { metaPath, readRunMeta, type RunMeta } from "../rundir/run-dir.js";
import type { RunSelection } from "./compare.js";

export interface EnvironmentDifference {
  what: string;
  base: string;
  new: string;
}

const show = (value: unknown): string =>
  value === null || value === undefined ? "unknown" : Array.isArray(value) ? value.join("-") : String(value);

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

/**
 * Environment differences between the runs, from the meta.json files beside the CSVs
 * (`<spec>.<run_id>.meta.json`); undefined when either run has none.
 */
export function runEnvironmentDifferences(base: RunSelection, next: RunSelection): EnvironmentDifference[] | undefined {
  const baseMeta = readRunMeta(metaPath(base.file, base.spec, base.runId));
  const newMeta = readRunMeta(metaPath(next.file, next.spec, next.runId));
  if (!baseMeta || !newMeta) return undefined;
  return environmentDifferences(baseMeta, newMeta);
}

/** The differences `--strict-env` refuses: those that change what a server can do. */
export const STRICT_ENV_FIELDS = ["CPU model", "CPU count", "kernel", "tcpsweep version"];
