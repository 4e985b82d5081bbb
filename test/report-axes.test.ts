/**
 * The report's chart axes follow the keys that vary in the run (issue 30): a sweep narrowed with
 * `--only connections=100` draws threads across, not one x value per chart. Pure logic on a CSV as
 * tcpsweep writes it (the rendering itself is test/report.test.ts's).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { afterAll, describe, expect, it } from "vitest";
import { csvHeader } from "../src/output/columns.js";
import { loadReportData } from "../src/report/data.js";
import { metaPath } from "../src/rundir/run-dir.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

function writeRun(connections: number[], threads: number[]): string {
  const header = csvHeader(["connections", "threads"]);
  const rows = connections.flatMap((c) =>
    threads.map((t, i): Record<string, string | number> => ({
      run_id: "20261207T050000Z-abcd",
      started_at: `2026-12-07T05:00:0${i}.000Z`,
      spec: "smoke",
      cell: `connections=${c},threads=${t}`,
      repeat: 1,
      connections: c,
      threads: t,
      duration_s: 2,
      resp_per_s: 1000 * t,
      latency_p99_us: 500,
      success_rate_pct: 100,
      status: "ok",
    })),
  );
  const csv = path.join(makeTempDir(), "smoke.csv");
  writeFileSync(csv, stringify([header, ...rows.map((row) => header.map((column) => row[column] ?? ""))]));
  return csv;
}

describe("report axes and run info", () => {
  it("--only connections=100: threads, the key that still varies, goes across", () => {
    const data = loadReportData(writeRun([100], [1, 2, 4]));
    expect(data.xKey).toBe("threads");
    expect(data.seriesKey).toBe("connections");
  });
  it("the whole matrix: connections across, threads as lines", () => {
    const data = loadReportData(writeRun([10, 100], [1, 2]));
    expect([data.xKey, data.seriesKey]).toEqual(["connections", "threads"]);
  });
  it("the tcpsweep version names its commit once (issue 30: `(git f54b5ac, …) (f54b5ac)`)", () => {
    const csv = writeRun([10], [1]);
    const tcpsweep = { version: "tcpsweep 0.2.0 (git f54b5ac, node v24.1.0)", git_describe: "f54b5ac" };
    writeFileSync(metaPath(csv, "smoke", "20261207T050000Z-abcd"), JSON.stringify({ tcpsweep }));
    expect(loadReportData(csv).meta?.tcpsweep).toBe("tcpsweep 0.2.0 (git f54b5ac, node v24.1.0)");
  });
});
