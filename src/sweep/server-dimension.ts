/**
 * Running named servers (`servers:`) side by side: each cell run gets its own server's
 * definition and pool, and the runs of one cell's servers are planned back to back, their
 * order rotating from one repeat to the next (A B C, then B C A, …) so that drift on the
 * machine falls on every server alike.
 */
import { chooseLaunchers } from "../launch/choose.js";
import type { Launcher } from "../launch/launcher.js";
import { cellId } from "./matrix.js";
import { ServerPool } from "./servers.js";
import type { Cell, SweepSpec } from "./spec.js";
import { SERVER_KEY } from "./spec/named-servers.js";

/** The spec as one cell runs it: `server` is the cell's named server (the spec itself without `servers:`). */
export function specForCell(spec: SweepSpec, cell: Pick<Cell, "values">): SweepSpec {
  if (!spec.servers) return spec;
  const server = spec.servers[String(cell.values[SERVER_KEY])];
  return server ? { ...spec, server } : spec;
}

/** A cell's id without its server: the servers of one such group are compared with each other. */
export function cellWithoutServer(spec: Pick<SweepSpec, "matrix">, cell: Pick<Cell, "values">): string {
  return cellId(
    spec.matrix.keys.filter((k) => k !== SERVER_KEY),
    cell.values,
  );
}

/**
 * Runs in order, repeat-major: in each repeat every cell in turn, and within a cell its servers
 * back to back, rotated by one per repeat.
 */
export function planServerJobs(spec: SweepSpec, cells: readonly Cell[]): { cell: Cell; repeat: number }[] {
  const groups = new Map<string, Cell[]>();
  for (const cell of cells) {
    const key = cellWithoutServer(spec, cell);
    const group = groups.get(key) ?? [];
    group.push(cell);
    groups.set(key, group);
  }
  const jobs: { cell: Cell; repeat: number }[] = [];
  for (let repeat = 1; repeat <= spec.repeat; repeat++) {
    for (const group of groups.values()) {
      const shift = (repeat - 1) % group.length;
      for (const cell of [...group.slice(shift), ...group.slice(0, shift)]) jobs.push({ cell, repeat });
    }
  }
  return jobs;
}

/** One pool per named server, each on its own launcher (a server's `cpus` pin only it). */
export class NamedServerPools {
  private readonly pools = new Map<string, ServerPool>();

  constructor(
    private readonly spec: SweepSpec,
    private readonly single: ServerPool | undefined,
    private readonly serverLauncher: Launcher,
  ) {}

  /** The pool a cell's runs use. */
  for(cell: Pick<Cell, "values">): ServerPool | undefined {
    if (!this.spec.servers) return this.single;
    const name = String(cell.values[SERVER_KEY]);
    let pool = this.pools.get(name);
    if (!pool) {
      const own = specForCell(this.spec, cell);
      const launcher = own.server?.cpus === this.spec.server?.cpus ? this.serverLauncher : chooseLaunchers(own).server;
      pool = new ServerPool(launcher, own.server!, this.spec.host);
      this.pools.set(name, pool);
    }
    return pool;
  }

  async stopAll(): Promise<void> {
    await this.single?.stopAll();
    for (const pool of this.pools.values()) await pool.stopAll();
  }
}

/** What the verdicts compare in a sweep with `servers:` (the server key, and the baseline if named); undefined otherwise. */
export function compareByOf(spec: SweepSpec): { key: string; baseline?: string } | undefined {
  return spec.servers ? { key: SERVER_KEY, ...(spec.baseline !== undefined ? { baseline: spec.baseline } : {}) } : undefined;
}
