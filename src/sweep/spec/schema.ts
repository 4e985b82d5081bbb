/** The spec file's shape as zod schemas: the single source of truth for keys, types, ranges and same-section rules. */
import { z } from "zod";
import { describeValue } from "../errors.js";
import type { MatrixValue } from "./types.js";
import {
  BUILTIN_PLACEHOLDERS,
  MATRIX_KEY_RE,
  MATRIX_META_KEYS,
  NAME_RE,
  addressSchema,
  asObject,
  booleanSchema,
  commandSchema,
  cpusSchema,
  durationSchema,
  envSchema,
  expect,
  hostSchema,
  intSchema,
  oneOf,
  rateSchema,
  regexSchema,
  signalSchema,
  stringSchema,
  type IssueLike,
} from "./schema-parts.js";
import { ANY_LENGTH, PROTOCOL_NAMES } from "../../protocol/index.js";
import { isSecretName } from "../../untrusted/redact.js";
import { regexGroupNames, reservedGroupNames } from "../client-output.js";
import { profileSectionSchema } from "../profile-kinds.js";
import { clientHostsSchema, hostsSchema, serverHostSchema, sshSchema } from "./remote-hosts.js";

// -- matrix ------------------------------------------------------------------

export const matrixScalar = z.union([z.number(), z.string()], expect("a string or number")).superRefine((v, ctx) => {
  if (typeof v === "string" && (v === "" || /[,=]/.test(v))) {
    ctx.addIssue({
      code: "custom",
      input: v,
      message: `matrix values must be non-empty and cannot contain "," or "=" (they appear in cell ids like connections=10,threads=2), got ${describeValue(v)}`,
    });
  }
  if (typeof v === "string" && v.includes("\0")) {
    // A command argument or environment value cannot hold a NUL: the run would fail after the header is written.
    ctx.addIssue({ code: "custom", input: v, message: `matrix values cannot contain a NUL character (\\0), got ${describeValue(v)}` });
  }
});

export function matrixList<T extends z.ZodType<MatrixValue>>(element: T) {
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

export const connectionsValue = intSchema(1, 65000);
export const threadsValue = intSchema(1, 1024);
/** Any protocol's range here; whether a length fits the protocol of its cell is checked once cells are known (protocol-checks.ts). */
export const lengthValue = intSchema(ANY_LENGTH.min, ANY_LENGTH.max);

export const cellPattern = z
  .object(
    { connections: connectionsValue.optional(), threads: threadsValue.optional(), length: lengthValue.optional() },
    expect("a mapping of matrix key: value"),
  )
  .catchall(matrixScalar);

export const matrixSchema = z
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
          ctx.addIssue({
            code: "custom",
            path: [k],
            params: { at: "key" },
            message: `matrix key ${JSON.stringify(k)} must be a placeholder name (letters, digits, _; not starting with a digit)`,
          });
        } else if ((BUILTIN_PLACEHOLDERS as readonly string[]).includes(k)) {
          ctx.addIssue({
            code: "custom",
            path: [k],
            params: { at: "key" },
            message: `"${k}" is a built-in placeholder and cannot be a matrix key`,
          });
        } else if (isSecretName(k)) {
          ctx.addIssue({
            code: "custom",
            path: [k],
            params: { at: "key" },
            message: `matrix key "${k}" is named like a secret, and matrix values are written in clear to the CSV, meta.json and file names: pass a secret through server.env / client.env (redacted), or rename the key`,
          });
        }
      }
    },
    { when: () => true },
  );

// -- server / client ------------------------------------------------------------

export const serverSchema = z
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
      lifetime: oneOf(["cell", "warm", "group"]).optional(),
      reply: oneOf(["echo", "ack"]).optional(),
      work_us: intSchema(0, 1_000_000).optional(),
      cpus: cpusSchema.optional(),
      // remote hosts (remote-hosts.ts)
      host: serverHostSchema.optional(),
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
        ctx.addIssue({
          code: "custom",
          message:
            'needs either "builtin: true" or a "command" (omit the whole server section to measure an already-running server at "address")',
        });
      }
      for (const key of ["reply", "work_us"] as const) {
        if (!builtin && s[key] !== undefined) {
          ctx.addIssue({ code: "custom", path: [key], message: 'only applies to the built-in server ("builtin: true")' });
        }
      }
    },
    { when: () => true },
  );

