/**
 * src/rundir/: the names of the files beside a CSV (users and scripts rely on them), choosing a
 * run of a CSV, and the one CSV reader's messages for input that is not a tcpsweep CSV.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BadInputError } from "../src/model/bad-input.js";
import { readCsvRows, readResultsCsv } from "../src/rundir/results-csv.js";
import { lockPath, metaPath, rawDirPath, reportDirPath, runMetasOf, syscallsCsvPath } from "../src/rundir/run-dir.js";
import { chooseRun, groupByCell, runsOf } from "../src/rundir/runs.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "tcpsweep-rundir-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the files beside results/smoke.csv", () => {
  it("are named as the README says", () => {
    const csv = path.join("results", "smoke.csv");
    expect(syscallsCsvPath(csv)).toBe(path.join("results", "smoke.syscalls.csv"));
    expect(rawDirPath(csv, "R1")).toBe(path.join("results", "smoke.raw", "R1"));
    expect(metaPath(csv, "spec-a", "R1")).toBe(path.join("results", "spec-a.R1.meta.json"));
    expect(lockPath(csv)).toBe(path.join("results", "smoke.csv.lock"));
    expect(reportDirPath(csv)).toBe(path.join("results", "smoke.report"));
  });

  it("runMetasOf finds a spec's meta.json files of this CSV only", () => {
    const csv = path.join(dir, "metas.csv");
    const write = (spec: string, runId: string, csvOf: string) =>
      writeFileSync(metaPath(csv, spec, runId), JSON.stringify({ run_id: runId, spec_name: spec, csv: csvOf }));
    write("a", "r1", csv);
    write("a", "r2", path.join(dir, "other.csv")); // another CSV in the same directory
    write("ab", "r3", csv); // a spec whose name starts like this one's
    writeFileSync(metaPath(csv, "a", "broken"), "{");
    expect(runMetasOf(csv, "a").map((meta) => meta.run_id)).toEqual(["r1"]);
  });
});

describe("the runs of a CSV", () => {
  const rows = [
    { run_id: "late", started_at: "2026-01-02T00:00:00Z", spec: "s", cell: "c=1", repeat: "1", status: "ok" },
    { run_id: "early", started_at: "2026-01-01T00:00:00Z", spec: "s", cell: "c=1", repeat: "1", status: "failed" },
    { run_id: "early", started_at: "2026-01-01T00:05:00Z", spec: "s", cell: "c=1", repeat: "1", status: "ok" },
  ];

  it("oldest first by started_at; the latest by default, another by id; an unknown id names the runs there are", () => {
    const runs = runsOf(rows);
    expect(runs.map((run) => [run.runId, run.startedAt, run.lastStartedAt, run.rows.length])).toEqual([
      ["early", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", 2],
      ["late", "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z", 1],
    ]);
    expect(chooseRun(runs, undefined, "x.csv").runId).toBe("late");
    expect(chooseRun(runs, "early", "x.csv").runId).toBe("early");
    expect(() => chooseRun(runs, "nope", "x.csv")).toThrow(new BadInputError("x.csv has no run nope; its runs: early, late"));
  });

  it("of a cell × repeat written twice (resumed), the later row counts", () => {
    const cells = groupByCell(runsOf(rows)[0]!.rows);
    expect([...cells.values()].map((cell) => cell.rows.map((row) => row.status))).toEqual([["ok"]]);
  });
});

describe("reading a results CSV", () => {
  const file = (name: string, text: string) => {
    const target = path.join(dir, name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
    return target;
  };
  const source = { what: "results CSV", label: "NEW", required: ["run_id", "status"] };

  it("rows as column → text, a short row's missing cells empty", () => {
    const csv = file("ok.csv", "run_id,status,extra\nr1,ok,1\nr2,failed\n");
    expect(readResultsCsv(csv, source).rows).toEqual([
      { run_id: "r1", status: "ok", extra: "1" },
      { run_id: "r2", status: "failed", extra: "" },
    ]);
    expect(readCsvRows(path.join(dir, "missing.csv"))).toEqual([]);
  });

  it("says what is wrong with input that is not a tcpsweep CSV", () => {
    const cases: [string, string][] = [
      [path.join(dir, "missing.csv"), `cannot read NEW ${path.join(dir, "missing.csv")}: no such file`],
      [
        file("foreign.csv", "a,b\n1,2\n"),
        `NEW ${path.join(dir, "foreign.csv")} is not a tcpsweep results CSV: no run_id, status columns in its header`,
      ],
      [file("empty.csv", "run_id,status\n"), `NEW ${path.join(dir, "empty.csv")} has a header but no rows`],
      [file("quote.csv", 'run_id,status\n"r1,ok\n'), `NEW ${path.join(dir, "quote.csv")} is not a tcpsweep results CSV: not CSV (`],
    ];
    for (const [csv, message] of cases) {
      expect(() => readResultsCsv(csv, source), csv).toThrow(BadInputError);
      expect(() => readResultsCsv(csv, source), csv).toThrow(message);
    }
  });
});
