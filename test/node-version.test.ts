/**
 * The Node.js version check at start-up: package.json's engines and the check agree, the CLI under
 * an unsupported Node prints one line naming the version found and the ones needed and exits 2
 * before loading anything else, and the two files that run first use syntax an old Node can parse.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { SUPPORTED_NODE, nodeVersionSupported } from "../src/node-version.js";
import { CLI, NODE, REPO } from "./helpers/sweep.js";

/** Runs the built CLI under this Node, made to report `version` (process.version) from before the CLI's first line. */
function cliReporting(version: string, args: string[]) {
  const preload = `data:text/javascript,Object.defineProperty(process,"version",{value:${JSON.stringify(version)}})`;
  return spawnSync(NODE, ["--import", preload, CLI, ...args], { encoding: "utf8", timeout: 30_000 });
}

describe("Node.js version check", () => {
  it("package.json's engines is the range the check enforces", () => {
    const manifest = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(SUPPORTED_NODE);
  });

  it("accepts the tested lines from their first supported release, refuses the rest", () => {
    const accepted = ["v20.19.0", "v20.20.2", "v22.12.0", "v22.20.1", "v24.0.0", "v24.22.3", "v26.12.1", "27.0.0"];
    const refused = ["v16.20.2", "v18.20.4", "v20.18.3", "v21.7.3", "v22.11.0", "v23.11.1", "", "nonsense"];
    expect(accepted.filter((version) => !nodeVersionSupported(version))).toEqual([]);
    expect(refused.filter((version) => nodeVersionSupported(version))).toEqual([]);
    expect(nodeVersionSupported(process.version), `the Node running the tests (${process.version}) is one tcpsweep supports`).toBe(true);
  });

  it.each(["v18.20.4", "v22.11.0"])(
    "under Node %s the CLI prints one line naming it and the versions needed, exit 2, nothing on stdout",
    (version) => {
      const run = cliReporting(version, ["run", "no-such-spec.yaml"]);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr.split("\n")).toEqual([
        expect.stringMatching(
          new RegExp(
            `^tcpsweep: Node\\.js ${version.replace(/\./g, "\\.")} \\(${NODE.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\) is not supported; tcpsweep needs Node\\.js 20\\.19\\+, 22\\.12\\+ or 24\\+ .*install`,
          ),
        ),
        "",
      ]);
    },
  );

  it("under a supported Node the same preload changes nothing: the CLI runs", () => {
    const run = cliReporting("v24.0.0", ["--version"]);
    expect(run.status, run.stderr).toBe(0);
    const version = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")).version as string;
    // The build string: package version, git commit (or "git unknown"), and the Node it runs on (here the faked one).
    expect(run.stdout.trim()).toMatch(new RegExp(`^tcpsweep ${version.replace(/\./g, "\\.")} \\(git [^,]+, node v24\\.0\\.0\\)$`));
  });

  it.each(["dist/cli/main.js", "dist/node-version.js"])(
    "%s uses no syntax newer than ES2015 (plus import()), so an old Node reaches the check",
    (file) => {
      const source = readFileSync(path.join(REPO, file), "utf8");
      // TypeScript rewrites whatever an ES2015 target lacks (?., ??, class fields, ...): an unchanged output means none is used.
      const emit = (target: ts.ScriptTarget) =>
        ts.transpileModule(source, { compilerOptions: { target, module: ts.ModuleKind.ESNext, removeComments: true } }).outputText;
      expect(emit(ts.ScriptTarget.ES2015)).toBe(emit(ts.ScriptTarget.ESNext));
    },
  );
});
