/**
 * docs/spec.md's key table names every key path the spec schema accepts (read from the zod schema,
 * src/sweep/spec/key-paths.ts), so a new key cannot go undocumented (issue 30, item 4).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { specKeyPaths } from "../src/sweep/spec/key-paths.js";
import { REPO } from "./helpers/sweep.js";

/** The backquoted keys of the first column of every table row (`| \`server.env\`, \`server.cwd\` | …`). */
function documentedKeys(markdown: string): Set<string> {
  const keys = new Set<string>();
  for (const line of markdown.split("\n")) {
    const first = /^\|([^|]*)\|/.exec(line)?.[1];
    if (first) for (const match of first.matchAll(/`([^`]+)`/g)) keys.add(match[1]!);
  }
  return keys;
}

describe("docs/spec.md's key table", () => {
  it("the walk finds the keys of every section, nested and under named entries", () => {
    const paths = specKeyPaths();
    expect(paths).toEqual(expect.arrayContaining(["name", "server.ready_timeout", "client.connect_rate", "redact", "hosts.<name>.ssh"]));
    expect(paths).toEqual(expect.arrayContaining(["profile.bpf.time", "profile.cpu.hz", "matrix.include"]));
    expect(paths.some((p) => p.startsWith("servers."))).toBe(false); // servers.<name> takes what server takes: one row
  });

  it("documents every key path of the schema", () => {
    const documented = documentedKeys(readFileSync(path.join(REPO, "docs/spec.md"), "utf8"));
    expect(specKeyPaths().filter((key) => !documented.has(key))).toEqual([]);
  });
});
