/**
 * Running named servers and clients (`servers:`, `clients:`) side by side: each cell run gets its
 * own server's and client's definition (and the server its pool), and the runs of one cell's
 * servers × clients are planned back to back, their order rotating from one repeat to the next
 * (A B C, then B C A, …) so that drift on the machine falls on every one alike.
 */
import { chooseLaunchers } from "../launch/choose.js";
import type { Launcher } from "../launch/launcher.js";
import { formatCellId } from "../model/cell-id.js";
import { ServerPool } from "./servers.js";
import type { Cell, SweepSpec } from "./spec.js";
import { CLIENT_KEY, NAMED_DIMENSIONS, SERVER_KEY, comparedDimension } from "./spec/named-dimensions.js";

/** The spec as one cell runs it: `server` and `client` are the cell's named ones (the spec itself without `servers:` / `clients:`). */
export function specForCell(spec: SweepSpec, cell: Pick<Cell, "values">): SweepSpec {
  if (!spec.servers && !spec.clients) return spec;
  const server = spec.servers?.[String(cell.values[SERVER_KEY])];
  const client = spec.clients?.[String(cell.values[CLIENT_KEY])];
  return { ...spec, ...(server ? { server } : {}), ...(client ? { client } : {}) };
}

/** A cell's id without its named server and client: the runs of one such group are planned together and compared with each other. */
export function cellWithoutNamed(spec: Pick<SweepSpec, "matrix" | "servers" | "clients">, cell: Pick<Cell, "values">): string {
  const named = NAMED_DIMENSIONS.filter((dim) => spec[dim.plural]).map((dim) => dim.key as string);
  return formatCellId(
    spec.matrix.keys.filter((k) => !named.includes(k)),
    cell.values,
  );
}

/**
 * Runs in order, repeat-major: in each repeat every cell in turn, and within a cell its servers
 * (and clients: every server × client pair, in matrix order) back to back, rotated by one per repeat.
 */
export function planNamedJobs(spec: SweepSpec, cells: readonly Cell[]): { cell: Cell; repeat: number }[] {
  const groups = new Map<string, Cell[]>();
  for (const cell of cells) {
    const key = cellWithoutNamed(spec, cell);
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

/** The client launcher each cell's named client uses: the sweep's, or one pinned to that client's own `cpus`. */
export class NamedClientLaunchers {
  private readonly launchers = new Map<string, Launcher>();

  constructor(
    private readonly spec: SweepSpec,
    private readonly clientLauncher: Launcher,
  ) {}

  for(cell: Pick<Cell, "values">): Launcher {
    const own = specForCell(this.spec, cell);
    if (own.client.cpus === this.spec.client.cpus) return this.clientLauncher;
    const name = String(cell.values[CLIENT_KEY]);
    let launcher = this.launchers.get(name);
    if (!launcher) this.launchers.set(name, (launcher = chooseLaunchers(own).client));
    return launcher;
  }
}

/**
 * What the verdicts compare in a sweep with `servers:` or `clients:` (the key, and the baseline if
 * named); undefined otherwise. With both, servers are compared, within each client (the client is
 * part of the cell, like any other matrix key).
 */
export function compareByOf(spec: SweepSpec): { key: string; baseline?: string } | undefined {
  const dim = comparedDimension((plural) => spec[plural] !== undefined);
  return dim ? { key: dim.key, ...(spec.baseline !== undefined ? { baseline: spec.baseline } : {}) } : undefined;
}
