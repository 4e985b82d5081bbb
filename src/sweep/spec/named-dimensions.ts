/**
 * `servers:` and `clients:` — several named servers (or load clients) compared side by side. The
 * matrix key `server` (`client`) lists the names a sweep runs (all of them, in definition order,
 * when the matrix does not name it), so each is a dimension like any other: include / exclude /
 * --only work with it and the CSV gets a `server` (`client`) column. These are the rules between
 * `servers:`, `clients:`, `server:`, `client:`, `address`, `baseline` and the matrix
 * (docs/servers.md).
 */
import { didYouMean } from "../errors.js";
import type { CrossContext } from "./cross-context.js";
import type { Seg } from "./locate.js";
import { asObject, type Loose } from "./schema-parts.js";

/** One named dimension: its matrix key (also the single section's name), its map, and its remote-host key. */
export interface NamedDimension {
  key: "server" | "client";
  plural: "servers" | "clients";
  /** The key that would put an entry on remote hosts (not supported in named entries yet). */
  remote: "host" | "hosts";
  example: string;
}

export const SERVERS: NamedDimension = {
  key: "server",
  plural: "servers",
  remote: "host",
  example: "servers: {node: {builtin: true}, epoll: {command: ...}}",
};
export const CLIENTS: NamedDimension = {
  key: "client",
  plural: "clients",
  remote: "hosts",
  example: "clients: {builtin: {builtin: true}, wrk: {command: ...}}",
};
/** In this order: `server` is added before `client`, and verdicts compare servers when both are named. */
export const NAMED_DIMENSIONS: readonly NamedDimension[] = [SERVERS, CLIENTS];

/** The matrix key that picks a named server. */
export const SERVER_KEY = SERVERS.key;
export const CLIENT_KEY = CLIENTS.key;

/** The matrix keys of a spec: those written, plus `server` / `client` (last) for each named map the matrix does not name. */
export function withNamedKeys(raw: Loose | undefined, keys: string[] | undefined): string[] | undefined {
  if (!keys) return keys;
  const added = NAMED_DIMENSIONS.filter((dim) => asObject(raw?.[dim.plural]) && !keys.includes(dim.key)).map((dim) => dim.key);
  return added.length ? [...keys, ...added] : keys;
}

/** The dimension `baseline:` names and verdicts compare: servers when `servers:` is there, else clients. */
export function comparedDimension(has: (plural: NamedDimension["plural"]) => boolean): NamedDimension | undefined {
  return NAMED_DIMENSIONS.find((dim) => has(dim.plural));
}

/** Every problem of `servers:` / `clients:` / `baseline:` at once. Calls `each` with every entry so the usual server / client checks run on it too. */
export function checkNamedDimensions(ctx: CrossContext, each: (dim: NamedDimension, at: Seg[], entry: Loose) => void): void {
  const { raw, issues } = ctx;
  if (raw.servers !== undefined && raw.address !== undefined) {
    issues.push({
      path: ["servers"],
      atKey: true,
      message: 'cannot be used together with "address" (address measures one already-running server)',
    });
  }
  const names = new Map(NAMED_DIMENSIONS.map((dim) => [dim, checkOne(ctx, dim, each)]));
  if (raw.baseline === undefined) return;
  const dim = comparedDimension((plural) => asObject(raw[plural]) !== undefined);
  if (!dim) {
    issues.push({
      path: ["baseline"],
      message: "only applies with servers: or clients: (it names the server, or client, the others are compared with)",
    });
    return;
  }
  const defined = names.get(dim)!;
  unknownName(ctx, dim, defined, raw.baseline, ["baseline"], "baseline");
  const list = ctx.matrix?.[dim.key];
  const running = Array.isArray(list) ? list.map(String) : defined;
  if (defined.includes(String(raw.baseline)) && !running.includes(String(raw.baseline))) {
    issues.push({
      path: ["baseline"],
      message: `${JSON.stringify(raw.baseline)} is not in the matrix's ${dim.key} list (${running.join(", ")})`,
    });
  }
}

/** One named map's own rules; returns the names it defines. */
function checkOne(ctx: CrossContext, dim: NamedDimension, each: (dim: NamedDimension, at: Seg[], entry: Loose) => void): string[] {
  const { raw, issues } = ctx;
  const map = asObject(raw[dim.plural]);
  if (raw[dim.plural] !== undefined && raw[dim.key] !== undefined) {
    issues.push({
      path: [dim.plural],
      atKey: true,
      message: `cannot be used together with "${dim.key}"; put that ${dim.key} under ${dim.plural}: with a name, or remove ${dim.plural}:`,
    });
  }
  if (map && Object.keys(map).length === 0) {
    issues.push({ path: [dim.plural], atKey: true, message: `is empty; name at least one ${dim.key}, e.g. ${dim.example}` });
  }
  const names = Object.keys(map ?? {});
  for (const name of names) {
    const entry = asObject(map![name]);
    if (!entry) continue;
    if (entry[dim.remote] !== undefined) {
      issues.push({
        path: [dim.plural, name, dim.remote],
        atKey: true,
        message: `remote hosts are not supported with ${dim.plural}: yet; use a single ${dim.key}: for a remote ${dim.key}`,
      });
    }
    each(dim, [dim.plural, name], entry);
  }
  if (!map) return names;
  const list = ctx.matrix?.[dim.key];
  if (Array.isArray(list))
    list.forEach((value: unknown, i: number) => unknownName(ctx, dim, names, value, ["matrix", dim.key, i], dim.key));
  for (const kind of ["include", "exclude"] as const) {
    const patterns = ctx.matrix?.[kind];
    if (Array.isArray(patterns))
      patterns.forEach((p: unknown, i: number) =>
        unknownName(ctx, dim, names, asObject(p)?.[dim.key], ["matrix", kind, i, dim.key], dim.key),
      );
  }
  return names;
}

/** A name the map does not define: said where, with a did-you-mean and the names it does define. */
function unknownName(ctx: CrossContext, dim: NamedDimension, names: string[], value: unknown, at: Seg[], what: string): void {
  if ((typeof value !== "string" && typeof value !== "number") || names.includes(String(value))) return;
  const hint = didYouMean(String(value), names);
  ctx.issues.push({
    path: at,
    message: `${what} ${JSON.stringify(String(value))} is not under ${dim.plural}:${hint ? ` (did you mean "${hint}"?)` : ""}; ${dim.plural}: ${names.join(", ")}`,
  });
}
