/**
 * Rules between sections, run on the raw data whatever zod said, so one pass reports
 * everything: placeholders vs matrix keys, include/exclude vs matrix values, server vs
 * address, builtin client vs matrix.
 */
import type { z } from "zod";
import { describeValue, didYouMean } from "../errors.js";
import { placeholdersOf } from "../template.js";
import type { Seg } from "./locate.js";
import { clientSchema, serverSchema, type ParsedClient, type ParsedServer } from "./schema.js";
import { CpuListError, checkCpuList } from "../../placement/cpus.js";
import { BUILTIN_PLACEHOLDERS, MATRIX_META_KEYS, asObject, commandSchema, cpusSchema, envSchema, type Loose } from "./schema-parts.js";
import type { MatrixValue } from "./types.js";
import { checkHostReferences } from "./remote-hosts.js";
import { checkNamedClientProtocols, checkProtocolKey, checkServerReply } from "./protocol-checks.js";
import { checkNamedDimensions } from "./named-dimensions.js";
import type { CrossContext } from "./cross-context.js";

/** Parse one section on its own so cross-checks can use it even when other sections are broken. */
export function sectionOf<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

export function matrixKeysOf(rawMatrix: unknown): string[] | undefined {
  const m = asObject(rawMatrix);
  return m ? Object.keys(m).filter((k) => !MATRIX_META_KEYS.includes(k)) : undefined;
}

export function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === "string" ? v : String(v))).join(", ");
}

export /** Every value of the matrix key that sets the client's rate is a number of requests per second. */
function checkRateValues(key: string, ctx: CrossContext): void {
  const list = ctx.matrix?.[key];
  if (!Array.isArray(list)) return;
  list.forEach((v: unknown, i: number) => {
    if (typeof v !== "number" || !(v > 0))
      ctx.issues.push({
        path: ["matrix", key, i],
        message: `the built-in client's rate must be requests per second (a number > 0), got ${describeValue(v)}`,
      });
  });
}

function checkPlaceholders(at: Seg[], rawSection: Loose, parsed: ParsedServer | ParsedClient | undefined, ctx: CrossContext): void {
  const defined = [...(ctx.matrixKeys ?? []), ...BUILTIN_PLACEHOLDERS];
  const check = (args: string[], where: Seg[]) => {
    let names: string[];
    try {
      names = placeholdersOf(args);
    } catch {
      return; // malformed braces are reported by the schema
    }
    for (const n of names) {
      if (defined.includes(n)) continue;
      if (ctx.matrixKeys === undefined) continue; // matrix broken: cannot tell
      const hint = didYouMean(n, defined);
      ctx.issues.push({
        path: where,
        message: `unknown placeholder {${n}}${hint ? ` (did you mean {${hint}}?)` : ""}; defined: ${defined.join(", ")}`,
      });
    }
  };
  const command = parsed?.command ?? sectionOf(commandSchema, rawSection.command);
  if (command) {
    if (Array.isArray(rawSection.command)) command.forEach((arg, i) => check([arg], [...at, "command", i]));
    else check(command, [...at, "command"]);
  }
  const env = parsed?.env ?? sectionOf(envSchema, rawSection.env);
  if (env) for (const [k, v] of Object.entries(env)) check([v], [...at, "env", k]);
}

/**
 * A server command with neither {port} nor {address}: tcpsweep gives each server a free port, waits
 * for it there and points the client there, so a server on a port of its own is never reached (the
 * run would wait ready_timeout for nothing). Said at the spec check, with what to do (issue 30).
 */
function checkServerPort(at: Seg[], rawSection: Loose, parsed: ParsedServer | undefined, ctx: CrossContext): void {
  // Only a section that is otherwise right: a typo ({prot}) or a schema problem is the message to fix first.
  if (!parsed?.command || rawSection.builtin === true) return;
  let names: string[];
  try {
    names = placeholdersOf([...parsed.command, ...Object.values(parsed.env ?? {})]);
  } catch {
    return; // malformed braces are reported by the schema
  }
  const defined = [...(ctx.matrixKeys ?? []), ...BUILTIN_PLACEHOLDERS];
  if (names.includes("port") || names.includes("address") || names.some((name) => !defined.includes(name))) return;
  ctx.issues.push({
    path: [...at, "command"],
    message:
      "has no {port} (or {address}): tcpsweep starts each server on a free port it picks, waits until the server is ready there and points the client there, so a server listening on a port of its own is never reached; put {port} where the command takes its port (e.g. --port {port}), or start the server yourself and measure it with address: HOST:PORT instead of server:",
  });
}

