/**
 * Issue 33, class 12: control characters in values (a matrix value read from a CSV) are dropped
 * from the standalone SVGs, which stay well-formed XML (checked with python3's XML parser).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { afterAll, describe, expect, it } from "vitest";
import { csvHeader } from "../src/output/columns.js";
import { writeReport } from "../src/report/report.js";
import { requireTool } from "./helpers/system-tools.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

const HOSTILE = ["a\u0001b", "esc\u001b[2Jx", "nul\u0000z", "bell\u0007", "ff\u000c\u000b"];

describe("standalone SVGs with control characters in values", () => {
  it("are well-formed XML and hold none of them", async () => {
    const header = csvHeader(["connections", "mode"]);
    const rows = [10, 100].flatMap((c) =>
      HOSTILE.map((mode, i): Record<string, string | number> => ({
        run_id: "20261207T050000Z-abcd",
        started_at: `2026-12-07T05:00:0${i}.000Z`,
        spec: "smoke",
        cell: `connections=${c},mode=${mode}`,
        repeat: 1,
        connections: c,
        mode,
        duration_s: 2,
        resp_per_s: 1000 + i,
        latency_p99_us: 500,
        success_rate_pct: 100,
        status: "ok",
      })),
    );
    const dir = makeTempDir();
    const csv = path.join(dir, "smoke.csv");
    writeFileSync(csv, stringify([header, ...rows.map((row) => header.map((column) => row[column] ?? ""))]));
    const out = path.join(dir, "report");
    await writeReport(csv, { out });
    const svgs = readdirSync(out).filter((name) => name.endsWith(".svg"));
    expect(svgs.length).toBeGreaterThan(0);
    for (const name of svgs) {
      const file = path.join(out, name);
      expect(readFileSync(file, "utf8"), name).not.toMatch(
        /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|&#x?0*(?:[0-8]|1[1-9]|2\d|3[01]|[bcef]|1[0-9a-f]);/i,
      );
      const parsed = execFileSync(
        requireTool("python3"),
        ["-c", "import sys, xml.etree.ElementTree as t; t.parse(sys.argv[1]); print('ok')", file],
        {
          encoding: "utf8",
        },
      );
      expect(parsed.trim(), name).toBe("ok");
    }
    expect(readFileSync(path.join(out, svgs[0]!), "utf8")).toContain("ab");
  }, 60_000);
});
