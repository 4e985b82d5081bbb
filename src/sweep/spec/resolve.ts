/** Turns a validated spec into the {@link SweepSpec} the runner uses: defaults, paths, built-in command lines. */
import path from "node:path";
import { cliEntry } from "../../entry.js";
import { builtinClientArgv } from "../../client/argv.js";
import { builtinServerArgv } from "../../server/argv.js";
import { hostAndPort } from "./schema-parts.js";
import { resolveRemote } from "./remote-hosts.js";
import type { CellPattern, ParsedClient, ParsedMatrix, ParsedServer, ParsedSpec } from "./schema.js";
import type { ClientSpec, MatrixValue, ParseOptions, ServerSpec, SpecOverrides, SweepSpec } from "./types.js";

export const DEFAULTS = {
  durationS: 10,
  warmupS: 1,
  cooldownS: 0,
  repeat: 1,
  concurrency: 1,
  host: "127.0.0.1",
  readyTimeoutS: 10,
  stopGraceS: 2,
  timeoutSlackS: 30,
  minServedPct: 100,
} as const;

/** dist/cli/main.js: the built-in client and server run from there. */
export const defaultCliEntry = cliEntry;

export function matrixValuesOf(m: ParsedMatrix, keys: readonly string[]): Record<string, MatrixValue[]> {
  const loose = m as unknown as Record<string, MatrixValue[] | undefined>;
  const values: Record<string, MatrixValue[]> = {};
  for (const k of keys) values[k] = loose[k] ?? [];
  return values;
}

// ---------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------

export function defaultName(file: string): string {
  const base = path.basename(file).replace(/\.ya?ml$/i, "");
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, "-");
  return cleaned || "sweep";
}

/** Normalise include/exclude values to the matrix's own values (so `"4"` in a pattern matches `4`). */
export function normalisePattern(p: CellPattern, values: Record<string, MatrixValue[]>): CellPattern {
  const out: CellPattern = {};
  for (const [k, v] of Object.entries(p)) {
    out[k] = values[k]?.find((x) => String(x) === String(v)) ?? v;
  }
  return out;
}

/** One server definition (`server:` or an entry of `servers:`) with its defaults. */
function resolveServer(
  s: ParsedServer,
  matrixKeys: readonly string[],
  opts: Required<ParseOptions>,
  protocol: string | undefined,
  /** CPU profiling of the server: the built-in server writes Node's perf map so its JavaScript frames are named. */
  perfMap = false,
): ServerSpec {
  const builtin = s.builtin === true;
  return {
    builtin,
    argv: builtin
      ? builtinServerArgv(opts.cliEntry, { matrixKeys, reply: s.reply, protocol, perfMap, workUs: s.work_us })
      : (s.command ?? []),
    env: s.env ?? {},
    ...(s.cwd !== undefined ? { cwd: path.resolve(opts.cwd, s.cwd), cwdAsWritten: s.cwd } : {}),
    ready:
      s.ready === undefined
        ? builtin
          ? { kind: "stdout", pattern: /^listening on / }
          : { kind: "port" }
        : s.ready === "port"
          ? { kind: "port" }
          : { kind: "stdout", pattern: s.ready.stdout },
    readyTimeoutS: s.ready_timeout ?? DEFAULTS.readyTimeoutS,
    stopSignal: (s.stop_signal ?? "SIGTERM") as NodeJS.Signals,
    stopGraceS: s.stop_grace ?? DEFAULTS.stopGraceS,
    // The built-in server on this machine is kept between runs (a fresh start costs two Node start-ups); any other is fresh per run unless asked.
    lifetime: s.lifetime ?? (builtin && s.host === undefined ? "warm" : "cell"),
    ...(s.cpus !== undefined ? { cpus: s.cpus } : {}),
    ...(s.host !== undefined ? { host: s.host } : {}),
  };
}

