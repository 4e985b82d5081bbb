/**
 * Issue 20, files stay in their folder: names made from values cannot leave the run directory,
 * `mode: new` replaces only a tcpsweep CSV, links are not written through, `report --out` writes
 * only into its own directory, and paths read from a CSV stay inside its run directory (a FIFO is
 * refused without blocking).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { secondSeries } from "../src/report/validity-data.js";
import { rawDirPath, safeFileName } from "../src/rundir/run-dir.js";
import { readConfinedFile, UnsafePathError } from "../src/untrusted/files.js";
import { listTree, makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const CLIENT = "console.log(JSON.stringify({ requests: 10, responses: 10, resp_per_s: 1, req_per_s: 1, resp_per_s_series: [1, 2] }));\n";

function sweepDir(): { dir: string; spec: (extra: Record<string, unknown>) => string } {
  const dir = makeTempDir();
  writeSpec(dir, CLIENT, "client.mjs");
  const base = {
    name: "p",
    duration: 1,
    warmup: 0,
    address: "127.0.0.1:9",
    client: { command: `${process.execPath} ${path.join(dir, "client.mjs")}`, parser: "json" },
  };
  return { dir, spec: (extra) => writeSpec(dir, { ...base, matrix: { connections: [1] }, output: { csv: "work/out/p.csv" }, ...extra }) };
}

describe("safeFileName", () => {
  it("keeps ordinary cell ids, makes the rest safe, bounded and distinct", () => {
    expect(safeFileName("connections=10,threads=2")).toBe("connections=10,threads=2");
    const names = ["../../../../victim", "a/b/c", "a_b_c", "..", ".hidden", "x".repeat(500), "x".repeat(501), "v=\u0000\n"].map(
      safeFileName,
    );
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z0-9_.,=+~-]+$/);
      expect(name).not.toContain("..");
      expect(name.length).toBeLessThanOrEqual(120);
      expect(name.startsWith(".")).toBe(false);
    }
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("a sweep writes only inside its run directory", () => {
  it("matrix values with ../ and / land as safe names under the raw directory", async () => {
    const { dir, spec } = sweepDir();
    mkdirSync(path.join(dir, "work"));
    const client = { command: `${process.execPath} ${path.join(dir, "client.mjs")}`, parser: "json", env: { V: "{v}" } }; // reads v (a key nothing reads is refused)
    const file = spec({ matrix: { v: ["../../../../victim", "../../victim", "a/b/c", "a_b_c"] }, client, output: { csv: "out/p.csv" } }); // relative to the working directory
    const result = await runCli(["run", file], { cwd: path.join(dir, "work") });
    expect(result.status, result.stderr).toBe(0);
    const tree = listTree(dir);
    expect(
      tree.filter((f) => !f.startsWith(path.join("work", "out")) && f !== "work"),
      tree.join("\n"),
    ).toEqual(["client.mjs", "spec.yaml"]);
    const logs = tree.filter((f) => f.endsWith(".log"));
    expect(logs).toHaveLength(4);
    for (const log of logs) expect(path.dirname(log).split(path.sep)).toEqual(["work", "out", "p.raw", expect.any(String)]);
  }, 60_000);

  it("mode: new refuses to replace a file that is not a tcpsweep CSV (dry run and run), and leaves it as it was", async () => {
    const { dir, spec } = sweepDir();
    mkdirSync(path.join(dir, "work/out"), { recursive: true });
    writeFileSync(path.join(dir, "work/out/p.csv"), "root:x:0:0:root:/root:/bin/bash\n");
    const file = spec({ output: { csv: "work/out/p.csv", mode: "new" } });
    for (const args of [
      ["run", file, "--dry-run"],
      ["run", file],
    ]) {
      const result = await runCli(args, { cwd: dir });
      expect(result.stderr).toContain("exists and is not a tcpsweep CSV");
      expect(result.status).toBe(2);
    }
    expect(readFileSync(path.join(dir, "work/out/p.csv"), "utf8")).toBe("root:x:0:0:root:/root:/bin/bash\n");
  }, 60_000);

  it("a symlinked CSV (live or dangling) is refused unless --follow-symlinks", async () => {
    const { dir, spec } = sweepDir();
    mkdirSync(path.join(dir, "work/out"), { recursive: true });
    symlinkSync(path.join(dir, "target.csv"), path.join(dir, "work/out/p.csv"));
    const file = spec({});
    const refused = await runCli(["run", file], { cwd: dir });
    expect(refused.stderr).toContain("is a symbolic link");
    expect(refused.status).toBe(2);
    expect(existsSync(path.join(dir, "target.csv"))).toBe(false);
    const followed = await runCli(["run", file, "--follow-symlinks"], { cwd: dir });
    expect(followed.status, followed.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "target.csv"), "utf8")).toMatch(/^run_id,/);
  }, 60_000);

  it("report --out writes only into a new, empty or tcpsweep-made directory", async () => {
    const { dir, spec } = sweepDir();
    const result = await runCli(["run", spec({})], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    mkdirSync(path.join(dir, "site"));
    writeFileSync(path.join(dir, "site/index.html"), "my page");
    writeFileSync(path.join(dir, "site/throughput.svg"), "my chart");
    const refused = await runCli(["report", "work/out/p.csv", "--out", "site"], { cwd: dir });
    expect(refused.stderr).toContain("was not made by tcpsweep report");
    expect(refused.status).toBe(2);
    expect(readFileSync(path.join(dir, "site/index.html"), "utf8")).toBe("my page");
    expect(readFileSync(path.join(dir, "site/throughput.svg"), "utf8")).toBe("my chart");
    for (let i = 0; i < 2; i++) {
      const made = await runCli(["report", "work/out/p.csv", "--out", "fresh"], { cwd: dir });
      expect(made.status, made.stderr).toBe(0); // the second time: its own directory
    }
  }, 90_000);
});

describe("paths read from a CSV", () => {
  it("a FIFO, a file outside the run directory and a link out are refused at once, never read", () => {
    const dir = makeTempDir();
    const csv = path.join(dir, "r.csv");
    const raw = rawDirPath(csv, "run1");
    mkdirSync(raw, { recursive: true });
    execFileSync("mkfifo", [path.join(raw, "fifo.r1.log")]);
    writeFileSync(path.join(dir, "secret.log"), '### client: x\n--- stdout ---\n{"resp_per_s_series":[9]}\n--- stderr ---\n');
    symlinkSync(path.join(dir, "secret.log"), path.join(raw, "link.r1.log"));
    expect(() => readConfinedFile(path.join(raw, "fifo.r1.log"), raw, 1000)).toThrow(UnsafePathError);
    expect(() => readConfinedFile(path.join(dir, "secret.log"), raw, 1000)).toThrow(UnsafePathError);
    const rows = ["fifo.r1.log", "link.r1.log", "../../secret.log"].map((name, i) => ({
      run_id: "run1",
      cell: `c${i}`,
      repeat: 1,
      status: "degraded",
      raw_output: path.join(raw, name),
    }));
    const { series, missing } = secondSeries(csv, rows, []);
    expect(series).toEqual([]);
    expect(missing).toHaveLength(3);
  });

  it("a raw log is read only through the client's section, once, however many rows name it", () => {
    const dir = makeTempDir();
    const csv = path.join(dir, "r.csv");
    const raw = rawDirPath(csv, "run1");
    mkdirSync(raw, { recursive: true });
    const file = path.join(raw, "big.log");
    writeFileSync(file, '### client: c\n--- stdout ---\n{"resp_per_s_series":[7,8]}\n--- stderr ---\n\n--- ended ---\n### server: s\n');
    truncateSync(file, 1024 * 1024 * 1024); // 1 GiB of server output after it (sparse: nothing on disk)
    expect(readConfinedFile(file, raw, 2 * 1024 * 1024 * 1024, "\n--- stderr ---\n").length).toBeLessThanOrEqual(1024 * 1024);
    const rows = Array.from({ length: 40 }, (_, i) => ({ run_id: "run1", cell: "c", repeat: i + 1, status: "degraded", raw_output: file }));
    const { series, missing } = secondSeries(csv, rows, []);
    expect(series).toHaveLength(40);
    expect(series.every((one) => one.series.join() === "7,8")).toBe(true);
    expect(missing).toEqual([]);
  });

  it("the per-second series comes from the client's section only, never the server's", () => {
    const dir = makeTempDir();
    const csv = path.join(dir, "r.csv");
    const raw = rawDirPath(csv, "run1");
    mkdirSync(raw, { recursive: true });
    const log = (client: string) =>
      `### client: c\n--- stdout ---\n${client}\n--- stderr ---\n\n--- ended ---\n### server: s\n--- stdout ---\n{"resp_per_s_series":[666,666]}\n--- stderr ---\n\n--- ended ---\n`;
    writeFileSync(path.join(raw, "a.log"), log('{"resp_per_s_series":[5,6]}'));
    writeFileSync(path.join(raw, "b.log"), log("no json"));
    const rows = ["a.log", "b.log"].map((name) => ({
      run_id: "run1",
      cell: name,
      repeat: 1,
      status: "degraded",
      raw_output: path.join(raw, name),
    }));
    const { series, missing } = secondSeries(csv, rows, []);
    expect(series).toEqual([{ cell: "a.log", repeat: "1", series: [5, 6] }]);
    expect(missing).toEqual(["b.log #1"]);
  });
});

describe("the main input of compare, report and strace-parse", () => {
  const commands: [string, (file: string) => string[]][] = [
    ["compare", (file) => ["compare", file, file]],
    ["report", (file) => ["report", file]],
    ["strace-parse", (file) => ["strace-parse", file]],
  ];
  const inputs: [string, (dir: string) => string, RegExp][] = [
    ["/dev/zero", () => "/dev/zero", /is not a regular file \(a device\)/],
    [
      "a FIFO nobody writes to",
      (dir) => (execFileSync("mkfifo", [path.join(dir, "in.csv")]), path.join(dir, "in.csv")),
      /is not a regular file \(a FIFO\)/,
    ],
    ["a directory", (dir) => (mkdirSync(path.join(dir, "d.csv")), path.join(dir, "d.csv")), /is not a regular file \(a directory\)/],
    [
      "a 3 GiB file (sparse)",
      (dir) => (
        writeFileSync(path.join(dir, "big.csv"), ""),
        truncateSync(path.join(dir, "big.csv"), 3 * 1024 ** 3),
        path.join(dir, "big.csv")
      ),
      /holds 3072 MiB, more than the \d+ MiB read here/,
    ],
  ];
  for (const [command, argv] of commands)
    for (const [what, make, reason] of inputs)
      it(`${command}: ${what} is refused with exit 2 and one line saying why, without reading it`, async () => {
        const dir = makeTempDir();
        const result = await runCli(argv(make(dir)), { cwd: dir });
        expect(result.status, result.stderr).toBe(2);
        expect(result.stderr).toMatch(reason);
        expect(result.stderr.trimEnd().split("\n"), result.stderr).toHaveLength(1);
      }, 30_000);
});
