/**
 * The nightly layout in one module (src/rundir/nightly-layout.ts): which files of a night are
 * results CSVs, and which calibration applies to a night's CSV. Real files in a temporary directory.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { calibrationOf, nightlyCsvs, nightlyPaths } from "../src/rundir/nightly-layout.js";
import { cpuFramesCsvPath, summaryCsvPath, syscallsCsvPath, calibrationRunsCsvPath, isResultsCsvName } from "../src/rundir/run-dir.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterEach(removeTempDirs);

describe("the nightly layout", () => {
  it("a night's results CSVs, never the CSVs written beside them; nights in date order; hidden entries skipped", () => {
    const root = makeTempDir();
    for (const night of ["2026-12-02", "2026-12-01"]) {
      const paths = nightlyPaths(root, night, "sweeps/full.yaml");
      mkdirSync(paths.out, { recursive: true });
      for (const file of [
        paths.csv,
        summaryCsvPath(paths.csv),
        syscallsCsvPath(paths.csv),
        cpuFramesCsvPath(paths.csv),
        calibrationRunsCsvPath(paths.csv),
      ])
        writeFileSync(file, "run_id\n");
      writeFileSync(path.join(paths.out, "smoke.csv"), "run_id\n");
    }
    mkdirSync(path.join(root, ".lock-dir"));
    writeFileSync(path.join(root, "full.calibration.json"), "{}");
    expect(nightlyCsvs(root).map(({ night, spec }) => `${night}/${spec}`)).toEqual([
      "2026-12-01/full",
      "2026-12-01/smoke",
      "2026-12-02/full",
      "2026-12-02/smoke",
    ]);
    expect(nightlyPaths(root, "2026-12-02", "full.yaml").previous).toBe(path.join(root, "2026-12-01", "full.csv"));
    expect(isResultsCsvName("full.cpu-frames.csv")).toBe(false);
    expect(isResultsCsvName("full.summary.csv.bak")).toBe(false);
  });

  it("a dangling link, a link loop or a file among the nights is no night, and does not stop the listing", () => {
    const root = makeTempDir();
    const paths = nightlyPaths(root, "2026-12-01", "full.yaml");
    mkdirSync(paths.out, { recursive: true });
    writeFileSync(paths.csv, "run_id\n");
    symlinkSync(path.join(root, "gone"), path.join(root, "2026-12-02"));
    writeFileSync(path.join(root, "2026-12-03"), "not a directory");
    symlinkSync(path.join(root, "2026-12-04"), path.join(root, "2026-12-04")); // a loop: ELOOP
    expect(nightlyCsvs(root).map(({ night, spec }) => `${night}/${spec}`)).toEqual(["2026-12-01/full"]);
  });

  it("the calibration of a night's CSV is the spec's, above the nights, unless one lies beside the CSV", () => {
    const root = makeTempDir();
    const csv = nightlyPaths(root, "2026-12-01", "full.yaml").csv;
    mkdirSync(path.dirname(csv), { recursive: true });
    expect(calibrationOf(csv)).toBeUndefined();
    writeFileSync(path.join(root, "full.calibration.json"), "{}");
    expect(calibrationOf(csv)).toBe(path.join(root, "full.calibration.json"));
    writeFileSync(path.join(root, "2026-12-01", "full.calibration.json"), "{}");
    expect(calibrationOf(csv)).toBe(path.join(root, "2026-12-01", "full.calibration.json"));
  });
});
