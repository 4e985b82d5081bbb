/**
 * Issue 33, class 6: a matrix above MAX_CELLS is refused at the spec (exit 2), naming its count,
 * before anything is expanded (5 keys × 100 values once took 5.7 GB). Speed is checked by the
 * benchmark, not here.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MAX_CELLS, expandCells } from "../src/sweep/matrix.js";
import { SpecError, parseSpecText } from "../src/sweep/spec.js";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const SPEC_OPTIONS = { cliEntry: "/opt/tcpsweep/dist/cli/main.js", cwd: "/tmp", onlineCpus: [0, 1] };
const values = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => i + 1));

function specText(sizes: number[], include = 0): string {
  const keys = sizes.map((n, i) => `  k${i}: ${values(n)}`).join("\n");
  const includes =
    include > 0 ? `\n  include:\n${Array.from({ length: include }, (_, i) => `    - { connections: 1, k0: ${1000 + i} }`).join("\n")}` : "";
  // The client reads every key (a key nothing reads is refused on its own).
  const command = ["cli", ...sizes.map((_, i) => `{k${i}}`)].join(" ");
  return `name: t\naddress: 127.0.0.1:9\nmatrix:\n  connections: [1]\n${keys}${includes}\nclient: { command: "${command}", parser: json }\n`;
}

describe("the matrix's cell limit", () => {
  it("refuses a matrix above MAX_CELLS with its count and line, whatever its shape", () => {
    for (const [sizes, include, count] of [
      [[100, 100, 100, 100, 100], 0, 10_000_000_000],
      [[MAX_CELLS + 1], 0, MAX_CELLS + 1],
      [[MAX_CELLS], 1, MAX_CELLS + 1],
      [[7, 7, 7, 7, 7], 0, 16_807],
    ] as const) {
      const text = specText([...sizes], include);
      if (count <= MAX_CELLS) {
        expect(expandCells(parseSpecText(text, "m.yaml", SPEC_OPTIONS))).toHaveLength(count);
        continue;
      }
      expect(() => parseSpecText(text, "m.yaml", SPEC_OPTIONS), String(count)).toThrow(SpecError);
      expect(() => parseSpecText(text, "m.yaml", SPEC_OPTIONS)).toThrow(
        new RegExp(`m\\.yaml:3 matrix: expands to ${count} cells, more than the ${MAX_CELLS}`),
      );
    }
  });

  it("run --dry-run exits 2 naming the count", async () => {
    const dir = makeTempDir();
    const spec = writeSpec(dir, specText([100, 100, 100, 100, 100]));
    const result = await runCli(["run", spec, "--dry-run"], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain("expands to 10000000000 cells");
  }, 60_000);
});

describe("--set with a number YAML reads but a person did not write", () => {
  it("refuses 0x10, 0o20, 0b1 and .inf for connections instead of reading another number", async () => {
    const { parseSetFlag } = await import("../src/sweep/spec/set-override.js");
    for (const text of ["0x10", "0o20", ".inf", "1_000"])
      expect(parseSetFlag(`connections=${text}`), text).toEqual(["connections", [text]]);
    expect(parseSetFlag("connections=16,1e3")).toEqual(["connections", [16, 1000]]);
    const dir = makeTempDir();
    const spec = writeSpec(dir, specText([2]));
    const result = await runCli(["run", spec, "--dry-run", "--set", "connections=0x10"], { cwd: dir });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain("0x10");
  }, 60_000);
});
