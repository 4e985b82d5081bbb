/**
 * Issue 20, no crash or hang on bad data: each case ends with a located message and exit 2 (bad
 * input), or quietly (a closed stdout), never exit 3.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

/** Runs the CLI with its stdout's reading end closed at once: what a `| head` that has read enough does. */
function withClosedStdout(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stderr }));
  });
}

function straceTable(rows: number): string {
  const separator = "------ ----------- ----------- --------- --------- ----------------";
  const lines = Array.from({ length: rows }, (_, i) => `  0.00    0.000001           1         1           call_${i}`);
  return [
    "% time     seconds  usecs/call     calls    errors syscall",
    separator,
    ...lines,
    separator,
    `100.00    0.200000           1 ${String(rows).padStart(9)}           total`,
    "",
  ].join("\n");
}

describe("bad specs are located errors (exit 2)", () => {
  const cases: [string, string, RegExp][] = [
    [
      "matrix key __proto__",
      "name: p\naddress: 127.0.0.1:9\nmatrix:\n  __proto__: [1]\n  connections: [1]\nclient: {command: x, parser: json}\n",
      /^s\.yaml:4 matrix\.__proto__: "__proto__" cannot be a key/m,
    ],
    [
      "host named __proto__",
      "name: h\nhosts:\n  __proto__: {ssh: localhost}\nserver: {builtin: true, host: __proto__}\nmatrix: {connections: [1]}\n",
      /^s\.yaml:3 hosts\.__proto__: "__proto__" cannot be a key/m,
    ],
    [
      "a YAML alias bomb",
      `name: b\na0: &a0 [x,x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(",")}]`).join("\n")}\nmatrix: {connections: *a8}\n`,
      /^s\.yaml:3 \(yaml syntax\): .*aliases \(\*name\) expand to more than 1000 nodes/m,
    ],
  ];
  for (const [what, yaml, expected] of cases) {
    it(what, async () => {
      const dir = makeTempDir();
      writeSpec(dir, yaml, "s.yaml");
      const result = await runCli(["run", "s.yaml", "--dry-run"], { cwd: dir });
      expect(result.stderr).toMatch(expected);
      expect(result.status).toBe(2);
    });
  }
});

describe("big or closed outputs", () => {
  it("strace-parse reads a 200,000-row table (table, --csv, --json)", async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, "big.txt"), straceTable(200_000));
    for (const flag of [[], ["--csv"], ["--json"]]) {
      const result = await runCli(["strace-parse", "big.txt", ...flag], { cwd: dir });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("call_199999");
    }
  }, 120_000);

  it("a closed stdout (`| head`) ends quietly: strace-parse and report", async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, "big.txt"), straceTable(20_000));
    const parsed = await withClosedStdout(["strace-parse", "big.txt"], dir);
    expect(parsed.stderr).toBe("");
    expect(parsed.code).toBe(0);

    writeSpec(dir, "console.log(JSON.stringify({ requests: 10, responses: 10, resp_per_s: 1, req_per_s: 1 }));\n", "client.mjs");
    const spec = writeSpec(dir, {
      name: "e",
      duration: 1,
      warmup: 0,
      address: "127.0.0.1:9",
      matrix: { connections: [1, 2] },
      client: { command: `${process.execPath} ${path.join(dir, "client.mjs")} {connections}`, parser: "json" },
      output: { csv: "e.csv" },
    });
    expect((await runCli(["run", spec], { cwd: dir })).status).toBe(0);
    const report = await withClosedStdout(["report", "e.csv"], dir);
    expect(report.stderr).not.toContain("unexpected");
    expect(report.code).toBe(0);
  }, 60_000);
});
