/**
 * `npm run sweep SPEC --dry-run`: npm takes --dry-run for itself and runs the script without it.
 * tcpsweep must refuse (exit 2, one line naming the flag and the `--` form) before anything runs,
 * through real npm in this checkout; the `--` form must work; config from an .npmrc is not a flag.
 */
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO, makeTempDir, removeTempDirs, writeSpec } from "./helpers/sweep.js";
import { findExecutable } from "./helpers/system-tools.js";

afterAll(() => removeTempDirs());

const dir = makeTempDir("tcpsweep-npm-");
const csv = path.join(dir, "out.csv");
const spec = writeSpec(dir, {
  name: "npmcheck",
  duration: "1s",
  warmup: 0,
  matrix: { connections: [1] },
  server: { builtin: true },
  output: { csv },
});

/** The environment without any npm_* variable of an outer `npm test`, so npm starts from a clean slate. */
const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== "TCPSWEEP_NPM_CHECKED"));

/** npm ships with Node: the one beside this node first, else the one on PATH. */
function npmPath(): string {
  const found = findExecutable(["npm"]);
  const beside = path.join(path.dirname(process.execPath), "npm");
  if (existsSync(beside)) return beside;
  if (!found) throw new Error("npm is missing: it comes with Node (https://nodejs.org); install Node with its npm");
  return found;
}

function npm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(npmPath(), args, { cwd: REPO, env: cleanEnv(), timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe("npm run sweep", () => {
  it("refuses when npm ate --dry-run: exit 2, names the flag and the command that keeps it, runs nothing", async () => {
    const result = await npm(["run", "sweep", spec, "--dry-run"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`tcpsweep: npm took --dry-run for itself`);
    expect(result.stderr).toContain(`npm run sweep -- ${spec} --dry-run`);
    expect(result.stdout).not.toContain("cells ×"); // not even the plan
    expect(existsSync(csv)).toBe(false);
  });

  it("gives a flag's value back to it: --repeat 3 reaches tcpsweep as a stray 3", async () => {
    const result = await npm(["run", "sweep", spec, "--repeat", "3", "--json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/npm took --repeat, --json for itself/);
    expect(result.stderr).toContain(`npm run sweep -- ${spec} --repeat 3 --json`);
    expect(existsSync(csv)).toBe(false);
  });

  it("a flag whose value npm rejects (--only: 'invalid config') is caught too (issue 30)", async () => {
    const result = await npm(["run", "sweep", spec, "--only", "connections=1"]);
    expect(result.stderr).toContain('invalid config only="connections=1"'); // npm's own warning: it dropped the flag
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`npm took --only for itself`);
    expect(result.stderr).toContain(`npm run sweep -- ${spec} --only connections=1`);
    expect(existsSync(csv)).toBe(false);
  });

  it("the README's example without its --: the exact command back, values and order kept", async () => {
    const flags = ["--only", "connections=1", "--repeat", "2", "--duration", "1s"];
    const result = await npm(["run", "sweep", spec, ...flags]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`npm took --only, --repeat, --duration for itself`);
    expect(result.stderr).toContain(`Put tcpsweep's flags after --: npm run sweep -- ${spec} ${flags.join(" ")}\n`);
    expect(existsSync(csv)).toBe(false);
    // The suggested command, typed as given, is the dry run of exactly that.
    const suggested = /after --: (npm run sweep -- .*)$/m.exec(result.stderr)![1]!.split(" ").slice(1);
    const kept = await npm([...suggested, "--dry-run"]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain("npmcheck: 1 cells × 2 repeats = 2 runs");
  });

  it("the -- form keeps the flag (a dry run, no CSV); an .npmrc setting json or resume is config, not a flag", async () => {
    const kept = await npm(["run", "sweep", "--", spec, "--dry-run"]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain("npmcheck: 1 cells × 1 repeats = 1 runs");
    const npmrc = path.join(dir, "npmrc");
    writeFileSync(npmrc, "json=true\nresume=true\n");
    const configured = await npm(["--userconfig", npmrc, "run", "sweep", "--", spec, "--dry-run"]);
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stderr).not.toContain("npm took");
    expect(existsSync(csv)).toBe(false);
  });
});
