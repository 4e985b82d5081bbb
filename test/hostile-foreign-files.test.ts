/**
 * Issue 33, class 3: a file that is not a tcpsweep CSV is named in an error, never quoted: not by
 * `run --csv` (append: "another header"), `run --json`, `compare` or `report`, on stderr or in JSON.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const MARK = "zz-foreign-content-7";

function spec(dir: string) {
  return writeSpec(dir, {
    name: "f",
    duration: "0.2s",
    warmup: 0,
    matrix: { connections: [1] },
    server: { builtin: true },
    client: { builtin: true, threads: 1 },
    output: { csv: "out.csv" },
  });
}

describe("a foreign file given where a tcpsweep CSV is expected", () => {
  const foreign: Record<string, string> = {
    ".env": `DB_PASSWORD=${MARK}\nAPI_TOKEN=${MARK}\n`,
    "first-line.csv": `name,${MARK},\u001b]0;title\u0007\nx,y,z\n`,
    "broken-quote.csv": `a,"${MARK}\n`,
    "closing-quote.csv": `a,b\n"x"${MARK},y\n`,
    "nul.bin": `A=${MARK}\u0000B=${MARK}\u0000`,
  };

  it("run --csv FILE (append), --dry-run and --json name the file and what was expected, never its contents", async () => {
    const dir = makeTempDir();
    const specFile = spec(dir);
    for (const [name, content] of Object.entries(foreign)) {
      writeFileSync(path.join(dir, name), content);
      for (const extra of name === ".env" ? [[], ["--dry-run"], ["--json"]] : [["--json"]]) {
        const result = await runCli(["run", specFile, "--csv", name, ...extra], { cwd: dir });
        expect(result.status, `${name} ${extra.join(" ")}: ${result.stderr}`).toBe(2);
        expect(result.stderr + result.stdout, name).toContain("is not a tcpsweep CSV");
        expect(result.stderr + result.stdout, name).not.toContain(MARK);
        expect(result.stderr + result.stdout, name).not.toContain("\u001b");
      }
    }
  }, 240_000);

  it("run --csv /proc/self/environ prints no part of the environment", async () => {
    const dir = makeTempDir();
    const result = await runCli(["run", spec(dir), "--csv", "/proc/self/environ", "--dry-run"], { cwd: dir, env: { FOREIGN_MARK: MARK } });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr + result.stdout).not.toContain(MARK);
    expect(result.stderr + result.stdout).not.toContain("\u0000");
  });

  it("compare and report (with and without --json) name the file, never its contents", async () => {
    const dir = makeTempDir();
    for (const [name, content] of Object.entries(foreign)) {
      writeFileSync(path.join(dir, name), content);
      for (const args of [
        ["compare", name, "--json"],
        ["report", name],
      ]) {
        const result = await runCli(args, { cwd: dir });
        expect(result.status, `${args.join(" ")}: ${result.stderr}`).toBe(2);
        expect(result.stderr + result.stdout, args.join(" ")).toContain(name);
        expect(result.stderr + result.stdout, args.join(" ")).not.toContain(MARK);
      }
    }
  }, 240_000);
});
