/**
 * The built-in client's protocol in a spec: `client.protocol` or a `protocol` matrix key, and
 * whether every cell's length fits its cell's protocol (chat: 0…1021, echo: 1…65536). Lengths
 * are checked per cell, after include/exclude, so a sweep may cross protocols with lengths that
 * only one of them takes, as long as it excludes the cells that do not fit.
 */
import { describeValue } from "../errors.js";
import { DEFAULT_PROTOCOL, PROTOCOLS, PROTOCOL_NAMES, isProtocolName, lengthProblem } from "../../protocol/index.js";
import type { CrossContext } from "./cross-context.js";
import type { RawIssue, Seg } from "./locate.js";
import type { Cell, SweepSpec } from "./types.js";

/** `protocol` as a matrix key of the built-in client: known names only, and not also set in `client.protocol`. */
export function checkProtocolKey(ctx: CrossContext, clientIsBuiltin: boolean, rawClient: Record<string, unknown> | undefined): void {
  const list = ctx.matrix?.protocol;
  if (!clientIsBuiltin || !Array.isArray(list)) return;
  list.forEach((v: unknown, i: number) => {
    if (!isProtocolName(v))
      ctx.issues.push({
        path: ["matrix", "protocol", i],
        message: `the built-in client's protocol must be one of ${PROTOCOL_NAMES.join(", ")}, got ${describeValue(v)}`,
      });
  });
  if (rawClient?.protocol !== undefined)
    ctx.issues.push({ path: ["client", "protocol"], message: 'conflicts with the matrix key "protocol"; remove one of them' });
}

/** `server.reply` of the built-in server against every protocol the client may speak (ack is chat only). */
export function checkServerReply(
  ctx: CrossContext,
  rawServer: Record<string, unknown> | undefined,
  rawClient: Record<string, unknown> | undefined,
): void {
  if (rawServer?.builtin !== true || (rawServer.reply !== "echo" && rawServer.reply !== "ack")) return;
  const fromMatrix = Array.isArray(ctx.matrix?.protocol) ? (ctx.matrix.protocol as unknown[]) : undefined;
  const protocols = (fromMatrix ?? [rawClient?.protocol ?? DEFAULT_PROTOCOL]).filter(isProtocolName);
  for (const protocol of new Set(protocols)) {
    const problem = PROTOCOLS[protocol].serverOptionsProblem({ reply: rawServer.reply });
    if (problem) ctx.issues.push({ path: ["server", "reply"], message: `${problem} (the client speaks ${protocol})` });
  }
}

/** One issue per length value (or `client.length`) that does not fit the protocol of a cell it is used in. */
export function cellLengthIssues(spec: SweepSpec, cells: readonly Cell[]): RawIssue[] {
  if (!spec.client.builtin) return [];
  const issues = new Map<string, RawIssue>();
  for (const cell of cells) {
    const protocol = cell.values.protocol ?? spec.client.protocol ?? DEFAULT_PROTOCOL;
    const length = cell.values.length ?? spec.client.length;
    if (!isProtocolName(protocol) || length === undefined) continue; // a bad protocol is reported already; no length: the protocol's default fits
    const problem = lengthProblem(protocol, Number(length));
    if (problem === undefined) continue;
    const path = lengthPath(spec, cell);
    const where = spec.matrix.keys.includes("protocol") ? ` (in cells with protocol=${protocol}: exclude them, or split the sweep)` : "";
    const key = path.join(".");
    if (!issues.has(key)) issues.set(key, { path, message: `${problem}${where}` });
  }
  return [...issues.values()];
}

/** Where the cell's length is written: its matrix value, its include entry, or `client.length`. */
function lengthPath(spec: SweepSpec, cell: Cell): Seg[] {
  if (!spec.matrix.keys.includes("length")) return ["client", "length"];
  const value = cell.values.length;
  const index = spec.matrix.values.length?.findIndex((v) => String(v) === String(value)) ?? -1;
  if (index >= 0) return ["matrix", "length", index];
  const entry = spec.matrix.include.findIndex((pattern) => String(pattern.length) === String(value));
  return entry >= 0 ? ["matrix", "include", entry, "length"] : ["matrix", "length"];
}

/**
 * `clients:`: a named built-in client's `protocol` conflicts with a `protocol` matrix key, and the
 * built-in server (started with one protocol) cannot serve clients that speak different ones.
 */
export function checkNamedClientProtocols(
  ctx: CrossContext,
  rawClients: Record<string, unknown> | undefined,
  builtinServer: boolean,
): void {
  if (!rawClients) return;
  const builtin = Object.entries(rawClients).flatMap(([name, c]) => {
    const entry = c !== null && typeof c === "object" && !Array.isArray(c) ? (c as Record<string, unknown>) : undefined;
    return entry && entry.command === undefined && entry.builtin !== false ? [{ name, protocol: entry.protocol }] : [];
  });
  if (Array.isArray(ctx.matrix?.protocol)) {
    for (const c of builtin)
      if (c.protocol !== undefined)
        ctx.issues.push({ path: ["clients", c.name, "protocol"], message: 'conflicts with the matrix key "protocol"; remove one of them' });
    return;
  }
  const spoken = [...new Set(builtin.map((c) => String(c.protocol ?? DEFAULT_PROTOCOL)))];
  if (builtinServer && spoken.length > 1) {
    ctx.issues.push({
      path: ["clients"],
      atKey: true,
      message: `the built-in server speaks one protocol, but these clients speak ${spoken.join(", ")}; give them one protocol, or make protocol a matrix key`,
    });
  }
}
