/**
 * Every key path the spec schema accepts (`server.ready_timeout`, `hosts.<name>.ssh`, …), read from
 * the zod schema itself, so docs/spec.md's key table is checked against the schema and cannot fall
 * behind it (test/spec-keys.test.ts; `node scripts/spec-keys.mjs` prints the list).
 */
import type { z } from "zod";
import { specSchema } from "./schema.js";

/** The parts of zod's internal definition this walk reads (zod 4: `schema._zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** A name the user chooses (a host, a server), shown as `<name>` in a path. */
export const NAME_SEGMENT = "<name>";

function walk(schema: z.ZodType, at: string, seen: Set<z.ZodType>, out: Set<string>): void {
  const def = defOf(schema);
  const inner = [def.innerType, def.in, def.out, def.left, def.right, ...(def.options ?? [])].filter((s): s is z.ZodType => !!s);
  for (const s of inner) walk(s, at, seen, out);
  if (def.type === "object" && def.shape) {
    if (seen.has(schema)) return; // the same section again (servers.<name> is a server): documented once
    seen.add(schema);
    for (const [key, value] of Object.entries(def.shape)) {
      const path = at ? `${at}.${key}` : key;
      out.add(path);
      walk(value, path, seen, out);
    }
  }
  if (def.type === "record" && def.valueType) walk(def.valueType, `${at}.${NAME_SEGMENT}`, seen, out);
}

/** Key paths in schema order, each once. */
export function specKeyPaths(schema: z.ZodType = specSchema): string[] {
  const out = new Set<string>();
  walk(schema, "", new Set(), out);
  return [...out];
}
