/**
 * Schema building blocks with user-facing messages ("expected WHAT, got VALUE"), shared by
 * the spec's sections and by the CLI overrides.
 */
import { constants as osConstants } from "node:os";
import { z } from "zod";
import { describeValue, didYouMean } from "../errors.js";
import { DURATION_SYNTAX, checkDuration } from "./duration.js";
import { placeholdersOf, splitCommand } from "../template.js";
import { parseAddress } from "../../process/address.js";
import { CpuListError, formatCpuList, parseCpuList } from "../../placement/cpus.js";

/** Placeholders that exist in every command template, besides the matrix keys. */
export const BUILTIN_PLACEHOLDERS = ["host", "port", "address", "duration", "duration_s", "warmup", "warmup_s"] as const;
export const MATRIX_META_KEYS = ["include", "exclude"];
export const MAX_YAML_ERRORS = 5;
/** Path shown for YAML syntax errors. */
export const YAML_SYNTAX_PATH = "(yaml syntax)";
export const NAME_RE = /^[A-Za-z0-9._-]+$/;
export const MATRIX_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const SIGNALS = Object.keys(osConstants.signals);

export type IssueLike = { readonly input?: unknown };

/** Error option producing `expected WHAT, got VALUE` (or `required; expected WHAT` when missing). */
export function expect(what: string) {
  return {
    error: (iss: IssueLike) =>
      iss.input === undefined ? `required; expected ${what}` : `expected ${what}, got ${describeValue(iss.input)}`,
  };
}

export function intSchema(min: number, max?: number) {
  const what = max !== undefined ? `an integer from ${min} to ${max}` : min === 1 ? "a positive integer" : `an integer >= ${min}`;
  const e = expect(what);
  const s = z.int(e).min(min, e);
  return max === undefined ? s : s.max(max, e);
}

export function stringSchema(what = "a string") {
  const e = expect(what);
  return z.string(e).min(1, e);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const list = values.map((v) => JSON.stringify(v)).join(", ");
  return z.enum(values, {
    error: (iss: IssueLike) => {
      const base = expect(values.length === 1 ? list : `one of ${list}`).error(iss);
      const hint = typeof iss.input === "string" ? didYouMean(iss.input, values) : undefined;
      return hint ? `${base}; did you mean "${hint}"?` : base;
    },
  });
}

export const booleanSchema = z.boolean(expect("true or false"));

export { parseDuration } from "./duration.js";

/** A duration in the spec: seconds as a number (the one parser: ./duration.ts). */
export function durationSchema(positive: boolean) {
  return z.union([z.number(), z.string()], expect(DURATION_SYNTAX)).transform((v, ctx) => {
    const s = checkDuration(v, positive);
    if (typeof s === "number") return s;
    ctx.addIssue({ code: "custom", message: s.message, input: v });
    return z.NEVER;
  });
}

/** `command:` — a string split like a POSIX shell would (no shell is run), or an argv list. */
export const commandSchema = z
  .union([z.string(), z.array(z.union([z.string(), z.number()], expect("a string argument")))], {
    error: (iss: IssueLike) => {
      const base = expect("a command string or a list of arguments").error(iss);
      const isMapping = typeof iss.input === "object" && iss.input !== null && !Array.isArray(iss.input);
      return isMapping ? `${base} (in YAML a value starting with "{" must be quoted: "{port} ...")` : base;
    },
  })
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

export const envSchema = z
  .record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean()], expect("a string or number")).transform(String),
    expect("a mapping of NAME: value"),
  )
  .superRefine((env, ctx) => {
    for (const k of Object.keys(env)) {
      if (k === "" || k.includes("=") || k.includes("\0")) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: 'environment variable names must be non-empty and cannot contain "="',
          params: { at: "key" },
        });
      }
    }
  });

export function regexSchema(needNamedGroup: boolean) {
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

export const signalSchema = z.string(expect("a signal name such as SIGTERM")).superRefine((s, ctx) => {
  if (SIGNALS.includes(s)) return;
  const hint = SIGNALS.includes(`SIG${s.toUpperCase()}`) ? `SIG${s.toUpperCase()}` : didYouMean(s, SIGNALS);
  ctx.addIssue({
    code: "custom",
    input: s,
    message: `expected a signal name such as SIGTERM, SIGINT, SIGKILL, got ${describeValue(s)}${hint ? `; did you mean "${hint}"?` : ""}`,
  });
});

export const addressSchema = z.string(expect("host:port")).superRefine((s, ctx) => {
  if (typeof parseAddress(s) === "string") {
    ctx.addIssue({ code: "custom", input: s, message: `expected host:port (e.g. 127.0.0.1:9000, port 1..65535), got ${describeValue(s)}` });
  }
});

export const hostSchema = z.string(expect("a host name or IP address")).regex(/^\S+$/, expect("a host name or IP address"));

export type Loose = Record<string, unknown>;
export const asObject = (v: unknown): Loose | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Loose) : undefined;

/** host and port of a valid address; undefined for one the schema has already reported. */
export function hostAndPort(address: string): { host: string; port: number } | undefined {
  const parsed = parseAddress(address);
  return typeof parsed === "string" ? undefined : parsed;
}

/** `client.rate`: requests per second in total (open loop), or a `{placeholder}` naming a matrix key. */
export const rateSchema = z
  .union([z.number(), z.string()], expect('requests per second (a number > 0) or a placeholder such as "{rate}"'))
  .superRefine((v, ctx) => {
    const ok = typeof v === "number" ? Number.isFinite(v) && v > 0 : /^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(v);
    if (!ok)
      ctx.addIssue({
        code: "custom",
        input: v,
        message: `expected requests per second (a number > 0) or a placeholder such as "{rate}", got ${describeValue(v)}`,
      });
  });

/** `cpus:` a Linux CPU list ("0", "0-1", "2,4"; a bare number is one CPU), normalised ("0,1" → "0-1"). */
export const cpusSchema = z.union([z.string(), z.int()], expect('a CPU list such as "0", "0-1" or "2,4"')).transform((v, ctx) => {
  try {
    return formatCpuList(parseCpuList(String(v)));
  } catch (error) {
    if (!(error instanceof CpuListError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message, input: v });
    return z.NEVER;
  }
});
