/**
 * Sweep spec: load a YAML file, validate it (reporting every problem at once,
 * each located at a line of the file), and resolve it into a {@link SweepSpec}.
 *
 * Validation happens in two layers:
 *  1. zod schemas (below) — the single source of truth for the shape: allowed
 *     keys, types, ranges, and rules between keys of the same section;
 *  2. cross-section rules ({@link crossChecks}) — placeholders vs matrix keys,
 *     include/exclude vs matrix values, server vs address, builtin client vs
 *     matrix, timeout vs duration.
 * Both layers always run, so one pass reports everything it can.
 */
import { readFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { LineCounter, isAlias, isCollection, isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { ROOT_PATH, SpecError, describeValue, didYouMean, formatPath, type SpecIssue } from "./errors.js";
import { expandCells } from "./matrix.js";
import { TemplateError, placeholdersOf, splitCommand } from "./template.js";
import { formatAddress, parseAddress } from "../process/address.js";

/** host and port of a valid address; undefined for one the schema has already reported. */
function hostAndPort(address: string): { host: string; port: number } | undefined {
  const parsed = parseAddress(address);
  return typeof parsed === "string" ? undefined : parsed;
}

export { SpecError, formatSpecIssue, type SpecIssue } from "./errors.js";

// ---------------------------------------------------------------------------
// Resolved types (consumed by the runner)
// ---------------------------------------------------------------------------

export type MatrixValue = string | number;

export interface CommandTemplate {
  /** argv with `{placeholder}`s; argv[0] is the program. */
  argv: string[];
  /** Extra environment; values may contain `{placeholder}`s too. */
  env: Record<string, string>;
  /** Absolute working directory (resolved against process.cwd()). */
  cwd?: string;
  /** `cwd` as written in the spec, for messages. */
  cwdAsWritten?: string;
}

export interface ServerSpec extends CommandTemplate {
  builtin: boolean;
  ready: { kind: "port" } | { kind: "stdout"; pattern: RegExp };
  readyTimeoutS: number;
  stopSignal: NodeJS.Signals;
  stopGraceS: number;
  lifetime: "cell" | "group";
}

export interface ClientSpec extends CommandTemplate {
  builtin: boolean;
  parser: "json" | "seed-text" | "regex";
  regex?: RegExp;
  /** Built-in client: what makes a reply a response (`type`, the study's rule, or `payload`). */
  verify: "type" | "payload";
}

export interface SweepSpec {
  /** The spec file as given (used in messages). */
  file: string;
  name: string;
  description?: string;
  durationS: number;
  warmupS: number;
  cooldownS: number;
  repeat: number;
  timeoutS: number;
  concurrency: number;
  host: string;
  address?: string;
  matrix: {
    /** Matrix keys in the order written in the file. */
    keys: string[];
    values: Record<string, MatrixValue[]>;
    include: Record<string, MatrixValue>[];
    exclude: Record<string, MatrixValue>[];
  };
  server?: ServerSpec;
  client: ClientSpec;
  /** When a finished run is `degraded` rather than `ok`: the share of requested connections that must be served. */
  validity: { minServedPct: number };
  /** `csv` is absolute; `csvAsWritten` is the path as written (or the default `results/<name>.csv`). */
  output: { csv: string; mode: "append" | "new"; csvAsWritten?: string };
  profile?: {
    strace?: { target: "server" | "client" | "both"; pass: "separate" | "same"; attach: "window" | "launch"; args: string[] };
    perf?: { events: "syscalls" };
  };
}

export interface Cell {
  /** 0-based position in the expanded cell list. */
  index: number;
  /** `connections=100,threads=4` in matrix key order. */
  id: string;
  values: Record<string, MatrixValue>;
}

export interface SpecOverrides {
  repeat?: number;
  durationS?: number;
}

export interface ParseOptions {
  /** Absolute path of the tcpsweep CLI entry used in builtin argv. Default: {@link defaultCliEntry}. */
  cliEntry?: string;
  /** Directory relative paths are resolved against. Default: process.cwd(). */
  cwd?: string;
}

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/** Placeholders that exist in every command template, besides the matrix keys. */
export const BUILTIN_PLACEHOLDERS = ["host", "port", "address", "duration", "duration_s", "warmup", "warmup_s"] as const;
const MATRIX_META_KEYS = ["include", "exclude"];
const MAX_YAML_ERRORS = 5;
/** Path shown for YAML syntax errors. */
export const YAML_SYNTAX_PATH = "(yaml syntax)";
const NAME_RE = /^[A-Za-z0-9._-]+$/;
const MATRIX_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SIGNALS = Object.keys(osConstants.signals);
const DEFAULTS = {
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

/** dist/cli/main.js next to this module's dist/sweep/spec.js. */
export function defaultCliEntry(): string {
  return fileURLToPath(new URL("../cli/main.js", import.meta.url));
}

// ---------------------------------------------------------------------------
// Schema building blocks (all with user-facing messages)
// ---------------------------------------------------------------------------

type IssueLike = { readonly input?: unknown };

/** Error option producing `expected WHAT, got VALUE` (or `required; expected WHAT` when missing). */
function expect(what: string) {
  return {
    error: (iss: IssueLike) =>
      iss.input === undefined ? `required; expected ${what}` : `expected ${what}, got ${describeValue(iss.input)}`,
  };
}

function intSchema(min: number, max?: number) {
  const what =
    max !== undefined ? `an integer from ${min} to ${max}` : min === 1 ? "a positive integer" : `an integer >= ${min}`;
  const e = expect(what);
  const s = z.int(e).min(min, e);
  return max === undefined ? s : s.max(max, e);
}

function stringSchema(what = "a string") {
  const e = expect(what);
  return z.string(e).min(1, e);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const list = values.map((v) => JSON.stringify(v)).join(", ");
  return z.enum(values, {
    error: (iss: IssueLike) => {
      const base = expect(values.length === 1 ? list : `one of ${list}`).error(iss);
      const hint = typeof iss.input === "string" ? didYouMean(iss.input, values) : undefined;
      return hint ? `${base}; did you mean "${hint}"?` : base;
    },
  });
}

const booleanSchema = z.boolean(expect("true or false"));

const DURATION_RE = /^([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*(ms|s|m|h)?$/;
const DURATION_UNIT_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds for "10s", "500ms", "2m", "1.5h", "3" or 3 (sign allowed, range is checked by the schema); undefined if not a duration. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = DURATION_RE.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (DURATION_UNIT_S[m[2] ?? "s"] ?? 1);
  return Number.isFinite(n) ? n : undefined;
}

function durationSchema(positive: boolean) {
  const syntax = `a duration like "10s", "500ms", "2m" or a number of seconds`;
  return z.union([z.number(), z.string()], expect(syntax)).transform((v, ctx) => {
    const s = parseDuration(v);
    if (s === undefined) {
      ctx.addIssue({ code: "custom", message: `expected ${syntax}, got ${describeValue(v)}`, input: v });
      return z.NEVER;
    }
    if (positive ? s <= 0 : s < 0) {
      ctx.addIssue({ code: "custom", message: `expected a duration ${positive ? "> 0" : ">= 0"}, got ${describeValue(v)}`, input: v });
      return z.NEVER;
    }
    return s;
  });
}

/** `command:` — a string split like a POSIX shell would (no shell is run), or an argv list. */
const commandSchema = z
  .union(
    [z.string(), z.array(z.union([z.string(), z.number()], expect("a string argument")))],
    {
      error: (iss: IssueLike) => {
        const base = expect("a command string or a list of arguments").error(iss);
        const isMapping = typeof iss.input === "object" && iss.input !== null && !Array.isArray(iss.input);
        return isMapping ? `${base} (in YAML a value starting with "{" must be quoted: "{port} ...")` : base;
      },
    },
  )
  .transform((v, ctx) => {
    let argv: string[];
    if (typeof v === "string") {
      try {
        argv = splitCommand(v);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: `cannot split command: ${(e as Error).message}`, input: v });
        return z.NEVER;
      }
    } else {
      argv = v.map(String);
    }
    if (argv.length === 0 || argv[0] === "") {
      ctx.addIssue({ code: "custom", message: "expected a command, got an empty one", input: v });
      return z.NEVER;
    }
    let ok = true;
    argv.forEach((arg, i) => {
      try {
        placeholdersOf([arg]);
      } catch (e) {
        ok = false;
        ctx.addIssue({ code: "custom", message: (e as Error).message, input: v, path: typeof v === "string" ? [] : [i] });
      }
    });
    return ok ? argv : z.NEVER;
  });

const envSchema = z
  .record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean()], expect("a string or number")).transform(String),
    expect("a mapping of NAME: value"),
  )
  .superRefine((env, ctx) => {
    for (const k of Object.keys(env)) {
      if (k === "" || k.includes("=") || k.includes("\0")) {
        ctx.addIssue({ code: "custom", path: [k], message: 'environment variable names must be non-empty and cannot contain "="', params: { at: "key" } });
      }
    }
  });

