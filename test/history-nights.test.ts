/**
 * Issue 32's proof on real nights, at a size CI affords: 20 nights of scripts/nightly.sh on a small
 * spec (2 cells, 3 repeats of 0.3 s), a real server whose replies are held 4 ms until night 13 and
 * 8 ms from night 14 on (the fault server's --delay-ms: a known slowdown, about half the
 * throughput). `history` must name night 14 for the cells that slowed, and no other night.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FAULT_SERVER, NODE, REPO, makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

function nightly(spec: string, root: string, date: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(REPO, "scripts/nightly.sh"), spec], {
      env: { ...process.env, TCPSWEEP_NIGHTLY_DIR: root, TCPSWEEP_NIGHTLY_DATE: date, TCPSWEEP_NIGHTLY_BUILD: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000); // a bound per night, not a wait
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

/** The spec of a night: the same name and file name (nightly.sh names the CSV after the file), the server's delay its own. */
const spec = (dir: string, delayMs: number) =>
  writeSpec(
    mkdirSync(path.join(dir, `delay-${delayMs}`), { recursive: true }) ?? path.join(dir, `delay-${delayMs}`),
    {
      name: "real",
      duration: "0.3s",
      warmup: "0.1s",
      repeat: 3,
      matrix: { connections: [2, 4] },
      server: { command: [NODE, FAULT_SERVER, "--mode", "normal", "--port", "{port}", "--delay-ms", String(delayMs)], ready: "port" },
      client: { builtin: true, threads: 1 },
    },
    "real.yaml",
  );

describe("history on 20 real nights", () => {
  it("names night 14 and the cells that slowed, and no other night", { timeout: 1_500_000 }, async () => {
    const dir = makeTempDir("tcpsweep-history-nights-");
    const root = path.join(dir, "nightly");
    const lines: string[] = [];
    for (let night = 1; night <= 20; night++) {
      const date = `2026-10-${String(night).padStart(2, "0")}`;
      const result = await nightly(spec(dir, night >= 14 ? 8 : 4), root, date);
      lines.push(`${date} exit ${result.code}: ${result.stdout.split("\n")[0]}`);
      if (night === 14 || night === 15 || night === 16) continue; // the night the change point becomes visible may exit 1
      expect(result.stdout, lines.join("\n")).toMatch(/change points: 0 new/);
    }
    expect(lines.join("\n")).toMatch(/change points: [1-9]\d* new \(connections=\d resp\/s −\d+\.\d % since 2026-10-14/);
    const history = await runCli(["history", root, "--json", "--no-cache"], { cwd: dir, timeoutMs: 60_000 });
    const json = JSON.parse(history.stdout) as { series: { name: string; change_points: { time: string }[] }[] };
    const found = json.series.filter((series) => series.change_points.length > 0);
    const respSeries = found.filter((series) => series.name.endsWith("resp/s")).map((series) => series.name);
    expect(respSeries.sort(), lines.join("\n")).toEqual(["real connections=2 resp/s", "real connections=4 resp/s"]);
    const nights = new Set(found.flatMap((series) => series.change_points.map((point) => point.time)));
    expect([...nights], history.stdout).toEqual(["2026-10-14"]);
  });
});
