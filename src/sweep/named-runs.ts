/**
 * Running named servers and clients (`servers:`, `clients:`) side by side: each cell run gets its
 * own server's and client's definition (and the server its pool), and the runs of one cell's
 * servers × clients are planned back to back, their order rotating from one repeat to the next
 * (A B C, then B C A, …) so that drift on the machine falls on every one alike.
 */
import type { Launchers } from "../launch/choose.js";
import type { Launcher } from "../launch/launcher.js";
import { formatCellId } from "../model/cell-id.js";
import { ServerPool } from "./servers.js";
import type { Cell, ServerSpec, SweepSpec } from "./spec.js";
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

/** What one cell run runs: the spec as the cell sees it (its named server and client in place), its server's pool, its client's launcher. */
export interface CellSetup {
  spec: SweepSpec;
  /** Undefined when measuring `address`. */
  servers?: ServerPool;
  clientLauncher: Launcher;
}

/**
 * The sweep's servers and clients as data, built once before the first run: one entry per server
 * (the spec's `server:`, under the name "", or each of `servers:`) with its pool, and one per client
 * with its launcher (chosen once, in launch/choose.ts). The runner asks it for each cell's setup.
 */
export class CellSetups {
  private readonly pools: ReadonlyMap<string, ServerPool>;
  private readonly clientLaunchers: ReadonlyMap<string, Launcher>;

  constructor(
    private readonly spec: SweepSpec,
    launchers: Pick<Launchers, "server" | "client" | "named">,
  ) {
    const pool = (name: string, server: ServerSpec) =>
      new ServerPool(launchers.named.server.get(name) ?? launchers.server, server, spec.host);
    this.pools = new Map(entries(spec.server, spec.servers).map(([name, server]) => [name, pool(name, server)]));
    this.clientLaunchers = new Map(
      entries(spec.client, spec.clients).map(([name]) => [name, launchers.named.client.get(name) ?? launchers.client]),
    );
  }

  for(cell: Pick<Cell, "values">): CellSetup {
    const name = (key: string, named: object | undefined) => (named ? String(cell.values[key]) : "");
    const servers = this.pools.get(name(SERVER_KEY, this.spec.servers));
    return {
      spec: specForCell(this.spec, cell),
      ...(servers ? { servers } : {}),
      clientLauncher: this.clientLaunchers.get(name(CLIENT_KEY, this.spec.clients))!,
    };
  }

  /** Stops every server still running (groups, warm servers), one pool after the other. */
  async stopAll(): Promise<void> {
    for (const pool of this.pools.values()) await pool.stopAll();
  }
}

/** The named entries, or the single one under the name "" (none: a spec measuring `address` has no server). */
function entries<T>(single: T | undefined, named: Record<string, T> | undefined): [string, T][] {
  if (named) return Object.entries(named);
  return single ? [["", single]] : [];
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