function regexSchema(needNamedGroup: boolean) {
  return z.string(expect("a regular expression (string)")).transform((s, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(s);
    } catch (e) {
      const why = (e as Error).message.replace(/^Invalid regular expression: /, "");
      ctx.addIssue({ code: "custom", message: `invalid regular expression: ${why}`, input: s });
      return z.NEVER;
    }
    if (needNamedGroup && !/\(\?<(?![=!])/.test(s)) {
      ctx.addIssue({ code: "custom", message: "the regex needs at least one named group, e.g. (?<resp_per_s>[0-9.]+)", input: s });
      return z.NEVER;
    }
    return re;
  });
}

const signalSchema = z.string(expect("a signal name such as SIGTERM")).superRefine((s, ctx) => {
  if (SIGNALS.includes(s)) return;
  const hint = SIGNALS.includes(`SIG${s.toUpperCase()}`) ? `SIG${s.toUpperCase()}` : didYouMean(s, SIGNALS);
  ctx.addIssue({
    code: "custom",
    input: s,
    message: `expected a signal name such as SIGTERM, SIGINT, SIGKILL, got ${describeValue(s)}${hint ? `; did you mean "${hint}"?` : ""}`,
  });
});


const addressSchema = z.string(expect("host:port")).superRefine((s, ctx) => {
  if (typeof parseAddress(s) === "string") {
    ctx.addIssue({ code: "custom", input: s, message: `expected host:port (e.g. 127.0.0.1:9000, port 1..65535), got ${describeValue(s)}` });
  }
});

