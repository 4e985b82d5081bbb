/**
 * The README stays true by construction: every ```sh / ```bash block a user would paste runs here,
 * in order, in a copy of this checkout, with sweeps/smoke.yaml made smoke-sized (0.5 s windows).
 * A block that cannot run in a test says so in its info string with a reason:
 *   ```sh skip-test: why            never run (a public clone, a global install, a crontab)
 *   ```sh needs-feature: what       run once the feature is in this branch (until then: listed)
 *   ```sh status=0,1: why           the exit codes that are right for it (default 0)
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO, makeTempDir, readCsv, removeTempDirs } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

const README = readFileSync(path.join(REPO, "README.md"), "utf8");

interface Block {
  line: number;
  code: string;
  kind: "run" | "skip-test" | "needs-feature";
  reason: string;
  statuses: number[];
}

/** The shell blocks of a markdown text, with what their info strings say. */
function shellBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(sh|bash)(?:\s+(.*))?$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i] !== "```") body.push(lines[i]!);
    const info = open[2] ?? "";
    const tag = /^(skip-test|needs-feature|status=([\d,]+))(?::\s*(.*))?$/.exec(info);
    if (info !== "" && !tag)
      throw new Error(`README.md:${start + 1}: unknown info string "${info}" (skip-test: reason, needs-feature: what, status=0,1: why)`);
    const kind = tag?.[1] === "skip-test" || tag?.[1] === "needs-feature" ? tag[1] : "run";
    blocks.push({
      line: start + 1,
      code: body.join("\n"),
      kind,
      reason: tag?.[3]?.trim() ?? "",
      statuses: tag?.[2] ? tag[2].split(",").map(Number) : [0],
    });
  }
  return blocks;
}

/** A copy of this checkout (the files git would commit, dist/ as built, node_modules linked), smoke-sized. */
function copyOfCheckout(): string {
  const dir = path.join(makeTempDir("tcpsweep-readme-"), "tcpsweep");
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: REPO, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(path.join(REPO, file))) continue; // deleted in the working tree
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(REPO, file), path.join(dir, file));
  }
  cpSync(path.join(REPO, "dist"), path.join(dir, "dist"), { recursive: true });
  symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
  const smoke = path.join(dir, "sweeps/smoke.yaml");
  writeFileSync(
    smoke,
    readFileSync(smoke, "utf8")
      .replace(/^duration: .*$/m, "duration: 0.5s")
      .replace(/^warmup: .*$/m, "warmup: 0.2s"),
  );
  return dir;
}

function runBlock(code: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", code], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (status) => resolve({ status, output }));
  });
}

describe("README.md", () => {
  const blocks = shellBlocks(README);

  it("is at most 300 lines and lists its few blocks that cannot run here, each with a reason", () => {
    expect(README.split("\n").length).toBeLessThanOrEqual(300);
    const skipped = blocks.filter((block) => block.kind === "skip-test");
    expect(skipped.length, skipped.map((block) => `README.md:${block.line}`).join(", ")).toBeLessThanOrEqual(3);
    for (const block of [...skipped, ...blocks.filter((block) => block.kind === "needs-feature")]) {
      expect(block.reason.length, `README.md:${block.line} gives no reason`).toBeGreaterThan(5);
    }
    expect(blocks.filter((block) => block.kind === "run").length).toBeGreaterThanOrEqual(6);
  });

  it("every block a user would paste runs, in order, in a copy of the checkout", { timeout: 900_000 }, async () => {
    const dir = copyOfCheckout();
    // npx links the copy into a cache of its own, not the user's.
    const env = { ...process.env, npm_config_cache: path.join(path.dirname(dir), "npm-cache"), npm_config_update_notifier: "false" };
    for (const block of blocks.filter((candidate) => candidate.kind === "run")) {
      const { status, output } = await runBlock(block.code, dir, env);
      expect(block.statuses, `README.md:${block.line} exited ${status}:\n${block.code}\n---\n${output}`).toContain(status);
    }
    // What the README says was written: the summary of the latest run into smoke.csv (the whole smoke
    // sweep of "Compare two runs", after the first one and the --only threads=1 --repeat 2 one).
    const summary = readCsv(path.join(dir, "results/smoke.summary.csv"));
    expect(summary.rows.map((row) => [row.cell, row.runs])).toEqual([
      ["connections=10,threads=1", "1"],
      ["connections=100,threads=1", "1"],
      ["connections=10,threads=2", "1"],
      ["connections=100,threads=2", "1"],
    ]);
    const runs = readCsv(path.join(dir, "results/smoke.csv")).rows;
    expect(new Set(runs.map((row) => row.run_id)).size).toBe(3);
    expect(runs.filter((row) => row.cell.endsWith("threads=1") && row.repeat === "2")).toHaveLength(2); // the --only run's repeats
    expect(existsSync(path.join(dir, "results/smoke.report/index.html"))).toBe(true);
    expect(readCsv(path.join(dir, "results/mine.summary.csv")).rows).toHaveLength(4);
    expect(
      readdirSync(path.join(dir, "results/nightly")).some((night) =>
        existsSync(path.join(dir, "results/nightly", night, "smoke.report/index.html")),
      ),
    ).toBe(true);
  });
});
