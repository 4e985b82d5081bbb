/**
 * `tcpsweep run --resume` keeps a run whole: a real sweep interrupted at seeded random moments and
 * resumed until it finishes is one run_id with every cell × repeat once and ok; its meta.json
 * records the start, each resume and the finish; the report and compare see every cell; a
 * finished run is never resumed. `run --json` reports the whole run.
 */
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SIGNAL_HANDLERS_LINE } from "../src/sweep/runner.js";
import {
  finishedRuns,
  killRunningClis,
  makeTempDir,
  readCsv,
  removeTempDirs,
  runCli,
  startCli,
  stillAlive,
  waitFor,
  writeSpec,
  type CliHandle,
} from "./helpers/sweep.js";
import { seeded } from "./helpers/seeded.js";
import { parse as parseCsv } from "csv-parse/sync";
import { formatPair } from "../src/compare/by-dimension-format.js";
import type { DimensionVerdicts } from "../src/compare/by-dimension.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const CELLS = ["connections=1", "connections=2"];
const REPEATS = 3;

describe("run --resume", () => {
  it(
    "interrupted at random moments and resumed until done: one run_id, every cell × repeat once and ok, report and compare see every cell",
    { timeout: 150_000 },
    async () => {
      const dir = makeTempDir("tcpsweep-resume-");
      const spec = writeSpec(dir, {
        name: "res",
        duration: "0.5s",
        warmup: "0.2s",
        repeat: REPEATS,
        matrix: { connections: [1, 2] },
        server: { builtin: true },
        output: { csv: "out/res.csv" },
      });
      const csv = path.join(dir, "out/res.csv");
      // Four interrupted attempts, each at an event of its own run, in a seeded order: right after the signal
      // handlers are installed, while a client measures, and twice after a row was appended (so at least one
      // interruption leaves a partly written run whatever the machine's speed). Then attempts run to the end.
      const random = seeded(15);
      const moments = ["handlers", "client", "row", "row"]
        .map((moment) => ({ moment, key: random() }))
        .sort((a, b) => a.key - b.key)
        .map((entry) => entry.moment);
      const reached = (cli: CliHandle, moment: string | undefined) => {
        const stderr = cli.stderrSoFar();
        if (moment === "handlers") return stderr.includes(SIGNAL_HANDLERS_LINE);
        if (moment === "client") return cli.descendants().some((proc) => / (?:warm-)?client( |$)/.test(proc.cmdline) && stillAlive(proc));
        return finishedRuns(stderr) >= 1; // a row is appended just before its progress line
      };
      let interrupted = 0;
      let sawUnfinished = false;
      let last = { code: -1 as number | null, stdout: "", stderr: "" };
      for (let attempt = 0; attempt < 15 && last.code !== 0; attempt++) {
        const cli = startCli(["run", spec, "--resume", "--json"], { cwd: dir, timeoutMs: 60_000 });
        const moment = moments[attempt];
        if (moment !== undefined) {
          expect(
            await waitFor(() => reached(cli, moment) || cli.child.exitCode !== null, 50_000),
            `attempt ${attempt} never reached "${moment}"\n${cli.stderrSoFar()}`,
          ).toBe(true);
          if (cli.child.exitCode === null) {
            process.kill(cli.pid, "SIGINT");
            interrupted++;
          }
        }
        last = await cli.result;
        expect([0, 130], last.stderr).toContain(last.code);
        const json = JSON.parse(last.stdout);
        expect(json.exit_status).toBe(last.code);
        if (attempt > 0 && json.run_id)
          expect(last.stderr).toMatch(new RegExp(`resuming run ${json.run_id}: \\d+ already ok|nothing to resume`));
        if (last.code === 130 && json.cells.length > 0) {
          // A run is never compared with itself: a copy of the CSV beside it (same meta.json) is the other side.
          const copy = path.join(dir, "out/res-copy.csv");
          copyFileSync(csv, copy);
          const partial = await runCli(["compare", copy, csv, "--json"], { cwd: dir });
          expect(JSON.parse(partial.stdout).new.finished, "compare knows the run is not finished").toBe(false);
          sawUnfinished = true;
        }
      }
      expect(sawUnfinished).toBe(true);
      expect(last.code, last.stderr).toBe(0);
      expect(interrupted).toBe(moments.length);

      const rows = readCsv(csv).rows;
      const runIds = [...new Set(rows.map((row) => row.run_id))];
      expect(runIds, "one run, however often it was interrupted").toHaveLength(1);
      const keys = rows.map((row) => `${row.cell}#${row.repeat}`).sort();
      expect(keys).toEqual(CELLS.flatMap((cell) => [1, 2, 3].map((repeat) => `${cell}#${repeat}`)).sort());
      expect(rows.every((row) => row.status === "ok")).toBe(true);

      const metaFiles = readdirSync(path.join(dir, "out")).filter((name) => name.endsWith(".meta.json"));
      expect(metaFiles).toEqual([`res.${runIds[0]}.meta.json`]);
      const meta = JSON.parse(readFileSync(path.join(dir, "out", metaFiles[0]!), "utf8"));
      expect(meta.finished_at > meta.started_at).toBe(true);
      expect(meta.resumed_at.length).toBeGreaterThanOrEqual(interrupted);

      const final = JSON.parse(last.stdout);
      expect(final.run_id).toBe(runIds[0]);
      expect(final.cells.map((cell: { cell: string; ok: number; status: string }) => [cell.cell, cell.ok, cell.status])).toEqual(
        CELLS.map((cell) => [cell, REPEATS, "ok"]),
      );
      // The summary CSV, rewritten as the last resume ended, has every cell of the run with the figures run --json shows.
      const summary = readCsv(path.join(dir, "out/res.summary.csv")).rows;
      expect(summary.map((row) => [row.run_id, row.cell, row.runs, row.runs_ok, row.worst_status])).toEqual(
        CELLS.map((cell) => [runIds[0], cell, "3", "3", "ok"]),
      );
      final.cells.forEach((cell: { figures: Record<string, unknown> }, i: number) =>
        expect(summary[i]!.resp_per_s_median).toBe(String(cell.figures.resp_per_s_median)),
      );
      expect(final.cells[0].medians.resp_per_s).toBeGreaterThan(0);

      const report = await runCli(["report", csv], { cwd: dir });
      expect(report.code, report.stderr).toBe(0);
      expect(report.stdout).toContain(`report of run ${runIds[0]} (2 cells)`);
      const finishedCopy = path.join(dir, "out/res-finished.csv");
      copyFileSync(csv, finishedCopy);
      const compared = await runCli(["compare", finishedCopy, csv], { cwd: dir });
      expect(compared.stdout).toContain("2 cells compared");
      expect(compared.stdout).not.toContain("NOT FINISHED");
      expect(compared.stdout).toContain(`${REPEATS}/${REPEATS} ${REPEATS}/${REPEATS}`);

      // A finished run is never resumed.
      const before = readFileSync(csv, "utf8");
      const again = await runCli(["run", spec, "--resume", "--json"], { cwd: dir });
      expect(again.code).toBe(0);
      expect(again.stderr).toContain(`--resume: run ${runIds[0]} finished; nothing to resume`);
      expect(readFileSync(csv, "utf8")).toBe(before);
      expect(JSON.parse(again.stdout).run_id).toBe(runIds[0]);
    },
  );

  // A run not ok rerun under the same run_id ("1 already ok"), and a new id without --resume: runner-fast's
  // --resume test; an interrupted run resumed at every moment: runner-interrupt (docs/development.md).

  it(
    "a resumed two-server run prints the verdicts of the whole run, the same as its --json (read from the CSV once it ends)",
    { timeout: 120_000 },
    async () => {
      const parse = (line: string) => parseCsv(line) as string[][];
      const dir = makeTempDir("tcpsweep-resume-");
      const spec = writeSpec(dir, {
        name: "duo",
        duration: "0.3s",
        warmup: "0.1s",
        repeat: 3,
        matrix: { connections: [2] },
        servers: { a: { builtin: true }, b: { builtin: true } },
        output: { csv: "duo.csv" },
      });
      const first = await runCli(["run", spec], { cwd: dir });
      expect(first.code, first.stderr).toBe(0);
      const csvFile = path.join(dir, "duo.csv");
      const runId = readCsv(csvFile).rows[0]!.run_id!;
      // Make it a run interrupted before its third repeat: meta.json without finished_at, the repeat-3 rows gone.
      const metaFile = path.join(dir, `duo.${runId}.meta.json`);
      writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(readFileSync(metaFile, "utf8")), finished_at: null }));
      const [header, ...lines] = readFileSync(csvFile, "utf8").trimEnd().split("\n");
      const repeatColumn = parse(header!)[0]!.indexOf("repeat");
      const third = (line: string) => parse(line)[0]![repeatColumn] === "3";
      writeFileSync(csvFile, [header, ...lines.filter((line) => !third(line))].join("\n") + "\n");
      const resumed = await runCli(["run", spec, "--resume", "--json"], { cwd: dir });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain(`2 runs (resuming run ${runId}: 4 already ok)`);
      const verdicts = (JSON.parse(resumed.stdout) as { verdicts: DimensionVerdicts }).verdicts;
      const printed = resumed.stderr.slice(resumed.stderr.indexOf("verdicts by server")).split("\n");
      // Only the 2 runs of repeat 3 ran in this process; the verdicts judge all 3 repeats of each server, as --json does.
      expect(verdicts.pairs.length).toBe(2); // resp/s and p99
      for (const pair of verdicts.pairs) {
        expect(pair.n).toEqual({ better: 3, worse: 3 });
        expect(printed).toContain(`  ${formatPair(pair, verdicts).verdict}`);
      }
      expect(printed.filter((line) => / at connections=2/.test(line)).length).toBe(2);
      // The pivot too is of the whole run.
      expect(resumed.stderr).toContain("6 runs, 0 not ok");
    },
  );
});