const hostSchema = z.string(expect("a host name or IP address")).regex(/^\S+$/, expect("a host name or IP address"));

// -- matrix ------------------------------------------------------------------

const matrixScalar = z.union([z.number(), z.string()], expect("a string or number")).superRefine((v, ctx) => {
  if (typeof v === "string" && (v === "" || /[,=]/.test(v))) {
    ctx.addIssue({
      code: "custom",
      input: v,
      message: `matrix values must be non-empty and cannot contain "," or "=" (they appear in cell ids like connections=10,threads=2), got ${describeValue(v)}`,
    });
  }
});

function matrixList<T extends z.ZodType<MatrixValue>>(element: T) {
  return z
    .array(element, {
      error: (iss: IssueLike) => {
        const base = expect("a non-empty list of values").error(iss);
        return typeof iss.input === "number" || typeof iss.input === "string"
          ? `${base} (write [${String(iss.input)}] for a single value)`
          : base;
      },
    })
    .min(1, { error: "expected a non-empty list of values, got an empty list" })
    .superRefine(
      (list, ctx) => {
        if (!Array.isArray(list)) return;
        const seen = new Set<string>();
        list.forEach((v: unknown, i) => {
          if (typeof v !== "string" && typeof v !== "number") return;
          const k = String(v);
          if (seen.has(k)) ctx.addIssue({ code: "custom", path: [i], input: v, message: `duplicate value ${describeValue(v)}` });
          seen.add(k);
        });
      },
      { when: () => true },
    );
}

const connectionsValue = intSchema(1, 65000);
const threadsValue = intSchema(1, 1024);
const lengthValue = intSchema(0, 1021);

const cellPattern = z
  .object(
    { connections: connectionsValue.optional(), threads: threadsValue.optional(), length: lengthValue.optional() },
    expect("a mapping of matrix key: value"),
  )
  .catchall(matrixScalar);

const matrixSchema = z
  .object(
    {
      connections: matrixList(connectionsValue).optional(),
      threads: matrixList(threadsValue).optional(),
      length: matrixList(lengthValue).optional(),
      include: z.array(cellPattern, expect("a list of mappings (matrix key: value)")).optional(),
      exclude: z.array(cellPattern, expect("a list of mappings (matrix key: value)")).optional(),
    },
    expect("a mapping of matrix keys to lists of values"),
  )
  .catchall(matrixList(matrixScalar))
  .superRefine(
    (m, ctx) => {
      if (typeof m !== "object" || m === null || Array.isArray(m)) return;
      const keys = Object.keys(m).filter((k) => !MATRIX_META_KEYS.includes(k));
      if (keys.length === 0) {
        ctx.addIssue({ code: "custom", message: "the matrix needs at least one key, e.g. connections: [1, 10, 100]" });
      }
      for (const k of keys) {
        if (!MATRIX_KEY_RE.test(k)) {
          ctx.addIssue({ code: "custom", path: [k], params: { at: "key" }, message: `matrix key ${JSON.stringify(k)} must be a placeholder name (letters, digits, _; not starting with a digit)` });
        } else if ((BUILTIN_PLACEHOLDERS as readonly string[]).includes(k)) {
          ctx.addIssue({ code: "custom", path: [k], params: { at: "key" }, message: `"${k}" is a built-in placeholder and cannot be a matrix key` });
        }
      }
    },
    { when: () => true },
  );

// -- server / client ------------------------------------------------------------

type Loose = Record<string, unknown>;
const asObject = (v: unknown): Loose | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Loose) : undefined;

const serverSchema = z
  .strictObject(
    {
      builtin: booleanSchema.optional(),
      command: commandSchema.optional(),
      env: envSchema.optional(),
      cwd: stringSchema("a directory path").optional(),
      ready: z
        .union(
          [z.literal("port"), z.strictObject({ stdout: regexSchema(false) }, expect('a mapping {stdout: "regex"}'))],
          expect('"port" or {stdout: "regex"}'),
        )
        .optional(),
      ready_timeout: durationSchema(true).optional(),
      stop_signal: signalSchema.optional(),
      stop_grace: durationSchema(false).optional(),
      lifetime: oneOf(["cell", "group"]).optional(),
      reply: oneOf(["echo", "ack"]).optional(),
    },
    expect("a mapping (builtin or command, env, cwd, ready, ...)"),
  )
  .superRefine(
    (value, ctx) => {
      const s = asObject(value);
      if (!s) return;
      const builtin = s.builtin === true;
      if (builtin && s.command !== undefined) {
        ctx.addIssue({ code: "custom", path: ["command"], message: 'cannot be combined with "builtin: true"; use one or the other' });
      }
      if (!builtin && s.command === undefined) {
        ctx.addIssue({ code: "custom", message: 'needs either "builtin: true" or a "command" (omit the whole server section to measure an already-running server at "address")' });
      }
      if (!builtin && s.reply !== undefined) {
        ctx.addIssue({ code: "custom", path: ["reply"], message: 'only applies to the built-in server ("builtin: true")' });
      }
    },
    { when: () => true },
  );

