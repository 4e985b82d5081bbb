/**
 * Interrupting the runner at every moment of a sweep, in milliseconds, on the fake launcher
 * (test/helpers/fake-launcher.ts): a SIGINT or SIGTERM at each moment (a start, a readiness check,
 * a client's exit, a stop, a cooldown, a progress line) gives exit 130 / 143, rows that are a whole
 * prefix of the plan, nothing left running and the lock released; `--resume` then runs exactly the
 * missing runs into the same run id. test/sweep-interrupt.test.ts keeps what needs real processes
 * (real signals to the CLI, process trees, ports); docs/development.md says which checks moved here.
 */
import { existsSync } from "node:fs";
import { Writable } from "node:stream";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { metaPath, readRunMeta } from "../src/rundir/run-dir.js";
import { expandCells } from "../src/sweep/matrix.js";
import { SIGNAL_HANDLERS_LINE, runSweep } from "../src/sweep/runner.js";
import { parseSpecText } from "../src/sweep/spec.js";
import { dropSweepSignalHandlersAfterEach, FakeLauncher, fakeLaunchers, seedReport } from "./helpers/fake-launcher.js";
import { finishedRuns, makeTempDir, readCsv, removeTempDirs } from "./helpers/sweep.js";

// Every sweep here describes the same /bin/echo commands, so the environment probe (uname, limits,
// the programs' hashes: most of a fake sweep's time) gives one answer: probed once, reused.
vi.mock("../src/environment/environment.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/environment/environment.js")>();
  let probed: ReturnType<typeof real.probeEnvironment> | undefined;
  return { ...real, probeEnvironment: (...args: Parameters<typeof real.probeEnvironment>) => (probed ??= real.probeEnvironment(...args)) };
});

afterAll(() => removeTempDirs());

dropSweepSignalHandlersAfterEach();

const EXPECTED_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
const CLIENT = `client: {command: "/bin/echo client {connections} {address}", parser: seed-text}`;

/** The sweeps interrupted: a server per run with cooldowns; named servers rotated per repeat. */
const SWEEPS = {
  "a server per run, cooldown": `repeat: 2\ncooldown: 1s\nmatrix: {connections: [1, 2]}\nserver: {command: "/bin/echo server {port}"}\n${CLIENT}`,
  "named servers": `repeat: 2\nmatrix: {connections: [1]}\nservers:\n  a: {command: "/bin/echo server a {port}"}\n  b: {command: "/bin/echo server b {port}"}\n${CLIENT}`,
};

/** One sweep on a fake launcher in `dir`; with `interrupt`, `signal` lands on the turn after moment number `at`. */
async function sweep(body: string, dir: string, resume: boolean, interrupt?: { at: number; signal: NodeJS.Signals }) {
  const text = `name: fast\nduration: 1s\nwarmup: 0s\noutput: {csv: ${path.join(dir, "fast.csv")}}\n${body}\n`;
  const spec = parseSpecText(text, path.join(dir, "fast.yaml"), {}, { cwd: dir, onlineCpus: [0, 1] });
  const moments: string[] = [];
  // A real signal is handled on a later turn of the event loop than the moment it was sent at.
  const moment = (name: string) => {
    if (moments.push(name) - 1 === interrupt?.at) setImmediate(() => process.emit(interrupt.signal, interrupt.signal));
  };
  const fake = new FakeLauncher(() => ({ stdout: seedReport(100) }), undefined, moment);
  let printed = "";
  const write = (chunk: unknown, _encoding: unknown, done: () => void) => {
    printed += String(chunk);
    moment(`print ${String(chunk).trim().slice(0, 80)}`);
    done();
  };
  const out = new Writable({ write }) as unknown as NodeJS.WriteStream;
  let runId = "";
  const code = await runSweep(spec, expandCells(spec), {
    resume,
    lockWaitMs: 0,
    out,
    onRunId: (id) => (runId = id),
    chooseLaunchers: (s) => fakeLaunchers(fake, s),
    sleep: () => (moment("cooldown"), new Promise((resolve) => setImmediate(resolve))),
  });
  const csv = spec.output.csv;
  const meta = runId ? readRunMeta(metaPath(csv, spec.name, runId)) : undefined;
  return { code, fake, printed, moments, csv, runId, meta };
}

type Sweep = Awaited<ReturnType<typeof sweep>>;
const runsOf = (rows: Record<string, string>[]) => rows.map((row) => `${row.cell} #${row.repeat}`);
const clientConnections = (fake: FakeLauncher) =>
  fake.started.filter((argv) => argv.startsWith("/bin/echo client")).map((argv) => argv.split(" ")[2]);

/** What every end of a sweep leaves, interrupted or not: whole rows only, nothing running, the launcher closed once, the lock gone. */
function expectClean(result: Sweep, context: string): Record<string, string>[] {
  expect(
    result.fake.processes.filter((proc) => !proc.hasExited).map((proc) => proc.argv.join(" ")),
    `left running\n${context}`,
  ).toEqual([]);
  expect(result.fake.closed, context).toBe(1);
  expect(existsSync(`${result.csv}.lock`), `lock left\n${context}`).toBe(false);
  if (!existsSync(result.csv)) return [];
  const csv = readCsv(result.csv);
  expect(csv.header[0], context).toBe("run_id");
  for (const record of csv.records) expect(record.length, `torn row: ${record.join(",")}\n${context}`).toBe(csv.header.length);
  expect(
    csv.rows.filter((row) => row.status !== "ok"),
    context,
  ).toEqual([]);
  return csv.rows;
}

