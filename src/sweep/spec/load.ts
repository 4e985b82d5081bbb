/**
 * Sweep spec entry points: load a YAML file, validate it (every problem at once, each located
 * at a line of the file) and resolve it.
 *
 * Validation happens in two layers, both always run:
 *  1. zod schemas (schema.ts): allowed keys, types, ranges, rules within a section;
 *  2. cross-section rules (cross-checks.ts): placeholders vs matrix keys, include/exclude vs
 *     matrix values, server vs address, builtin client vs matrix, timeout vs duration.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, isPair, isScalar, parseDocument, visit, type Document } from "yaml";
import { ROOT_PATH, SpecError, formatPath, type SpecIssue } from "../errors.js";
import { MAX_CELLS, expandCells, matrixCellCount } from "../matrix.js";
import { formatAddress } from "../../process/address.js";
import { readOnlineCpus } from "../../placement/cpus.js";
import { crossChecks, matrixKeysOf } from "./cross-checks.js";
import { cellLengthIssues } from "./protocol-checks.js";
import { Locator, dropRedundant, finish, fromZod, type RawIssue } from "./locate.js";
import { defaultCliEntry, resolveSpec } from "./resolve.js";
import { withNamedKeys } from "./named-dimensions.js";
import { unusedMatrixKeyIssues } from "./unused-keys.js";
import { specSchema } from "./schema.js";
import { MAX_YAML_ERRORS, YAML_SYNTAX_PATH, asObject, durationSchema, hostAndPort, intSchema } from "./schema-parts.js";
import { applySetOverrides, isSetIssue, setIssue } from "./set-override.js";
import type { Cell, ParseOptions, SpecOverrides, SweepSpec } from "./types.js";

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

/** How many alias expansions a spec may use (yaml's guard against alias bombs). */
const MAX_ALIAS_COUNT = 1000;

/** Keys that name JavaScript's object machinery: as spec keys they would vanish or corrupt lookups. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Every mapping key of the document that is a forbidden name, located; also inside hosts and matrix. */
function unsafeYaml(doc: Document, lc: LineCounter, file: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  visit(doc, {
    Pair(_key, pair, path) {
      const key = isScalar(pair.key) ? pair.key : undefined;
      if (key && typeof key.value === "string" && FORBIDDEN_KEYS.has(key.value)) {
        const keys = path.flatMap((node) => (isPair(node) && isScalar(node.key) ? [String(node.key.value)] : []));
        issues.push({
          file,
          ...(key.range ? { line: lc.linePos(key.range[0]).line } : {}),
          path: [...keys, key.value].join(".") || ROOT_PATH,
          message: `"${key.value}" cannot be a key (it names JavaScript's object prototype); rename it`,
        });
      }
    },
  });
  return issues;
}

/** Parse and validate spec text. `file` is only used for messages and the default name. Throws {@link SpecError}. */
export function parseSpecText(text: string, file: string, overrides: SpecOverrides = {}, options: ParseOptions = {}): SweepSpec {
  const opts: Required<ParseOptions> = {
    cliEntry: options.cliEntry ?? defaultCliEntry(),
    cwd: options.cwd ?? process.cwd(),
    onlineCpus: options.onlineCpus ?? readOnlineCpus(),
  };
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

  const unsafe = unsafeYaml(doc, lc, file);
  if (unsafe.length > 0) finish(file, unsafe);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml refuses an alias bomb (aliases that expand to millions of nodes) with a ReferenceError.
    const first = text.search(/\*[^\s,\]}]+/);
    finish(file, [
      {
        file,
        ...(first >= 0 ? { line: lc.linePos(first).line } : {}),
        path: YAML_SYNTAX_PATH,
        message: `${(error as Error).message}: the aliases (*name) expand to more than ${MAX_ALIAS_COUNT} nodes; write the values out instead`,
      },
    ]);
  }
  const setProblems = applySetOverrides(raw, overrides.set ?? [], file);
  const setKeys = (overrides.set ?? []).map((text) => text.slice(0, text.indexOf("=")).trim());
  const locator = new Locator(doc, lc);
  const located = (issues: RawIssue[]): SpecIssue[] =>
    issues
      .map((i) => ({ i, offset: locator.offset(i.path, i.atKey) }))
      .sort((a, b) => a.offset - b.offset)
      .map(({ i, offset }) => ({ file, line: locator.line(offset), path: formatPath(i.path), message: i.message }));

  const result = specSchema.safeParse(raw);
  const issues: RawIssue[] = result.success ? [] : fromZod(result.error.issues, specSchema);

  const rawObj = asObject(raw);
  const matrixKeys = rawObj ? withNamedKeys(rawObj, matrixKeysOf(rawObj.matrix)) : undefined;
  if (rawObj) {
    crossChecks({ raw: rawObj, matrix: asObject(rawObj.matrix), matrixKeys, issues, onlineCpus: opts.onlineCpus });
  }

  const kept = dropRedundant(issues);
  const fromSet = kept.filter((i) => isSetIssue(i, setKeys));
  const all = [
    ...located(kept.filter((i) => !isSetIssue(i, setKeys))),
    ...fromSet.map((i) => setIssue(i, file)),
    ...setProblems,
    ...overrideIssues(file, overrides),
  ];
  if (all.length || !result.success || !matrixKeys) finish(file, all);

  const spec = resolveSpec(file, result.data, matrixKeys, overrides, opts);

  // Checks that need resolved numbers.
  const late: RawIssue[] = [];
  late.push(...unusedMatrixKeyIssues(spec));
  const minRun = spec.warmupS + spec.durationS;
  if (spec.timeoutS <= minRun) {
    late.push({
      path: ["timeout"],
      message: `${spec.timeoutS}s is not longer than warmup + duration (${minRun}s); every run would time out`,
    });
  }
  const count = matrixCellCount(spec);
  if (count > MAX_CELLS) {
    late.push({
      path: ["matrix"],
      message: `expands to ${count} cells, more than the ${MAX_CELLS} a sweep may have; split it into several specs or use fewer values`,
    });
    finish(file, located(late));
  }
  const cells = expandCells(spec);
  if (cells.length === 0) {
    late.push({ path: ["matrix", "exclude"], message: "excludes every cell of the matrix; nothing would run" });
  }
  late.push(...cellLengthIssues(spec, cells));
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
    address: formatAddress(addr ? host : (spec.connectHost ?? host), p),
    duration: Math.max(1, Math.ceil(spec.durationS)),
    duration_s: spec.durationS,
    warmup: Math.ceil(spec.warmupS),
    warmup_s: spec.warmupS,
  };
}