const clientSchema = z
  .strictObject(
    {
      builtin: booleanSchema.optional(),
      threads: intSchema(1).optional(),
      length: lengthValue.optional(),
      timeout: durationSchema(true).optional(),
      verify: oneOf(["type", "payload"]).optional(),
      command: commandSchema.optional(),
      parser: oneOf(["json", "seed-text", "regex"]).optional(),
      regex: regexSchema(true).optional(),
      env: envSchema.optional(),
      cwd: stringSchema("a directory path").optional(),
    },
    expect("a mapping (builtin or command, parser, ...)"),
  )
  .superRefine(
    (value, ctx) => {
      const c = asObject(value);
      if (!c) return;
      const hasCommand = c.command !== undefined;
      if (c.builtin === true && hasCommand) {
        ctx.addIssue({ code: "custom", path: ["command"], message: 'cannot be combined with "builtin: true"; use one or the other' });
      }
      if (c.builtin === false && !hasCommand) {
        ctx.addIssue({ code: "custom", message: 'needs a "command" when "builtin" is false' });
      }
      if (hasCommand && c.builtin !== true) {
        for (const k of ["threads", "length", "timeout", "verify"]) {
          if (c[k] !== undefined) {
            ctx.addIssue({ code: "custom", path: [k], message: `only applies to the built-in client; pass it in the command instead` });
          }
        }
        if (c.parser === undefined) {
          ctx.addIssue({ code: "custom", path: ["parser"], message: 'required with "command": one of "json", "seed-text", "regex"' });
        }
      }
      if (!hasCommand && c.parser !== undefined) {
        ctx.addIssue({ code: "custom", path: ["parser"], message: 'only applies with "command" (the built-in client always reports JSON)' });
      }
      if (c.parser === "regex" && c.regex === undefined) {
        ctx.addIssue({ code: "custom", path: ["regex"], message: 'required when parser is "regex"' });
      }
      if (c.regex !== undefined && c.parser !== "regex") {
        ctx.addIssue({ code: "custom", path: ["regex"], message: 'only used with "parser: regex"' });
      }
    },
    { when: () => true },
  );

const validitySchema = z.strictObject(
  {
    min_served_pct: z
      .number(expect("a percentage from 0 to 100"))
      .min(0, expect("a percentage from 0 to 100"))
      .max(100, expect("a percentage from 0 to 100"))
      .optional(),
  },
  expect("a mapping (min_served_pct)"),
);

const outputSchema = z.strictObject(
  { csv: stringSchema("a file path").optional(), mode: oneOf(["append", "new"]).optional() },
  expect("a mapping (csv, mode)"),
);

const profileSchema = z.strictObject(
  {
    strace: z
      .strictObject(
        {
          target: oneOf(["server", "client", "both"]).optional(),
          pass: oneOf(["separate", "same"]).optional(),
          attach: oneOf(["window", "launch"]).optional(),
          args: z.array(z.string(expect("a string")), expect("a list of strings")).optional(),
        },
        expect("a mapping (target, pass, attach, args)"),
      )
      .optional(),
    perf: z.strictObject({ events: oneOf(["syscalls"]).optional() }, expect("a mapping (events)")).optional(),
  },
  expect("a mapping (strace, perf)"),
);

/** The whole spec file. */
export const specSchema = z.strictObject(
  {
    name: z.string(expect("a name")).regex(NAME_RE, expect("a name of letters, digits, '.', '_' or '-'")).optional(),
    description: z.string(expect("a string")).optional(),
    duration: durationSchema(true).optional(),
    warmup: durationSchema(false).optional(),
    cooldown: durationSchema(false).optional(),
    repeat: intSchema(1).optional(),
    timeout: durationSchema(true).optional(),
    concurrency: intSchema(1).optional(),
    host: hostSchema.optional(),
    address: addressSchema.optional(),
    matrix: matrixSchema,
    server: serverSchema.optional(),
    client: clientSchema.optional(),
    validity: validitySchema.optional(),
    output: outputSchema.optional(),
    profile: profileSchema.optional(),
  },
  expect("a mapping of settings (name, duration, matrix, server, client, ...)"),
);

type ParsedSpec = z.output<typeof specSchema>;
type ParsedServer = z.output<typeof serverSchema>;
type ParsedClient = z.output<typeof clientSchema>;
type CellPattern = Record<string, MatrixValue>;

// ---------------------------------------------------------------------------
// Builtin server / client
// ---------------------------------------------------------------------------

export interface BuiltinServerOptions {
  matrixKeys: readonly string[];
  reply?: "echo" | "ack";
}
export interface BuiltinClientOptions {
  matrixKeys: readonly string[];
  threads?: number;
  length?: number;
  timeoutS?: number;
  verify?: "type" | "payload";
}