/** The uninterrupted sweep: its runs in order, its clients' connections, and its moments up to the launcher's close. */
async function baselineOf(body: string) {
  const baseline = await sweep(body, makeTempDir(), false);
  expect(baseline.code).toBe(0);
  const plan = runsOf(expectClean(baseline, "baseline"));
  expect(plan).toHaveLength(4);
  // Up to the launcher's close: after it the runner has stopped listening (a later signal is the CLI's exit, end to end).
  const moments = baseline.moments.slice(0, baseline.moments.indexOf("close") + 1);
  expect(moments[0], "the first moment: the handlers are in").toBe(`print ${SIGNAL_HANDLERS_LINE.slice(0, 80)}`);
  const kinds = new Set(moments.map((name) => name.replace(/^print .*/, "print")));
  const expected = ["server start", "accepting", "client start", "client exit", "stop", "port", "close", "print"];
  for (const kind of [...expected, ...(body.includes("cooldown") ? ["cooldown"] : [])])
    expect(kinds.has(kind), `${kind} among ${[...kinds].join(", ")}`).toBe(true);
  return { plan, connections: clientConnections(baseline.fake), moments };
}

/** One trial: `signal` after moment `at`, the checks of the interrupted sweep, then `--resume` and its checks. */
async function interruptThenResume(body: string, base: Awaited<ReturnType<typeof baselineOf>>, at: number, signal: NodeJS.Signals) {
  const dir = makeTempDir();
  const cut = await sweep(body, dir, false, { at, signal });
  const context = `${signal} after moment ${at} (${base.moments[at]}) of ${base.moments.join(" | ")}\n${cut.printed}`;
  expect(cut.code, context).toBe(EXPECTED_STATUS[signal as keyof typeof EXPECTED_STATUS]);
  expect(cut.printed, context).toContain(`${signal}: stopping the current cell and every child process; rows written so far are kept`);
  const rows = expectClean(cut, context);
  // Only finished runs have rows, in the plan's order, as many as the progress reported; nothing started after the signal.
  expect(runsOf(rows), context).toEqual(base.plan.slice(0, rows.length));
  expect(rows.length, context).toBe(finishedRuns(cut.printed));
  expect(clientConnections(cut.fake).length, context).toBeLessThanOrEqual(rows.length + 1);
  const handled = cut.moments.findIndex((name) => name.startsWith("print ") && name.includes(`${signal}: stopping`));
  expect(handled, context).toBeGreaterThan(at);
  expect(
    cut.moments.slice(handled).filter((name) => name.endsWith(" start")),
    `started after the signal\n${context}`,
  ).toEqual([]);
  // Finished only when every run has its row (a signal as the last row is written finds the work done).
  if (cut.meta && rows.length < base.plan.length) expect(cut.meta.finished_at, context).toBeNull();

  const resumed = await sweep(body, dir, true);
  expect(resumed.code, `--resume\n${context}\n${resumed.printed}`).toBe(0);
  const final = expectClean(resumed, `--resume\n${context}`);
  if (cut.meta && !cut.meta.finished_at)
    expect(resumed.printed, context).toContain(`(resuming run ${cut.runId}: ${rows.length} already ok)`);
  expect(clientConnections(resumed.fake), `--resume ran exactly the missing runs\n${context}`).toEqual(base.connections.slice(rows.length));
  expect(runsOf(final), `each run once\n${context}`).toEqual(base.plan);
  expect(new Set(final.map((row) => row.run_id)).size, context).toBe(1);
  if (rows.length > 0) expect(resumed.runId, context).toBe(rows[0]!.run_id);
  expect(resumed.meta?.finished_at, context).toEqual(expect.any(String));
  const cutMidRun = cut.fake.processes.some((proc) => proc.argv[1] === "client" && proc.endedBy === "runner");
  return { rows: rows.length, cutMidRun };
}

describe.each(Object.entries(SWEEPS).map(([name, body], offset) => [name, body, offset] as const))(
  "interrupting the runner at every moment: %s",
  (_name, body, offset) => {
    it("each moment, SIGINT or SIGTERM: exit 130 / 143, the rows a whole prefix of the plan, nothing running; --resume runs exactly the rest", async () => {
      const base = await baselineOf(body);
      const outcomes = [];
      // SIGINT and SIGTERM take turns over the moments (the two sweeps start on different ones): the
      // signal only picks the exit status and the message, so each moment's path is checked once per sweep.
      for (const at of base.moments.keys())
        outcomes.push(await interruptThenResume(body, base, at, (at + offset) % 2 === 0 ? "SIGINT" : "SIGTERM"));
      // The moments reach every part of the sweep: before any row, a client stopped mid-run, every row but the last.
      expect(outcomes.filter((outcome) => outcome.rows === 0).length).toBeGreaterThan(0);
      expect(outcomes.filter((outcome) => outcome.cutMidRun).length).toBeGreaterThanOrEqual(base.plan.length);
      for (let rows = 0; rows < base.plan.length; rows++)
        expect(
          outcomes.some((outcome) => outcome.rows === rows),
          `${rows} rows`,
        ).toBe(true);
    });
  },
);