/** `values[k]` is undefined when the list for `k` is not a list (already reported). */
export function checkPatterns(
  kind: "include" | "exclude",
  keys: readonly string[],
  values: Record<string, MatrixValue[] | undefined>,
  ctx: CrossContext,
): void {
  const rawList = ctx.matrix?.[kind];
  if (!Array.isArray(rawList)) return;
  rawList.forEach((entry: unknown, i) => {
    const e = asObject(entry);
    if (!e) return;
    const at: Seg[] = ["matrix", kind, i];
    const entryKeys = Object.keys(e);
    if (entryKeys.length === 0) {
      ctx.issues.push({
        path: at,
        message:
          kind === "exclude"
            ? "an empty entry would exclude every cell; name at least one matrix key"
            : `must name every matrix key (${keys.join(", ")})`,
      });
      return;
    }
    for (const k of entryKeys) {
      if (!keys.includes(k)) {
        const hint = didYouMean(k, keys);
        ctx.issues.push({
          path: [...at, k],
          atKey: true,
          message: `"${k}" is not a matrix key${hint ? ` (did you mean "${hint}"?)` : ""}; matrix keys: ${keys.join(", ")}`,
        });
      } else if (kind === "exclude" && values[k]?.length) {
        const list = values[k];
        const v = e[k];
        if (!list.some((x) => String(x) === String(v))) {
          ctx.issues.push({ path: [...at, k], message: `${describeValue(v)} is not one of the ${k} values (${quoteList(list)})` });
        }
      }
    }
    if (kind === "include") {
      const missing = keys.filter((k) => !entryKeys.includes(k));
      if (missing.length) {
        ctx.issues.push({ path: at, message: `must name every matrix key; missing: ${missing.join(", ")}` });
      }
    }
  });
}

function checkCpus(at: Seg[], rawSection: Loose | undefined, ctx: CrossContext): void {
  const cpus = rawSection === undefined ? undefined : sectionOf(cpusSchema, rawSection.cpus);
  if (cpus === undefined) return;
  try {
    checkCpuList(cpus, ctx.onlineCpus);
  } catch (error) {
    if (!(error instanceof CpuListError)) throw error;
    ctx.issues.push({ path: [...at, "cpus"], message: error.message });
  }
}

/** A warm server is handed to the next run only once /proc shows its connections closed: this machine only. */
function checkWarmIsLocal(at: Seg[], section: Loose | undefined, ctx: CrossContext): void {
  if (section?.lifetime !== "warm" || section.host === undefined) return;
  ctx.issues.push({
    path: [...at, "lifetime"],
    message:
      "warm keeps the server between runs on this machine only (its closed connections are checked in /proc); with host use cell or group",
  });
}