/**
 * argv template for tcpsweep's own server/client: `[node, cliEntry, "server"|"client", ...]`.
 * Matrix keys the builtin understands (threads, reply / length) become placeholders.
 */
export function builtinArgv(kind: "server", cliEntry: string, opts: BuiltinServerOptions): string[];
export function builtinArgv(kind: "client", cliEntry: string, opts: BuiltinClientOptions): string[];
export function builtinArgv(
  kind: "server" | "client",
  cliEntry: string,
  opts: BuiltinServerOptions & BuiltinClientOptions,
): string[] {
  const has = (k: string) => opts.matrixKeys.includes(k);
  if (kind === "server") {
    const argv = [process.execPath, cliEntry, "server", "--host", "{host}", "--port", "{port}"];
    if (has("threads")) argv.push("--threads", "{threads}");
    argv.push("--reply", has("reply") ? "{reply}" : (opts.reply ?? "echo"));
    return argv;
  }
  const argv = [process.execPath, cliEntry, "client", "-a", "{address}", "-c", "{connections}", "-t", "{duration_s}", "--warmup", "{warmup_s}", "--json", "--announce-window"];
  if (opts.threads !== undefined) argv.push("--threads", String(opts.threads));
  if (has("length")) argv.push("-l", "{length}");
  else if (opts.length !== undefined) argv.push("-l", String(opts.length));
  if (opts.timeoutS !== undefined) argv.push("--timeout", String(opts.timeoutS));
  if (opts.verify === "payload") argv.push("--verify", "payload");
  return argv;
}

// ---------------------------------------------------------------------------
// Issues: internal form and location
// ---------------------------------------------------------------------------

type Seg = string | number;
interface RawIssue {
  path: Seg[];
  message: string;
  /** Locate the key of the last path segment rather than its value. */
  atKey?: boolean;
  /** For unknown keys: the suggested key (a "required" issue for it is then redundant). */
  suggests?: string;
}

/** Drop `required` issues for a key the user evidently misspelled (already reported as unknown). */
function dropRedundant(issues: RawIssue[]): RawIssue[] {
  const misspelled = new Set(
    issues.filter((i) => i.suggests !== undefined).map((i) => JSON.stringify([...i.path.slice(0, -1), i.suggests])),
  );
  return issues.filter((i) => !(i.message.startsWith("required") && misspelled.has(JSON.stringify(i.path))));
}

type AnyDef = { type: string; [k: string]: unknown };
const defOf = (s: unknown): AnyDef => (s as { _zod: { def: AnyDef } })._zod.def;

/** Schemas reachable from `s` without consuming a path segment (optional, pipe, union, ...). */
function unwrapSchemas(s: unknown): unknown[] {
  const d = defOf(s);
  switch (d.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      return unwrapSchemas(d.innerType);
    case "pipe":
      return [...unwrapSchemas(d.in), ...unwrapSchemas(d.out)];
    case "union":
      return (d.options as unknown[]).flatMap(unwrapSchemas);
    default:
      return [s];
  }
}

/** Allowed keys of the strict object schema reached by `path` from `root` (for did-you-mean). */
function allowedKeysAt(root: unknown, path: readonly Seg[]): string[] {
  let current = unwrapSchemas(root);
  for (const seg of path) {
    const next: unknown[] = [];
    for (const s of current) {
      const d = defOf(s);
      if (d.type === "object") {
        const shape = d.shape as Record<string, unknown>;
        const child = typeof seg === "string" && Object.prototype.hasOwnProperty.call(shape, seg) ? shape[seg] : d.catchall;
        if (child !== undefined) next.push(...unwrapSchemas(child));
      } else if (d.type === "array" && typeof seg === "number") {
        next.push(...unwrapSchemas(d.element));
      } else if (d.type === "record") {
        next.push(...unwrapSchemas(d.valueType));
      }
    }
    current = next;
  }
  for (const s of current) {
    const d = defOf(s);
    if (d.type === "object") return Object.keys(d.shape as object);
  }
  return [];
}

function unknownKeyIssue(path: Seg[], key: string, allowed: readonly string[]): RawIssue {
  const hint = didYouMean(key, allowed);
  const at = { path: [...path, key], atKey: true };
  if (hint) return { ...at, suggests: hint, message: `unknown key; did you mean "${hint}"?` };
  return { ...at, message: allowed.length ? `unknown key; expected one of: ${allowed.join(", ")}` : "unknown key" };
}

const TYPE_MISMATCH = new Set(["invalid_type", "invalid_value", "invalid_union"]);

