/**
 * Turns zod issues into located spec issues: the key path, the line in the YAML file, and
 * did-you-mean for unknown keys. It reads zod's internal schema definitions (`_zod.def`) to
 * list the keys allowed at a path; test/spec-zod-internals.test.ts fails loudly if a zod
 * upgrade changes them.
 */
import type { z } from "zod";
import { isAlias, isCollection, isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";
import { ROOT_PATH, SpecError, didYouMean, type SpecIssue } from "../errors.js";

export type Seg = string | number;
export interface RawIssue {
  path: Seg[];
  message: string;
  /** Locate the key of the last path segment rather than its value. */
  atKey?: boolean;
  /** For unknown keys: the suggested key (a "required" issue for it is then redundant). */
  suggests?: string;
}

/** Drop `required` issues for a key the user evidently misspelled (already reported as unknown). */
export function dropRedundant(issues: RawIssue[]): RawIssue[] {
  const misspelled = new Set(
    issues.filter((i) => i.suggests !== undefined).map((i) => JSON.stringify([...i.path.slice(0, -1), i.suggests])),
  );
  return issues.filter((i) => !(i.message.startsWith("required") && misspelled.has(JSON.stringify(i.path))));
}

export type AnyDef = { type: string; [k: string]: unknown };
export const defOf = (s: unknown): AnyDef => (s as { _zod: { def: AnyDef } })._zod.def;

/** Schemas reachable from `s` without consuming a path segment (optional, pipe, union, ...). */
export function unwrapSchemas(s: unknown): unknown[] {
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
export function allowedKeysAt(root: unknown, path: readonly Seg[]): string[] {
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

export function unknownKeyIssue(path: Seg[], key: string, allowed: readonly string[]): RawIssue {
  const hint = didYouMean(key, allowed);
  const at = { path: [...path, key], atKey: true };
  if (hint) return { ...at, suggests: hint, message: `unknown key; did you mean "${hint}"?` };
  return { ...at, message: allowed.length ? `unknown key; expected one of: ${allowed.join(", ")}` : "unknown key" };
}

export const TYPE_MISMATCH = new Set(["invalid_type", "invalid_value", "invalid_union"]);

export function fromZod(issues: readonly z.core.$ZodIssue[], root: unknown, prefix: Seg[] = []): RawIssue[] {
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

export class Locator {
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

export function finish(file: string, issues: SpecIssue[]): never {
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
