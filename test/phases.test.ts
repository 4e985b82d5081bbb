/**
 * Overhead accounting: a run's phases are consecutive, so they add up to its wall time; checked
 * against a clock outside the run (the gap between two runs' started_at stamps).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PhaseClock, overheadSeconds, totalSeconds } from "../src/sweep/phases.js";
import { killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli, sleep, writeSpec } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

describe("phase clock", () => {
  it("consecutive phases cover the elapsed time; overhead is what is not warmup or window", async () => {
    const beforeStart = performance.now();
    const clock = new PhaseClock("a");
    const afterStart = performance.now();
    await sleep(30);
    clock.next("b");
    await sleep(60);
    clock.next("a");
    const beforeEnd = performance.now();
    const phases = clock.phases();
    const afterEnd = performance.now();
    expect(phases.map((p) => p.phase)).toEqual(["a", "b", "a"]);
    expect(phases[1]!.seconds).toBeGreaterThanOrEqual(0.055);
    // The clock started between beforeStart and afterStart and was read between beforeEnd and afterEnd:
    // bounds that hold however long the machine paused between two statements.
    expect(totalSeconds(phases)).toBeGreaterThanOrEqual((beforeEnd - afterStart) / 1000 - 1e-9);
    expect(totalSeconds(phases)).toBeLessThanOrEqual((afterEnd - beforeStart) / 1000 + 1e-9);
    expect(overheadSeconds(phases, 0.02, 0.05)).toBeCloseTo(totalSeconds(phases) - 0.07, 3);
    expect(overheadSeconds(phases, 10, 10)).toBe(0);
  });
});

describe("overhead_s on real runs", () => {
  it("the raw log's phases add up to the run's wall time (next run's start minus this one's) within 50 ms", async () => {
    const dir = makeTempDir();
    const spec = writeSpec(dir, {
      name: "phases",
      duration: "0.5s",
      warmup: "0.2s",
      matrix: { connections: [5, 10] },
      server: { builtin: true },
      output: { csv: "p.csv" },
    });
    const result = await runCli(["run", spec], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const rows = readCsv(path.join(dir, "p.csv")).rows;
    expect(rows).toHaveLength(2);
    const log = readFileSync(path.join(dir, rows[0]!.raw_output!), "utf8");
    const phases = [...log.matchAll(/^([^:\n]+): ([\d.]+) s$/gm)].filter(([, name]) => name !== "total");
    expect(phases.map(([, name]) => name)).toEqual([
      "server start",
      "client start, connects, warmup",
      "window",
      "drain and client exit",
      "server stop",
      "profiler results",
    ]);
    const sumS = phases.reduce((sum, [, , seconds]) => sum + Number(seconds), 0);
    const wallS = (Date.parse(rows[1]!.started_at!) - Date.parse(rows[0]!.started_at!)) / 1000;
    expect(Math.abs(sumS - wallS), `phases ${sumS} s vs wall ${wallS} s`).toBeLessThan(0.05);
    const overhead = Number(rows[0]!.overhead_s);
    expect(overhead).toBeGreaterThan(0);
    expect(overhead).toBeCloseTo(sumS - 0.2 - Number(rows[0]!.duration_s), 2);
  });
});