function fromZod(issues: readonly z.core.$ZodIssue[], root: unknown, prefix: Seg[] = []): RawIssue[] {
  const out: RawIssue[] = [];
  for (const iss of issues) {
    const p = [...prefix, ...iss.path.filter((s): s is Seg => typeof s === "string" || typeof s === "number")];
    if (iss.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(root, p);
      for (const k of iss.keys) out.push(unknownKeyIssue(p, k, allowed));
    } else if (iss.code === "invalid_union" && iss.errors.length) {
      // If exactly one alternative accepted the value's type (a mapping for
      // {stdout: ...}, a list for an argv), its issues are the useful ones.
      const matched = iss.errors.filter((branch) => !branch.some((b) => b.path.length === 0 && TYPE_MISMATCH.has(b.code)));
      if (matched.length === 1 && matched[0]) out.push(...fromZod(matched[0], root, p));
      else out.push({ path: p, message: iss.message });
    } else if (iss.code === "custom" && (iss.params as { at?: string } | undefined)?.at === "key") {
      out.push({ path: p, atKey: true, message: iss.message });
    } else {
      out.push({ path: p, message: iss.message });
    }
  }
  return out;
}

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
  ) {}

  private offsetOf(node: unknown): number | undefined {
    return (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
  }

  /** Offset of the node at `path`, or of its nearest existing ancestor (map values that are collections: their key). */
  offset(path: readonly Seg[], atKey = false): number {
    let node: unknown = this.doc.contents;
    let offset = this.offsetOf(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as Seg;
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) break;
        const keyOffset = this.offsetOf(pair.key);
        if (atKey && i === path.length - 1) return keyOffset ?? offset;
        node = pair.value;
        offset = (isCollection(pair.value) ? keyOffset : this.offsetOf(pair.value)) ?? keyOffset ?? offset;
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg];
        if (item === undefined) break;
        node = item;
        offset = this.offsetOf(item) ?? offset;
      } else {
        break;
      }
    }
    return offset;
  }

  /** 1-based line for an offset. */
  line(offset: number): number {
    return this.lc.linePos(offset).line;
  }
}

function finish(file: string, issues: SpecIssue[]): never {
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const k = `${i.line}\0${i.path}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const order = (i: SpecIssue) => i.line ?? Number.MAX_SAFE_INTEGER;
  unique.sort((a, b) => order(a) - order(b));
  throw new SpecError(unique.length ? unique : [{ file, path: ROOT_PATH, message: "invalid spec" }]);
}

// ---------------------------------------------------------------------------
// Cross-section checks (run on the raw data, whatever zod said)
// ---------------------------------------------------------------------------

interface CrossContext {
  raw: Loose;
  matrixKeys: string[] | undefined;
  matrix: Loose | undefined;
  issues: RawIssue[];
}

/** Parse one section on its own so cross-checks can use it even when other sections are broken. */
function sectionOf<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

function matrixKeysOf(rawMatrix: unknown): string[] | undefined {
  const m = asObject(rawMatrix);
  return m ? Object.keys(m).filter((k) => !MATRIX_META_KEYS.includes(k)) : undefined;
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === "string" ? v : String(v))).join(", ");
}

function checkPlaceholders(section: "server" | "client", rawSection: Loose, parsed: ParsedServer | ParsedClient | undefined, ctx: CrossContext): void {
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
    if (Array.isArray(rawSection.command)) command.forEach((arg, i) => check([arg], [section, "command", i]));
    else check(command, [section, "command"]);
  }
  const env = parsed?.env ?? sectionOf(envSchema, rawSection.env);
  if (env) for (const [k, v] of Object.entries(env)) check([v], [section, "env", k]);
}

/** `values[k]` is undefined when the list for `k` is not a list (already reported). */
function checkPatterns(kind: "include" | "exclude", keys: readonly string[], values: Record<string, MatrixValue[] | undefined>, ctx: CrossContext): void {
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
        message: kind === "exclude" ? "an empty entry would exclude every cell; name at least one matrix key" : `must name every matrix key (${keys.join(", ")})`,
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

function crossChecks(ctx: CrossContext): void {
  const { raw } = ctx;
  const rawServer = asObject(raw.server);
  const rawClient = asObject(raw.client);

  // server vs address vs host
  if (raw.server !== undefined && raw.address !== undefined) {
    ctx.issues.push({ path: ["address"], message: 'cannot be used together with "server"; address is for measuring an already-running server' });
  }
  if (raw.server === undefined && raw.address === undefined) {
    ctx.issues.push({ path: ["address"], message: 'required when there is no "server" section: host:port of the already-running server to measure (or add server: {builtin: true})' });
  }
  if (raw.host !== undefined && raw.address !== undefined && raw.server === undefined) {
    ctx.issues.push({ path: ["host"], message: 'cannot be combined with "address" (the address already names the host)' });
  }

  // builtin client needs connections
  const clientIsBuiltin = !rawClient || rawClient.builtin === true || (rawClient.command === undefined && rawClient.builtin !== false);
  if (clientIsBuiltin && ctx.matrixKeys && !ctx.matrixKeys.includes("connections")) {
    ctx.issues.push({ path: ["matrix"], message: 'the built-in client needs a "connections" list in the matrix, e.g. connections: [1, 10, 100]' });
  }

  // builtin server and a `reply` matrix key
  if (rawServer?.builtin === true && ctx.matrix && Array.isArray(ctx.matrix.reply)) {
    ctx.matrix.reply.forEach((v: unknown, i: number) => {
      if (v !== "echo" && v !== "ack") {
        ctx.issues.push({ path: ["matrix", "reply", i], message: `the built-in server's reply mode must be "echo" or "ack", got ${describeValue(v)}` });
      }
    });
    if (rawServer.reply !== undefined) {
      ctx.issues.push({ path: ["server", "reply"], message: 'conflicts with the matrix key "reply"; remove one of them' });
    }
  }

  // placeholders
  if (rawServer) checkPlaceholders("server", rawServer, sectionOf(serverSchema, rawServer), ctx);
  if (rawClient) checkPlaceholders("client", rawClient, sectionOf(clientSchema, rawClient), ctx);

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