/** One client definition (`client:` or an entry of `clients:`) with its defaults and the built-in client's command line. */
function resolveClient(c: ParsedClient, matrixKeys: readonly string[], opts: Required<ParseOptions>): ClientSpec {
  const builtin = c.command === undefined;
  return {
    builtin,
    argv: builtin
      ? builtinClientArgv(opts.cliEntry, {
          matrixKeys,
          threads: c.threads,
          protocol: c.protocol,
          length: c.length,
          timeoutS: c.timeout,
          verify: c.verify,
          rate: c.rate ?? (matrixKeys.includes("rate") ? "{rate}" : undefined),
          connectRate: c.connect_rate,
          processes: c.processes,
          sourceAddresses: c.source_addresses,
        })
      : (c.command ?? []),
    env: c.env ?? {},
    ...(c.cwd !== undefined ? { cwd: path.resolve(opts.cwd, c.cwd), cwdAsWritten: c.cwd } : {}),
    parser: builtin ? "json" : (c.parser ?? "json"),
    ...(c.cpus !== undefined ? { cpus: c.cpus } : {}),
    ...(c.regex !== undefined ? { regex: c.regex } : {}),
    verify: c.verify ?? "type",
    ...(builtin && c.protocol !== undefined ? { protocol: c.protocol } : {}),
    ...(builtin && c.length !== undefined ? { length: c.length } : {}),
    ...(c.hosts !== undefined ? { hosts: c.hosts } : {}),
    ...(c.processes !== undefined ? { processes: c.processes } : {}),
  };
}

export function resolveSpec(
  file: string,
  p: ParsedSpec,
  matrixKeys: string[],
  overrides: SpecOverrides,
  opts: Required<ParseOptions>,
): SweepSpec {
  const name = p.name ?? defaultName(file);
  const durationS = overrides.durationS ?? p.duration ?? DEFAULTS.durationS;
  const warmupS = p.warmup ?? DEFAULTS.warmupS;
  const resolvePath = (s: string) => path.resolve(opts.cwd, s);

  const values = matrixValuesOf(p.matrix, matrixKeys);
  const protocol = (p.client ?? Object.values(p.clients ?? {})[0])?.protocol;
  const perfMap = p.profile?.cpu !== undefined && (p.profile.cpu.target ?? "server") === "server";
  const servers = p.servers
    ? Object.fromEntries(Object.entries(p.servers).map(([n, s]) => [n, resolveServer(s, matrixKeys, opts, protocol, perfMap)]))
    : undefined;
  if (servers && !values.server?.length) values.server = Object.keys(servers);
  const matrix: SweepSpec["matrix"] = {
    keys: matrixKeys,
    values,
    include: (p.matrix.include ?? []).map((e) => normalisePattern(e as CellPattern, values)),
    exclude: (p.matrix.exclude ?? []).map((e) => normalisePattern(e as CellPattern, values)),
  };

  const server = p.server ? resolveServer(p.server, matrixKeys, opts, protocol, perfMap) : servers ? Object.values(servers)[0] : undefined;
  const readyTimeoutS = Math.max(0, ...Object.values(servers ?? {}).map((s) => s.readyTimeoutS), server?.readyTimeoutS ?? 0);

  const clients = p.clients
    ? Object.fromEntries(Object.entries(p.clients).map(([n, c]) => [n, resolveClient(c, matrixKeys, opts)]))
    : undefined;
  if (clients && !values.client?.length) values.client = Object.keys(clients);
  const client = p.client || !clients ? resolveClient(p.client ?? {}, matrixKeys, opts) : Object.values(clients)[0]!;

  const csvAsWritten = p.output?.csv ?? `results/${name}.csv`;
  const addr = p.address !== undefined ? hostAndPort(p.address) : undefined;
  // A remote server binds every address by default; clients reach it at its host's address.
  const remote = resolveRemote(p.ssh, p.hosts);
  const serverHost = server?.host !== undefined ? remote?.hosts[server.host] : undefined;
  return {
    file,
    name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    durationS,
    warmupS,
    cooldownS: p.cooldown ?? DEFAULTS.cooldownS,
    repeat: overrides.repeat ?? p.repeat ?? DEFAULTS.repeat,
    timeoutS: p.timeout ?? readyTimeoutS + warmupS + durationS + DEFAULTS.timeoutSlackS,
    concurrency: p.concurrency ?? DEFAULTS.concurrency,
    host: p.host ?? addr?.host ?? (serverHost ? "0.0.0.0" : DEFAULTS.host),
    ...(remote ? { remote } : {}),
    ...(serverHost?.address !== undefined ? { connectHost: serverHost.address } : {}),
    ...(p.address !== undefined ? { address: p.address } : {}),
    matrix,
    ...(server ? { server } : {}),
    ...(servers ? { servers } : {}),
    ...(p.baseline !== undefined ? { baseline: p.baseline } : {}),
    client,
    ...(clients ? { clients } : {}),
    validity: { minServedPct: p.validity?.min_served_pct ?? DEFAULTS.minServedPct },
    output: { csv: resolvePath(csvAsWritten), csvAsWritten, mode: p.output?.mode ?? "append" },
    // the schema applied each profiler's defaults (sweep/profile-kinds.ts)
    ...(p.profile ? { profile: p.profile } : {}),
    redact: p.redact ?? [],
  };
}
