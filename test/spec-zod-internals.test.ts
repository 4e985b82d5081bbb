/**
 * spec/locate.ts reads zod's internal schema definitions (`_zod.def`: type, shape, catchall,
 * innerType, in/out, options, element, valueType) to list the keys allowed at a path for
 * "did you mean". A zod upgrade that renames any of them must fail here, loudly, rather than
 * silently lose the suggestions.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { allowedKeysAt, defOf, unwrapSchemas } from "../src/sweep/spec/locate.js";
import { specSchema } from "../src/sweep/spec/schema.js";

describe("zod internals the spec locator relies on", () => {
  it("def.type names the schema kinds it walks", () => {
    expect(defOf(z.strictObject({ a: z.string() })).type).toBe("object");
    expect(defOf(z.string().optional()).type).toBe("optional");
    expect(defOf(z.string().transform((s) => s.length)).type).toBe("pipe");
    expect(defOf(z.union([z.string(), z.number()])).type).toBe("union");
    expect(defOf(z.array(z.string())).type).toBe("array");
    expect(defOf(z.record(z.string(), z.number())).type).toBe("record");
  });

  it("unwraps optional, pipe and union down to the schemas that hold keys", () => {
    const inner = z.strictObject({ a: z.string() });
    const unwrapped = unwrapSchemas(z.union([inner.optional(), z.string()]).transform(String));
    expect(unwrapped.map((s) => defOf(s).type)).toContain("object");
  });

  it("lists the allowed keys at a path of the real spec schema", () => {
    expect(allowedKeysAt(specSchema, [])).toEqual(expect.arrayContaining(["name", "matrix", "server", "client", "profile"]));
    expect(allowedKeysAt(specSchema, ["server"])).toEqual(expect.arrayContaining(["builtin", "command", "ready", "lifetime"]));
    expect(allowedKeysAt(specSchema, ["profile", "strace"])).toEqual(["target", "pass", "attach", "args"]);
    expect(allowedKeysAt(specSchema, ["server", "ready"])).toEqual(["stdout"]);
  });
});