type ParsedMatrix = z.output<typeof matrixSchema>;

function matrixValuesOf(m: ParsedMatrix, keys: readonly string[]): Record<string, MatrixValue[]> {
  const loose = m as unknown as Record<string, MatrixValue[] | undefined>;
  const values: Record<string, MatrixValue[]> = {};
  for (const k of keys) values[k] = loose[k] ?? [];
  return values;
}

// ---------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------

function defaultName(file: string): string {
  const base = path.basename(file).replace(/\.ya?ml$/i, "");
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, "-");
  return cleaned || "sweep";
}

/** Normalise include/exclude values to the matrix's own values (so `"4"` in a pattern matches `4`). */
function normalisePattern(p: CellPattern, values: Record<string, MatrixValue[]>): CellPattern {
  const out: CellPattern = {};
  for (const [k, v] of Object.entries(p)) {
    out[k] = values[k]?.find((x) => String(x) === String(v)) ?? v;
  }
  return out;
}

function resolveSpec(file: string, p: ParsedSpec, matrixKeys: string[], overrides: SpecOverrides, opts: Required<ParseOptions>): SweepSpec {
  const name = p.name ?? defaultName(file);
  const durationS = overrides.durationS ?? p.duration ?? DEFAULTS.durationS;
  const warmupS = p.warmup ?? DEFAULTS.warmupS;
  const resolvePath = (s: string) => path.resolve(opts.cwd, s);

  const values = matrixValuesOf(p.matrix, matrixKeys);
  const matrix: SweepSpec["matrix"] = {
    keys: matrixKeys,
    values,
    include: (p.matrix.include ?? []).map((e) => normalisePattern(e as CellPattern, values)),
    exclude: (p.matrix.exclude ?? []).map((e) => normalisePattern(e as CellPattern, values)),
  };

  let server: ServerSpec | undefined;
  if (p.server) {
    const s = p.server;
    const builtin = s.builtin === true;
    server = {
      builtin,
      argv: builtin ? builtinArgv("server", opts.cliEntry, { matrixKeys, reply: s.reply }) : (s.command ?? []),
      env: s.env ?? {},
      ...(s.cwd !== undefined ? { cwd: resolvePath(s.cwd), cwdAsWritten: s.cwd } : {}),
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
      lifetime: s.lifetime ?? "cell",
    };
  }

  const c = p.client ?? {};
  const clientBuiltin = c.command === undefined;
  const client: ClientSpec = {
    builtin: clientBuiltin,
    argv: clientBuiltin
      ? builtinArgv("client", opts.cliEntry, { matrixKeys, threads: c.threads, length: c.length, timeoutS: c.timeout, verify: c.verify })
      : (c.command ?? []),
    env: c.env ?? {},
    ...(c.cwd !== undefined ? { cwd: resolvePath(c.cwd), cwdAsWritten: c.cwd } : {}),
    parser: clientBuiltin ? "json" : (c.parser ?? "json"),
    ...(c.regex !== undefined ? { regex: c.regex } : {}),
    verify: c.verify ?? "type",
  };

  const csvAsWritten = p.output?.csv ?? `results/${name}.csv`;
  let profile: SweepSpec["profile"];
  if (p.profile) {
    profile = {};
    if (p.profile.strace) {
      const st = p.profile.strace;
      profile.strace = { target: st.target ?? "server", pass: st.pass ?? "separate", attach: st.attach ?? "window", args: st.args ?? [] };
    }
    if (p.profile.perf) profile.perf = { events: p.profile.perf.events ?? "syscalls" };
  }

  const addr = p.address !== undefined ? hostAndPort(p.address) : undefined;
  return {
    file,
    name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    durationS,
    warmupS,
    cooldownS: p.cooldown ?? DEFAULTS.cooldownS,
    repeat: overrides.repeat ?? p.repeat ?? DEFAULTS.repeat,
    timeoutS: p.timeout ?? (server?.readyTimeoutS ?? 0) + warmupS + durationS + DEFAULTS.timeoutSlackS,
    concurrency: p.concurrency ?? DEFAULTS.concurrency,
    host: p.host ?? addr?.host ?? DEFAULTS.host,
    ...(p.address !== undefined ? { address: p.address } : {}),
    matrix,
    ...(server ? { server } : {}),
    client,
    validity: { minServedPct: p.validity?.min_served_pct ?? DEFAULTS.minServedPct },
    output: { csv: resolvePath(csvAsWritten), csvAsWritten, mode: p.output?.mode ?? "append" },
    ...(profile ? { profile } : {}),
  };
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/** Validate CLI overrides with the same rules as the spec keys. */
function overrideIssues(file: string, overrides: SpecOverrides): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (overrides.repeat !== undefined) {
    const r = intSchema(1).safeParse(overrides.repeat);
    if (!r.success) for (const i of r.error.issues) out.push({ file, path: "--repeat", message: i.message });
  }
  if (overrides.durationS !== undefined) {
    const r = durationSchema(true).safeParse(overrides.durationS);
    if (!r.success) for (const i of r.error.issues) out.push({ file, path: "--duration", message: i.message });
  }
  return out;
}

