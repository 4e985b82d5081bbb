/**
 * Issue 20, spreadsheet-safe CSVs: every text cell that a spreadsheet could take for a formula is
 * neutralised, numbers stay numbers, tcpsweep reads its own cells back exactly, and a client's
 * figures are numbers or the row fails (its own row; the sweep goes on).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it } from "vitest";
import { CsvWriter } from "../src/output/csv.js";
import { summaryToCsv, parseStraceSummary, type StraceSummary } from "../src/profile/strace-summary.js";
import { readCsvRows } from "../src/rundir/results-csv.js";
import { parseClientOutput } from "../src/sweep/client-output.js";
import type { ClientSpec } from "../src/sweep/spec.js";
import { looksLikeFormula, neutraliseCsvText, restoreCsvText } from "../src/untrusted/csv-cell.js";
import { specIssueLines } from "./helpers/spec-issues.js";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const PAYLOADS = ['+HYPERLINK("http://evil.example/x")', "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "\t+1+1", "=1+1", "\r=2", "-A1"];

describe("CSV cells", () => {
  it("neutralises every formula start with a leading ' and reads it back exactly", () => {
    for (const text of [...PAYLOADS, "'=x", "''-y"]) {
      const cell = neutraliseCsvText(text);
      expect(looksLikeFormula(cell), text).toBe(false);
      expect(cell.startsWith("'"), text).toBe(true);
      expect(restoreCsvText(cell)).toBe(text);
    }
    for (const plain of ["-5", "+1.5", "-2e3", "abc", "'quoted", ""]) {
      expect(neutraliseCsvText(plain)).toBe(plain);
      expect(restoreCsvText(plain)).toBe(plain);
    }
  });

  it("CsvWriter: text neutralised in header and rows, negative numbers stay numbers, read back as written", () => {
    const file = path.join(makeTempDir(), "x.csv");
    const writer = new CsvWriter(file, ["spec", "=k", "value", "figure"]);
    writer.open("new");
    writer.append(...PAYLOADS.map((text, i) => ({ spec: "-A1", "=k": text, value: text, figure: -i - 0.5 })));
    const raw = parse(readFileSync(file, "utf8")) as string[][];
    expect(raw[0]).toEqual(["spec", "'=k", "value", "figure"]);
    for (const record of raw.slice(1)) {
      for (const cell of record.slice(0, 3)) expect(looksLikeFormula(cell), cell).toBe(false);
      expect(Number(record[3])).toBeLessThan(0);
    }
    const back = readCsvRows(file);
    expect(back.map((row) => row.value)).toEqual(PAYLOADS);
    expect(back[0]!["=k"]).toBe(PAYLOADS[0]);
  });

  it("strace-parse --csv neutralises a syscall named like a formula", () => {
    const text = [
      "% time     seconds  usecs/call     calls    errors syscall",
      "------ ----------- ----------- --------- --------- ----------------",
      '100.00    0.000100          10        10           =HYPERLINK("x")',
      "------ ----------- ----------- --------- --------- ----------------",
      "100.00    0.000100          10        10           total",
    ].join("\n");
    const summary = parseStraceSummary(text) as StraceSummary;
    expect(summary.rows[0]!.syscall).toBe('=HYPERLINK("x")');
    const records = parse(summaryToCsv(summary)) as string[][];
    expect(records[1]![1]).toBe(`'=HYPERLINK("x")`);
  });
});

describe("client figures are numbers or the row fails", () => {
  const json = { parser: "json" } as ClientSpec;
  const base = { requests: 10, responses: 10, resp_per_s: 5, req_per_s: 5 };

  it("a text figure fails the row, naming the field", () => {
    const parsed = parseClientOutput(json, JSON.stringify({ ...base, responses: "=HYPERLINK(1)" }));
    expect(parsed).toEqual({ error: expect.stringContaining("responses") });
  });

  it('"remote": {} fails the row, naming what is missing', () => {
    const parsed = parseClientOutput(json, JSON.stringify({ ...base, remote: {} }));
    expect(parsed).toEqual({ error: expect.stringContaining("remote.client_hosts") });
  });

  it("null, an array or a nested field of the wrong type fail the row", () => {
    for (const line of ["null", "[1]", JSON.stringify({ ...base, latency_us: 5 }), JSON.stringify({ ...base, errors: "x" })]) {
      expect(parseClientOutput(json, line), line).toHaveProperty("error");
    }
  });

  it("a regex group that fills a figure must be a number", () => {
    const client = { parser: "regex", regex: /rps=(?<resp_per_s>\S+) tag=(?<tag>\S+)/ } as ClientSpec;
    expect(parseClientOutput(client, "rps==1+1 tag=x")).toEqual({ error: expect.stringContaining("resp_per_s") });
    expect(parseClientOutput(client, "rps=12.5 tag==x")).toEqual({ figures: { resp_per_s: 12.5 }, extra: { tag: "=x" } });
  });

  it("the spec refuses a regex group named like a column tcpsweep writes itself, located", () => {
    const spec = [
      "name: g",
      "address: 127.0.0.1:9",
      "matrix: {connections: [1]}",
      "client:",
      "  command: prog",
      "  parser: regex",
      "  regex: '(?<hostname>\\S+) (?<status>\\S+) (?<resp_per_s>\\d+)'",
    ].join("\n");
    const lines = specIssueLines(spec, "g.yaml", { cliEntry: "/x", cwd: "/tmp", onlineCpus: [0] });
    expect(lines).toEqual([expect.stringMatching(/^g\.yaml:7 client\.regex: named groups "hostname", "status" would overwrite/)]);
  });
});

describe("a sweep with hostile matrix values and client output", () => {
  it("writes no cell a spreadsheet evaluates, fails only the bad rows and goes on", async () => {
    const dir = makeTempDir();
    const client = path.join(dir, "client.mjs");
    writeSpec(
      dir,
      [
        "const base = { requests: 10, responses: 10, resp_per_s: 1, req_per_s: 1 };",
        "const kind = process.argv[2];",
        'console.log(JSON.stringify(kind === "inj" ? { ...base, responses: "=HYPERLINK(1)" } : kind === "remote" ? { ...base, remote: {} } : base));',
      ].join("\n"),
      "client.mjs",
    );
    const spec = writeSpec(dir, {
      name: "-A1",
      duration: 1,
      warmup: 0,
      address: "127.0.0.1:9",
      matrix: {
        v: ['+HYPERLINK("http://evil.example/x")', "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "\t+1+1", -5],
        kind: ["inj", "remote", "fine"],
      },
      client: { command: `${process.execPath} ${client} {kind} {v}`, parser: "json" },
      output: { csv: "out/r.csv" },
    });
    const result = await runCli(["run", spec], { cwd: dir });
    expect(result.status, result.stderr).toBe(1); // some rows not ok
    const records = parse(readFileSync(path.join(dir, "out/r.csv"), "utf8")) as string[][];
    expect(records).toHaveLength(16);
    for (const record of records) for (const cell of record) expect(looksLikeFormula(cell), cell).toBe(false);
    const rows = readCsvRows(path.join(dir, "out/r.csv"));
    expect(rows.filter((row) => row.kind === "fine").map((row) => row.status)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(
      rows.filter((row) => row.kind !== "fine").every((row) => row.status === "parse_error" && row.error.startsWith("client JSON")),
    ).toBe(true);
    expect(rows.find((row) => row.v === "-5")!.spec).toBe("-A1");
  }, 60_000);
});
