/**
 * The built-in server slowed on purpose (`server.work_us`, `--work-us`): a regression of a known
 * cost per request, for compare and history to find. Real sweeps of the real built-in pair.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir, readCsv, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const spec = (dir: string, name: string, server: Record<string, unknown>) =>
  writeSpec(
    dir,
    {
      name,
      duration: "0.5s",
      warmup: "0.2s",
      matrix: { connections: [2] },
      server: { builtin: true, ...server },
      client: { builtin: true, threads: 1 },
      output: { csv: `${name}.csv` },
    },
    `${name}.yaml`,
  );

describe("server.work_us", () => {
  it("2000 µs per reply caps one worker at 500 resp/s; without it the same pair serves far more", async () => {
    const dir = makeTempDir();
    const slow = await runCli(["run", spec(dir, "slow", { work_us: 2000 })], { cwd: dir });
    expect(slow.status, slow.stderr).toBe(0);
    const fast = await runCli(["run", spec(dir, "fast", {})], { cwd: dir });
    expect(fast.status, fast.stderr).toBe(0);
    const respPerS = (name: string) => Number(readCsv(path.join(dir, `${name}.csv`)).rows[0]!.resp_per_s);
    expect(respPerS("slow")).toBeGreaterThan(50);
    expect(respPerS("slow")).toBeLessThanOrEqual(500 * 1.02); // the window's edges may hold a reply more
    expect(respPerS("fast")).toBeGreaterThan(3 * respPerS("slow"));
    expect(slow.stderr + readCsv(path.join(dir, "slow.csv")).rows[0]!.status).toContain("ok");
  }, 120_000);

  it("is refused for a server of your own, and out of range, with the line and what to do", async () => {
    const dir = makeTempDir();
    const file = spec(dir, "mine", { builtin: undefined, command: ["sleep", "1"], work_us: 10 });
    const result = await runCli(["run", file, "--dry-run"], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/mine\.yaml:\d+ server\.work_us: only applies to the built-in server \("builtin: true"\)/);
    const negative = await runCli(["run", spec(dir, "neg", { work_us: -1 }), "--dry-run"], { cwd: dir });
    expect(negative.status).toBe(2);
    expect(negative.stderr).toMatch(/neg\.yaml:\d+ server\.work_us: /);
  }, 60_000);
});