/** Parse and validate spec text. `file` is only used for messages and the default name. Throws {@link SpecError}. */
export function parseSpecText(text: string, file: string, overrides: SpecOverrides = {}, options: ParseOptions = {}): SweepSpec {
  const opts: Required<ParseOptions> = { cliEntry: options.cliEntry ?? defaultCliEntry(), cwd: options.cwd ?? process.cwd() };
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true });

  if (doc.errors.length) {
    // One real mistake often cascades into many parse errors; the first few are the useful ones.
    const shown = doc.errors.slice(0, MAX_YAML_ERRORS).map((e): SpecIssue => {
      const pos = lc.linePos(e.pos[0]);
      const msg = e.message.split("\n")[0] ?? e.message;
      const lineText = (text.split("\n")[pos.line - 1] ?? "").replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, "");
      const hint = /\{[A-Za-z_][A-Za-z0-9_]*\}/.test(lineText)
        ? '; hint: quote strings containing {placeholders}, e.g. command: "./srv -p {port}"'
        : "";
      return { file, line: pos.line, column: pos.col, path: YAML_SYNTAX_PATH, message: `${msg} (column ${pos.col})${hint}` };
    });
    const more = doc.errors.length - shown.length;
    if (more > 0) shown.push({ file, path: YAML_SYNTAX_PATH, message: `${more} more YAML error${more > 1 ? "s" : ""} not shown` });
    finish(file, shown);
  }

  const raw: unknown = doc.toJS({ maxAliasCount: 1000 });
  const locator = new Locator(doc, lc);
  const located = (issues: RawIssue[]): SpecIssue[] =>
    issues
      .map((i) => ({ i, offset: locator.offset(i.path, i.atKey) }))
      .sort((a, b) => a.offset - b.offset)
      .map(({ i, offset }) => ({ file, line: locator.line(offset), path: formatPath(i.path), message: i.message }));

  const result = specSchema.safeParse(raw);
  const issues: RawIssue[] = result.success ? [] : fromZod(result.error.issues, specSchema);

  const rawObj = asObject(raw);
  const matrixKeys = rawObj ? matrixKeysOf(rawObj.matrix) : undefined;
  if (rawObj) {
    crossChecks({ raw: rawObj, matrix: asObject(rawObj.matrix), matrixKeys, issues });
  }

  const all = [...located(dropRedundant(issues)), ...overrideIssues(file, overrides)];
  if (all.length || !result.success || !matrixKeys) finish(file, all);

  const spec = resolveSpec(file, result.data, matrixKeys, overrides, opts);

  // Checks that need resolved numbers.
  const late: RawIssue[] = [];
  const minRun = spec.warmupS + spec.durationS;
  if (spec.timeoutS <= minRun) {
    late.push({ path: ["timeout"], message: `${spec.timeoutS}s is not longer than warmup + duration (${minRun}s); every run would time out` });
  }
  if (expandCells(spec).length === 0) {
    late.push({ path: ["matrix", "exclude"], message: "excludes every cell of the matrix; nothing would run" });
  }
  if (late.length) finish(file, located(late));
  return spec;
}

/** Read, parse and validate a spec file. Throws {@link SpecError} (also for an unreadable file). */
export async function loadSpec(file: string, overrides: SpecOverrides = {}, options: ParseOptions = {}): Promise<SweepSpec> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "file not found" : err.code === "EISDIR" ? "is a directory, not a file" : err.message;
    throw new SpecError([{ file, path: ROOT_PATH, message: `cannot read spec: ${why}` }]);
  }
  return parseSpecText(text, file, overrides, options);
}

/**
 * Values for every placeholder of one cell run: the cell's matrix values plus
 * host, port, address (host:port, IPv6 hosts bracketed), duration / warmup (whole
 * seconds rounded up; duration at least 1) and duration_s / warmup_s (exact seconds).
 * With `address` in the spec, host and port come from it and `port` is ignored.
 */
export function cellTemplateValues(spec: SweepSpec, cell: Pick<Cell, "values">, port?: number): Record<string, string | number> {
  let host = spec.host;
  let p = port;
  const addr = spec.address !== undefined ? hostAndPort(spec.address) : undefined;
  if (addr) {
    host = addr.host;
    p = addr.port;
  }
  if (p === undefined) throw new Error("cellTemplateValues: a port is needed when the spec has no address");
  return {
    ...cell.values,
    host,
    port: p,
    address: formatAddress(host, p),
    duration: Math.max(1, Math.ceil(spec.durationS)),
    duration_s: spec.durationS,
    warmup: Math.ceil(spec.warmupS),
    warmup_s: spec.warmupS,
  };
}

// Re-exported for callers that surface template problems themselves.
export { TemplateError };
