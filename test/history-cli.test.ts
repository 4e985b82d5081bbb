/**
 * `tcpsweep history` as users meet it (dist/, so `npm run build` first): a nightly directory of
 * results CSVs written here (synthetic rows: the reading and the exit statuses are under test),
 * Otava's CSV via --series, and bad input exiting 2.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killRunningClis, makeTempDir, removeTempDirs, runCli, type CliResult } from "./helpers/sweep.js";
import { seeded } from "./helpers/seeded.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const dir = makeTempDir("tcpsweep-history-");
const history = (...args: string[]): Promise<CliResult> => runCli(["history", ...args], { cwd: dir, timeoutMs: 30_000 });
const HEADER = [
  "run_id",
  "started_at",
  "spec",
  "cell",
  "repeat",
  "connections",
  "resp_per_s",
  "success_rate_pct",
  "latency_p99_us",
  "status",
  "error",
];

/** A night of spec "nightly": 2 cells × 5 repeats; cell connections=10 slows by `drop` from night `dropAt`. */
function writeNights(root: string, count: number, dropAt: number, drop: number, failedNight?: number): void {
  const random = seeded(42);
  for (let night = 0; night < count; night++) {
    const day = `2026-11-${String(night + 1).padStart(2, "0")}`;
    const rows: string[][] = [];
    for (const connections of [10, 20]) {
      for (let repeat = 1; repeat <= 5; repeat++) {
        const level = connections === 10 && night >= dropAt ? 10000 * (1 - drop) : 10000;
        const resp = level * Math.exp(0.05 * (random() - 0.5));
        const failed = night === failedNight && connections === 20;
        rows.push([
          `run-${day}`,
          `${day}T02:00:0${repeat}.000Z`,
          "nightly",
          `connections=${connections}`,
          String(repeat),
          String(connections),
          failed ? "" : resp.toFixed(1),
          failed ? "" : "100",
          failed ? "" : String(Math.round(1e7 / resp)),
          failed ? "server_failed" : "ok",
          failed ? "server did not start" : "",
        ]);
      }
    }
    mkdirSync(path.join(root, day), { recursive: true });
    writeFileSync(path.join(root, day, "nightly.csv"), stringify([HEADER, ...rows]));
  }
}

describe("tcpsweep history", () => {
  it("names the night and the cell that slowed, the gap with its reason, and exits 1 for the new regression", async () => {
    const root = path.join(dir, "nights");
    // Night 16 of the nightly: the drop of night 14 is new, so the night exits 1 …
    writeNights(root, 16, 13, 0.15, 5);
    const first = await history(root);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(1);
    expect(first.stdout).toMatch(/connections=10 resp\/s\s+2026-11-14 .* new worse/);
    // … and at night 20 it was reported already: exit 0.
    writeNights(root, 20, 13, 0.15, 5);
    expect((await history(root)).status).toBe(0);
    const result = await history(root, "--json", "--no-cache");
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout) as {
      series: {
        name: string;
        points: { time: string; gap?: string }[];
        change_points: { index: number; time: string; change_pct: number; pvalue: number }[];
      }[];
    };
    const withChanges = json.series.filter((series) => series.change_points.length > 0);
    expect(withChanges.map((series) => series.name).sort()).toEqual(["nightly connections=10 p99", "nightly connections=10 resp/s"]);
    const resp = withChanges.find((series) => series.name.endsWith("resp/s"))!;
    expect(resp.change_points.map((point) => [point.index, point.time])).toEqual([[13, "2026-11-14"]]);
    expect(resp.change_points[0]!.change_pct).toBeLessThan(-10);
    expect(Object.keys(resp.change_points[0]!).sort()).toEqual(["change_pct", "index", "mean_after", "mean_before", "pvalue", "time"]);
    const other = json.series.find((series) => series.name === "nightly connections=20 resp/s")!;
    expect(other.points[5]).toMatchObject({ time: "2026-11-06", gap: "cell failed (server_failed)" });
    // The table fits 100 columns.
    const table = await history(root, "--no-cache");
    expect(table.stdout).toMatch(/connections=10 resp\/s\s+2026-11-14\s+−1\d\.\d %/);
    expect(Math.max(...table.stdout.split("\n").map((line) => [...line].length))).toBeLessThanOrEqual(100);
    expect(JSON.parse(readFileSync(path.join(root, ".history.json"), "utf8"))).toHaveProperty("series");
  });

  it("--series runs on an Otava-style CSV and gives Otava's TigerBeetle change points", async () => {
    const { tigerbeetle } = JSON.parse(readFileSync(new URL("fixtures/otava/tigerbeetle.json", import.meta.url), "utf8")) as {
      tigerbeetle: number[];
    };
    const file = path.join(dir, "tb.csv");
    writeFileSync(file, stringify([["time", "throughput"], ...tigerbeetle.map((value, i) => [String(i), String(value)])]));
    const report = path.join(dir, "tb.report");
    const result = await history("--series", file, "--window", "30", "--p", "0.0001", "--json", "--report", report);
    const json = JSON.parse(result.stdout) as { series: { change_points: { index: number }[] }[] };
    expect(json.series[0]!.change_points.map((point) => point.index)).toEqual([71, 95, 117, 131, 142, 148, 192, 212]);
    // The trend report: one chart, inline in index.html and beside it, each change point labelled with its change; no script, no network.
    const html = readFileSync(path.join(report, "index.html"), "utf8");
    const svg = readFileSync(path.join(report, "series-001.svg"), "utf8");
    expect(html).toContain(svg);
    expect(svg).toMatch(/\+17\.1 % \(p 4e-22\)/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it("a foreign CSV, a malformed series CSV and an empty directory each exit 2 with what is wrong", async () => {
    const foreign = path.join(dir, "foreign.csv");
    writeFileSync(foreign, "name,price\napple,3\n");
    const a = await history(foreign);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("foreign.csv is not a tcpsweep results CSV: no run_id, cell, repeat, status, resp_per_s columns");
    const malformed = path.join(dir, "malformed.csv");
    writeFileSync(malformed, 'time,x\n1,2\n2,abc\n3,"unterminated\n');
    const b = await history("--series", malformed);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/malformed\.csv/);
    const notTime = path.join(dir, "nottime.csv");
    writeFileSync(notTime, "x,y\n1,2\n");
    const c = await history("--series", notTime);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('its first column is "x", expected "time"');
    const empty = path.join(dir, "empty");
    mkdirSync(empty);
    const d = await history(empty);
    expect(d.status).toBe(2);
    expect(d.stderr).toContain("holds no nights");
  });
});
