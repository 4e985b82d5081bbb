/**
 * `servers:` — several named servers compared side by side. The matrix key `server` lists the
 * names a sweep runs (all of them, in definition order, when the matrix does not name it), so
 * the server is a dimension like any other: include / exclude / --only work with it and the CSV
 * gets a `server` column. These are the rules between `servers:`, `server:`, `address`,
 * `baseline` and the matrix (docs/servers.md).
 */
import { didYouMean } from "../errors.js";
import type { CrossContext } from "./cross-checks.js";
import type { Seg } from "./locate.js";
import { asObject, type Loose } from "./schema-parts.js";

/** The matrix key that picks a named server. */
export const SERVER_KEY = "server";

/** The matrix keys of a spec: those written, plus `server` (last) when `servers:` is there and the matrix does not name it. */
export function withServerKey(raw: Loose | undefined, keys: string[] | undefined): string[] | undefined {
  if (!keys || !asObject(raw?.servers) || keys.includes(SERVER_KEY)) return keys;
  return [...keys, SERVER_KEY];
}

/** Every problem of `servers:` / `baseline:` at once. Calls `each` with every server definition so the usual server checks run on it too. */
export function checkNamedServers(ctx: CrossContext, each: (at: Seg[], rawServer: Loose) => void): void {
  const { raw, issues } = ctx;
  const servers = asObject(raw.servers);
  if (raw.servers !== undefined && raw.server !== undefined) {
    issues.push({ path: ["servers"], atKey: true, message: 'cannot be used together with "server"; put that server under servers: with a name, or remove servers:' });
  }
  if (raw.servers !== undefined && raw.address !== undefined) {
    issues.push({ path: ["servers"], atKey: true, message: 'cannot be used together with "address" (address measures one already-running server)' });
  }
  if (servers && Object.keys(servers).length === 0) {
    issues.push({ path: ["servers"], atKey: true, message: "is empty; name at least one server, e.g. servers: {node: {builtin: true}, epoll: {command: ...}}" });
  }
  const names = Object.keys(servers ?? {});
  for (const name of names) {
    const entry = asObject(servers![name]);
    if (!entry) continue;
    if (entry.host !== undefined) issues.push({ path: ["servers", name, "host"], atKey: true, message: "remote hosts are not supported with servers: yet; use a single server: for a remote server" });
    each(["servers", name], entry);
  }
  const unknown = (value: unknown, at: Seg[], what: string) => {
    if (!servers || (typeof value !== "string" && typeof value !== "number") || names.includes(String(value))) return;
    const hint = didYouMean(String(value), names);
    issues.push({ path: at, message: `${what} ${JSON.stringify(String(value))} is not under servers:${hint ? ` (did you mean "${hint}"?)` : ""}; servers: ${names.join(", ")}` });
  };
  const list = ctx.matrix?.[SERVER_KEY];
  if (Array.isArray(list)) list.forEach((value: unknown, i: number) => unknown(value, ["matrix", SERVER_KEY, i], "server"));
  for (const kind of ["include", "exclude"] as const) {
    const patterns = ctx.matrix?.[kind];
    if (Array.isArray(patterns)) patterns.forEach((p: unknown, i: number) => unknown(asObject(p)?.[SERVER_KEY], ["matrix", kind, i, SERVER_KEY], "server"));
  }
  if (raw.baseline !== undefined) {
    if (!servers) issues.push({ path: ["baseline"], message: "only applies with servers: (it names the server the others are compared with)" });
    else {
      unknown(raw.baseline, ["baseline"], "baseline");
      const running = Array.isArray(list) ? list.map(String) : names;
      if (names.includes(String(raw.baseline)) && !running.includes(String(raw.baseline))) {
        issues.push({ path: ["baseline"], message: `${JSON.stringify(raw.baseline)} is not in the matrix's server list (${running.join(", ")})` });
      }
    }
  }
}
