/**
 * Issue 33, class 12: a NUL in a matrix value and a duration above Node's timer limit (2^31 - 1 ms,
 * about 24.8 days, which would fire after 1 ms) are refused when the spec is read: exit 2, with the
 * line, before anything is written; the dry run refuses them too.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkDuration, MAX_DURATION_S } from "../src/sweep/spec/duration.js";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const base = "name: n\nduration: 1s\nmatrix:\n  connections: [1]\nserver: {builtin: true}\nclient: {builtin: true}\noutput: {csv: n.csv}\n";

describe("spec limits", () => {
  it("durations above the timer limit are refused, the limit itself is accepted", () => {
    for (const text of ["600h", "597h", "35792m", "2147484s", 2147484, "596h 32m"]) {
      expect(checkDuration(text, true), String(text)).toEqual({ message: expect.stringContaining("at most 596h") as string });
    }
    expect(checkDuration("596h", true)).toBe(596 * 3600);
    expect(checkDuration(MAX_DURATION_S, true)).toBe(MAX_DURATION_S);
  });

  it("a NUL in a matrix value (list or include) and a too-long duration: exit 2 with their lines, dry run and run alike", async () => {
    const dir = makeTempDir();
    const spec = writeSpec(
      dir,
      base
        .replace("duration: 1s", "duration: 600h\nwarmup: 40000m")
        .replace("  connections: [1]\n", '  connections: [1]\n  mode: ["a\\0b", ok]\n  include:\n    - {connections: 1, mode: "\\0"}\n'),
    );
    for (const args of [
      ["run", "--dry-run", spec],
      ["run", spec],
    ]) {
      const result = await runCli(args, { cwd: dir });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/spec\.yaml:2 duration: expected a duration of at most 596h/);
      expect(result.stderr).toMatch(/spec\.yaml:3 warmup: expected a duration of at most 596h/);
      expect(result.stderr).toMatch(/spec\.yaml:6 matrix\.mode\[0\]: matrix values cannot contain a NUL/);
      expect(result.stderr).toMatch(/spec\.yaml:8 matrix\.include\[0\]\.mode: matrix values cannot contain a NUL/);
      expect(existsSync(path.join(dir, "n.csv")), "nothing written").toBe(false);
    }
    const flag = await runCli(["run", "--dry-run", "--duration", "700h", writeSpec(dir, base, "ok.yaml")], { cwd: dir });
    expect(flag.status, flag.stderr).toBe(2);
    expect(flag.stderr).toContain("at most 596h");
  }, 60_000);
});