export function crossChecks(ctx: CrossContext): void {
  const { raw } = ctx;
  const rawServer = asObject(raw.server);
  const rawClient = asObject(raw.client);

  // server vs address vs host
  if (raw.server !== undefined && raw.address !== undefined) {
    ctx.issues.push({
      path: ["address"],
      message: 'cannot be used together with "server"; address is for measuring an already-running server',
    });
  }
  if (raw.server === undefined && raw.servers === undefined && raw.address === undefined) {
    ctx.issues.push({
      path: ["address"],
      message:
        'required when there is no "server" section: host:port of the already-running server to measure (or add server: {builtin: true})',
    });
  }
  if (raw.host !== undefined && raw.address !== undefined && raw.server === undefined) {
    ctx.issues.push({ path: ["host"], message: 'cannot be combined with "address" (the address already names the host)' });
  }

  // builtin client needs connections (with clients:, when any of them is the built-in one)
  const isBuiltin = (c: Loose | undefined) => !c || c.builtin === true || (c.command === undefined && c.builtin !== false);
  const rawClients = asObject(raw.clients);
  const clientIsBuiltin = rawClients ? Object.values(rawClients).some((c) => isBuiltin(asObject(c) ?? {})) : isBuiltin(rawClient);
  if (clientIsBuiltin && ctx.matrixKeys && !ctx.matrixKeys.includes("connections")) {
    ctx.issues.push({
      path: ["matrix"],
      message: 'the built-in client needs a "connections" list in the matrix, e.g. connections: [1, 10, 100]',
    });
  }

  // the built-in client's protocol as a matrix key
  checkProtocolKey(ctx, clientIsBuiltin, rawClient);
  const builtinServer =
    rawServer?.builtin === true || Object.values(asObject(raw.servers) ?? {}).some((s) => asObject(s)?.builtin === true);
  checkNamedClientProtocols(ctx, rawClients, builtinServer);
  checkServerReply(ctx, rawServer, rawClient);

  // builtin server and a `reply` matrix key
  if (rawServer?.builtin === true && ctx.matrix && Array.isArray(ctx.matrix.reply)) {
    ctx.matrix.reply.forEach((v: unknown, i: number) => {
      if (v !== "echo" && v !== "ack") {
        ctx.issues.push({
          path: ["matrix", "reply", i],
          message: `the built-in server's reply mode must be "echo" or "ack", got ${describeValue(v)}`,
        });
      }
    });
    if (rawServer.reply !== undefined) {
      ctx.issues.push({ path: ["server", "reply"], message: 'conflicts with the matrix key "reply"; remove one of them' });
    }
  }

  // CPU lists name CPUs of this machine (where server and client run)
  checkCpus(["server"], rawServer, ctx);
  checkCpus(["client"], rawClient, ctx);
  checkWarmIsLocal(["server"], rawServer, ctx);

  // client.rate: a placeholder must name a matrix key (or a built-in one: it is a number of requests per second)
  if (rawClient && typeof rawClient.rate === "string" && ctx.matrixKeys) {
    const name = rawClient.rate.replace(/^\{|\}$/g, "");
    if (!ctx.matrixKeys.includes(name)) {
      const hint = didYouMean(name, ctx.matrixKeys);
      ctx.issues.push({
        path: ["client", "rate"],
        message: `{${name}} is not a matrix key${hint ? ` (did you mean {${hint}}?)` : ""}; matrix keys: ${ctx.matrixKeys.join(", ")}`,
      });
    } else {
      checkRateValues(name, ctx);
    }
  }

  // a `rate` matrix key alone makes the built-in client open loop: its values are requests per second
  const clientIsBuiltinForRate = !rawClient || (rawClient.command === undefined && rawClient.builtin !== false);
  if (clientIsBuiltinForRate && rawClient?.rate === undefined && ctx.matrixKeys?.includes("rate")) checkRateValues("rate", ctx);

  // remote hosts
  checkHostReferences(raw, ctx.issues);

  // placeholders
  if (rawServer) checkPlaceholders(["server"], rawServer, sectionOf(serverSchema, rawServer), ctx);
  if (rawServer) checkServerPort(["server"], rawServer, sectionOf(serverSchema, rawServer), ctx);
  if (rawClient) checkPlaceholders(["client"], rawClient, sectionOf(clientSchema, rawClient), ctx);

  // servers: and clients: (named-dimensions.ts), each entry checked as server: / client: is
  checkNamedDimensions(ctx, (dim, at, entry) => {
    checkCpus(at, entry, ctx);
    if (dim.key === "server") checkWarmIsLocal(at, entry, ctx);
    if (dim.key === "server") checkServerPort(at, entry, sectionOf(serverSchema, entry), ctx);
    checkPlaceholders(at, entry, sectionOf(dim.key === "server" ? serverSchema : clientSchema, entry), ctx);
  });

  // include / exclude, against the raw lists so this works even when some list has a bad value
  if (ctx.matrix && ctx.matrixKeys) {
    const values: Record<string, MatrixValue[] | undefined> = {};
    for (const k of ctx.matrixKeys) {
      const list = ctx.matrix[k];
      values[k] = Array.isArray(list) ? list.filter((v): v is MatrixValue => typeof v === "string" || typeof v === "number") : undefined;
    }
    checkPatterns("exclude", ctx.matrixKeys, values, ctx);
    checkPatterns("include", ctx.matrixKeys, values, ctx);
  }
}
