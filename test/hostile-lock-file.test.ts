/**
 * Issue 33, class 7: the `.csv.lock` is tcpsweep's own file: a symbolic link (to /dev/zero, or to a
 * real file) or a FIFO in its place is refused with exit 2, without blocking or reading it, by the
 * dry run and the run alike.
 */
import { execFileSync } from "node:child_process";
import { symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const SPEC = {
  name: "l",
  duration: "0.2s",
  warmup: 0,
  matrix: { connections: [1] },
  server: { builtin: true },
  client: { builtin: true, threads: 1 },
  output: { csv: "l.csv" },
};

describe("a hostile .csv.lock", () => {
  const cases: [string, (lock: string, dir: string) => void, RegExp][] = [
    ["a symlink to /dev/zero", (lock) => symlinkSync("/dev/zero", lock), /l\.csv\.lock is a symbolic link/],
    [
      "a symlink to a regular file",
      (lock, dir) => (writeFileSync(path.join(dir, "pid"), "1\n"), symlinkSync(path.join(dir, "pid"), lock)),
      /l\.csv\.lock is a symbolic link/,
    ],
    ["a FIFO", (lock) => execFileSync("mkfifo", [lock]), /l\.csv\.lock is not a regular file/],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}: refused with exit 2 by --dry-run and run, at once`, async () => {
      const dir = makeTempDir();
      make(path.join(dir, "l.csv.lock"), dir);
      const spec = writeSpec(dir, SPEC);
      for (const args of [
        ["run", "--dry-run", spec],
        ["run", spec],
      ]) {
        const result = await runCli(args, { cwd: dir, timeoutMs: 30_000 });
        expect(result.status, result.stderr).toBe(2);
        expect(result.stderr).toMatch(message);
      }
    }, 90_000);
  }
});
