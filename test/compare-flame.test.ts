/**
 * `compare A B --flame`: two real CPU-profiled runs of the built-in server, the second slowed on
 * purpose (`work_us`: CPU spun in busyFor per reply), so the cell regresses. The differential flame
 * graph is written, is well-formed, shows the spin as the frame that grew, and compare names it beside
 * the cell in text, markdown and JSON; without a profile on one side it says why and exits as
 * without --flame; a cell that is not in the runs, or --by, is refused.
 */
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";
import { calledFrom, drawnFrames, parseXml, requireCpuSampling } from "./helpers/flame.js";

afterAll(() => removeTempDirs());

const dir = makeTempDir("tcpsweep-compare-flame-");
const cli = (...args: string[]) => runCli(args, { cwd: dir, timeoutMs: 120_000 });
const CELL = "connections=2";
// Three repeats a side: the rank test can only reach p = 0.1 (0.2 after Holm over two metrics), so
// the test accepts α = 0.25; a 2 ms spin per reply is a slowdown far beyond any overlap of the ranks.
const JUDGE = ["--test", "rank", "--alpha", "0.25"];

function spec(name: string, workUs: number): string {
  return writeSpec(
    dir,
    {
      name,
      duration: "0.5s",
      warmup: "0.2s",
      repeat: 3,
      matrix: { connections: [2] },
      server: { builtin: true, ...(workUs > 0 ? { work_us: workUs } : {}) },
      client: { builtin: true, threads: 1 },
      profile: { cpu: { hz: 99 } },
    },
    `${name}.yaml`,
  );
}

beforeAll(async () => {
  requireCpuSampling();
  for (const [name, workUs] of [
    ["base", 0],
    ["new", 2000],
  ] as const) {
    const run = await cli("run", spec(name, workUs), "--csv", `${name}.csv`);
    expect(run.status, run.stderr).toBe(0);
  }
}, 300_000);

describe("compare --flame", () => {
  it("writes the regressed cell's differential flame graph, the spin its reddest frame, and names it under the cell's REGRESSED line", async () => {
    const text = await cli("compare", "base.csv", "new.csv", ...JUDGE, "--flame");
    expect(text.status, text.stdout + text.stderr).toBe(1);
    const lines = text.stdout.split("\n");
    const regressed = lines.findIndex((line) => line.startsWith(`  REGRESSED: ${CELL} (`));
    expect(regressed, text.stdout).toBeGreaterThan(0);
    // The REGRESSED line may wrap (continuations indented four spaces); the flame line comes right after it.
    const flameLine = lines.slice(regressed + 1).find((line) => line.startsWith("    flame graph") || !/^ {4}\S/.test(line));
    const file = /^ {4}flame graph \(NEW vs BASE\): (new\.flame\/flame-connections=2\.\S+-vs-\S+\.svg)$/.exec(flameLine ?? "")?.[1];
    expect(file, text.stdout).toBeDefined();
    const svgFile = path.join(dir, file!);
    expect(existsSync(svgFile)).toBe(true);
    expect(parseXml(svgFile)).toBe("ok");
    const svg = readFileSync(svgFile, "utf8");
    expect(svg).toContain(`Differential flame graph: ${CELL}`);
    const frames = drawnFrames(svg);
    // busyFor may be drawn more than once (called from two places, or by two of V8's tiers).
    const spins = frames.filter((frame) => frame.name.startsWith("JS:*busyFor ") || frame.name.startsWith("JS:^busyFor "));
    expect(spins.length, "the spin's JavaScript frame is named (--perf-basic-prof)").toBeGreaterThan(0);
    const reddest = frames.filter((frame) => frame.fill === "rgb(255,0,0)");
    expect(reddest.length).toBeGreaterThan(0);
    // What grew most per response is work done in busyFor: its own loop, or its callees (cpuUsage, getrusage, the kernel).
    const inTheSpin = (frame: (typeof frames)[number]) => spins.some((spin) => frame === spin || calledFrom(frame, spin));
    expect(reddest.some(inTheSpin), JSON.stringify({ reddest, spins })).toBe(true);
  });

  it("names the file in the markdown row of the cell and in --json's flame_graph of the cell", async () => {
    const markdown = await cli("compare", "base.csv", "new.csv", ...JUDGE, "--flame", "--markdown");
    expect(markdown.status).toBe(1);
    const row = markdown.stdout.split("\n").find((line) => line.startsWith(`| ${CELL} |`));
    expect(row).toMatch(/\| \*\*REGRESSED: [^|]*\*\*; flame graph \\\(NEW vs BASE\\\): new\.flame\/flame-connections=2\.\S+\.svg \|$/);
    const json = await cli("compare", "base.csv", "new.csv", ...JUDGE, "--flame", "--json");
    expect(json.status).toBe(1);
    const cell = JSON.parse(json.stdout).cells.find((c: { cell: string }) => c.cell === CELL);
    expect(cell.verdict).toBe("slower");
    expect(cell.flame_graph.missing).toBeNull();
    expect(cell.flame_graph.file).toMatch(/^new\.flame\/flame-connections=2\.\S+-vs-\S+\.svg$/);
    expect(existsSync(path.join(dir, cell.flame_graph.file))).toBe(true);
    const without = JSON.parse((await cli("compare", "base.csv", "new.csv", ...JUDGE, "--json")).stdout);
    expect(without.cells[0].flame_graph, "not asked: null").toBeNull();
  });

  it("a BASE without CPU profiles: says why under the cell, writes nothing, exits as without --flame", async () => {
    const moved = makeTempDir();
    rmSync(path.join(dir, "new.flame"), { recursive: true, force: true });
    renameSync(path.join(dir, "base.raw"), path.join(moved, "base.raw")); // its profiles are gone, its rows stay
    try {
      const text = await cli("compare", "base.csv", "new.csv", ...JUDGE, "--flame");
      expect(text.status).toBe(1);
      expect(text.stdout).toMatch(/\n {4}no flame graph: BASE \(\S+\) has no CPU profile of this cell \(profile\.cpu in the spec\)\n/);
      const json = JSON.parse((await cli("compare", "base.csv", "new.csv", ...JUDGE, "--flame", "--json")).stdout);
      expect(json.cells[0].flame_graph).toEqual({ file: null, missing: expect.stringContaining("has no CPU profile") });
      expect(json.exit_status).toBe(1);
    } finally {
      renameSync(path.join(moved, "base.raw"), path.join(dir, "base.raw"));
    }
    expect(existsSync(path.join(dir, "new.flame"))).toBe(false);
  });

  it("refuses a cell that is in neither run, and --flame with --by (exit 2, saying why)", async () => {
    const unknown = await cli("compare", "base.csv", "new.csv", "--flame", "connections=3");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--flame connections=3: not a cell of run \S+ or run \S+; their cells: connections=2/);
    const json = await cli("compare", "base.csv", "new.csv", "--flame", "connections=3", "--json");
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatch(/not a cell/);
    const by = await cli("compare", "new.csv", "--by", "connections", "--flame");
    expect(by.status).toBe(2);
    expect(by.stderr).toMatch(/--flame does not apply with --by: a differential flame graph compares a cell of two runs/);
  });
});
