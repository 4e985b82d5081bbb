/**
 * Issue 33, class 8: a `<name>.raw` (or a run's directory inside it) that is a symbolic link is
 * refused like a link in place of the CSV (exit 2), and nothing lands in its target.
 */
import { mkdirSync, readdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

describe("a symbolic link in place of the raw directory", () => {
  it("is refused (exit 2) whether it points to a directory or dangles; its target stays empty", async () => {
    for (const dangling of [false, true]) {
      const dir = makeTempDir();
      const target = path.join(dir, "elsewhere");
      if (!dangling) mkdirSync(target);
      symlinkSync(target, path.join(dir, "r.raw"));
      const spec = writeSpec(dir, {
        name: "r",
        duration: "0.2s",
        warmup: 0,
        matrix: { connections: [1] },
        server: { builtin: true },
        client: { builtin: true, threads: 1 },
        output: { csv: "r.csv" },
      });
      const result = await runCli(["run", spec], { cwd: dir });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${path.join(dir, "r.raw")} is a symbolic link`);
      if (!dangling) expect(readdirSync(target)).toEqual([]);
      else expect(() => readdirSync(target)).toThrow();
    }
  }, 120_000);
});