export const clientSchema = z
  .strictObject(
    {
      builtin: booleanSchema.optional(),
      threads: intSchema(1).optional(),
      protocol: oneOf(PROTOCOL_NAMES).optional(),
      length: lengthValue.optional(),
      timeout: durationSchema(true).optional(),
      verify: oneOf(["type", "payload"]).optional(),
      rate: rateSchema.optional(),
      // connections past one process's limits (client/spread.ts); omitted = automatic
      connect_rate: z
        .number(expect("connections per second (a number > 0)"))
        .positive(expect("connections per second (a number > 0)"))
        .optional(),
      processes: intSchema(1, 1024).optional(),
      source_addresses: intSchema(1, 254).optional(),
      command: commandSchema.optional(),
      parser: oneOf(["json", "seed-text", "regex"]).optional(),
      regex: regexSchema(true).optional(),
      env: envSchema.optional(),
      cwd: stringSchema("a directory path").optional(),
      cpus: cpusSchema.optional(),
      // remote hosts (remote-hosts.ts)
      hosts: clientHostsSchema.optional(),
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
        for (const k of ["threads", "protocol", "length", "timeout", "verify", "rate", "connect_rate", "processes", "source_addresses"]) {
          if (c[k] !== undefined) {
            ctx.addIssue({ code: "custom", path: [k], message: `only applies to the built-in client; pass it in the command instead` });
          }
        }
        if (c.parser === undefined) {
          ctx.addIssue({ code: "custom", path: ["parser"], message: 'required with "command": one of "json", "seed-text", "regex"' });
        }
      }
      if (!hasCommand && c.parser !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["parser"],
          message: 'only applies with "command" (the built-in client always reports JSON)',
        });
      }
      if (c.parser === "regex" && c.regex === undefined) {
        ctx.addIssue({ code: "custom", path: ["regex"], message: 'required when parser is "regex"' });
      }
      if (c.regex instanceof RegExp) {
        const reserved = reservedGroupNames(regexGroupNames(c.regex.source));
        if (reserved.length > 0) {
          ctx.addIssue({
            code: "custom",
            path: ["regex"],
            message: `named group${reserved.length > 1 ? "s" : ""} ${reserved.map((n) => `"${n}"`).join(", ")} would overwrite a column tcpsweep writes itself; rename ${reserved.length > 1 ? "them" : "it"} (a group may fill only the client's figures, e.g. resp_per_s, requests)`,
          });
        }
      }
      if (c.regex !== undefined && c.parser !== "regex") {
        ctx.addIssue({ code: "custom", path: ["regex"], message: 'only used with "parser: regex"' });
      }
    },
    { when: () => true },
  );

export const validitySchema = z.strictObject(
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

export const profileSchema = profileSectionSchema();

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
    // named servers compared side by side (named-dimensions.ts)
    servers: z
      .record(
        z.string().regex(NAME_RE, expect("a server name of letters, digits, '.', '_' or '-'")),
        serverSchema,
        expect("a mapping of server name: server definition"),
      )
      .optional(),
    baseline: z.string(expect("the name of a server under servers: (or of a client under clients:)")).optional(),
    client: clientSchema.optional(),
    // named load clients compared side by side, like servers:
    clients: z
      .record(
        z.string().regex(NAME_RE, expect("a client name of letters, digits, '.', '_' or '-'")),
        clientSchema,
        expect("a mapping of client name: client definition"),
      )
      .optional(),
    validity: validitySchema.optional(),
    output: outputSchema.optional(),
    profile: profileSchema.optional(),
    // names whose values are secrets, beyond TOKEN, SECRET, PASS... (docs/security.md)
    redact: z
      .array(
        z.string(expect("a name")).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, expect("a variable name (letters, digits, _)")),
        expect("a list of names"),
      )
      .optional(),
    // remote hosts (remote-hosts.ts)
    ssh: sshSchema.optional(),
    hosts: hostsSchema.optional(),
  },
  expect("a mapping of settings (name, duration, matrix, server, client, ...)"),
);

export type ParsedSpec = z.output<typeof specSchema>;
export type ParsedServer = z.output<typeof serverSchema>;
export type ParsedClient = z.output<typeof clientSchema>;
export type CellPattern = Record<string, MatrixValue>;
export type ParsedMatrix = z.output<typeof matrixSchema>;
