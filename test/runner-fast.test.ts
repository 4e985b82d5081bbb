/**
 * The runner's logic in milliseconds, on a fake launcher and a fake clock (test/helpers/fake-launcher.ts):
 * the order of runs, cooldowns, signals, --resume, named servers and the rows verdicts read, and
 * that every launcher opened is closed. What needs real processes (figures, process trees, ports)
 * stays in test/sweep-*.test.ts; docs/development.md lists which end-to-end checks moved here.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { readCsvRows } from "../src/rundir/results-csv.js";
import { expandCells } from "../src/sweep/matrix.js";
import { runSweep, type SweepOptions } from "../src/sweep/runner.js";
import { parseSpecText } from "../src/sweep/spec.js";
import { dropSweepSignalHandlersAfterEach, FakeLauncher, fakeLaunchers, seedReport, type FakeOutcome } from "./helpers/fake-launcher.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

dropSweepSignalHandlersAfterEach();

const SERVER = `server: {command: "/bin/echo server {port}"}`;
const CLIENT = `client: {command: "/bin/echo client {connections} {address}", parser: seed-text}`;

function specOf(dir: string, body: string) {
  const text = `name: fast\nduration: 1s\nwarmup: 0s\noutput: {csv: ${path.join(dir, "fast.csv")}}\n${body}\n`;
  const spec = parseSpecText(text, path.join(dir, "fast.yaml"), {}, { cwd: dir, onlineCpus: [0, 1] });
  return { spec, cells: expandCells(spec), csv: path.join(dir, "fast.csv") };
}

/** A sweep on the fake launcher; its printed text, the fake's record and the clock's waits. */
async function sweep(
  body: string,
  client: (argv: readonly string[], started: readonly string[]) => FakeOutcome,
  options: Partial<SweepOptions> & { dir?: string; onClient?: (argv: readonly string[]) => void } = {},
) {
  const dir = options.dir ?? makeTempDir();
  const { spec, cells, csv } = specOf(dir, body);
  const fake = new FakeLauncher(client, options.onClient);
  let printed = "";
  const out = new Writable({ write: (chunk, _enc, done) => ((printed += String(chunk)), done()) }) as unknown as NodeJS.WriteStream;
  const waits: number[] = [];
  const code = await runSweep(spec, cells, {
    resume: false,
    lockWaitMs: 0,
    out,
    verbosity: "quiet",
    chooseLaunchers: (s) => fakeLaunchers(fake, s),
    sleep: (ms) => (waits.push(ms), Promise.resolve()),
    ...options,
  });
  return { code, dir, csv, fake, waits, printed, rows: () => readCsvRows(csv) };
}

const clients = (fake: FakeLauncher) => fake.started.filter((argv) => argv.startsWith("/bin/echo client"));
const servers = (fake: FakeLauncher) => fake.started.filter((argv) => argv.startsWith("/bin/echo server"));

describe("the runner on a fake launcher", () => {
  it("runs repeat-major, one server per run (lifetime: cell), waits the cooldown between runs only, closes its launcher once", async () => {
    const body = `repeat: 2\ncooldown: 3s\nmatrix: {connections: [1, 2]}\n${SERVER}\n${CLIENT}`;
    const { code, fake, waits, rows } = await sweep(body, () => ({ stdout: seedReport(100) }));
    expect(code).toBe(0);
    expect(rows().map((row) => `${row.cell} #${row.repeat} ${row.status}`)).toEqual([
      "connections=1 #1 ok",
      "connections=2 #1 ok",
      "connections=1 #2 ok",
      "connections=2 #2 ok",
    ]);
    expect(clients(fake).map((argv) => argv.split(" ")[2])).toEqual(["1", "2", "1", "2"]);
    expect(servers(fake)).toHaveLength(4);
    expect(waits).toEqual([3000, 3000, 3000]);
    expect(fake.closed).toBe(1);
    // The figures a launcher without /proc cannot give are empty, not zero.
    expect(rows()[0]!.server_cpu_s).toBe("");
    expect(rows()[0]!.resp_per_s).toBe("100");
  });

  it("SIGINT as the second run's client runs: exit 130, that client stopped, the first row kept, nothing more started", async () => {
    const body = `matrix: {connections: [1, 2, 3]}\n${SERVER}\n${CLIENT}`;
    let clientsSeen = 0;
    const { code, fake, rows } = await sweep(body, (argv) => (argv[2] === "2" ? { hang: true } : { stdout: seedReport(100) }), {
      onClient: () => ++clientsSeen === 2 && queueMicrotask(() => process.emit("SIGINT", "SIGINT")),
    });
    expect(code).toBe(130);
    expect(rows().map((row) => row.cell)).toEqual(["connections=1"]);
    expect(clients(fake)).toHaveLength(2);
    expect(fake.closed).toBe(1);
  });

  it("--resume reruns only the run that was not ok, into the same run id; after that it says the run finished; a run without it gets a new id", async () => {
    const body = `matrix: {connections: [1, 2]}\n${SERVER}\n${CLIENT}`;
    const first = await sweep(body, (argv) => (argv[2] === "2" ? { exitCode: 1 } : { stdout: seedReport(100) }));
    expect(first.code).toBe(1);
    expect(first.rows().map((row) => row.status)).toEqual(["ok", "client_failed"]);
    const second = await sweep(body, () => ({ stdout: seedReport(120) }), { dir: first.dir, resume: true, verbosity: "normal" });
    expect(second.code).toBe(0);
    expect(second.printed).toContain(`1 runs (resuming run ${first.rows()[0]!.run_id}: 1 already ok)`);
    expect(clients(second.fake).map((argv) => argv.split(" ")[2])).toEqual(["2"]);
    const rows = second.rows();
    expect(rows.map((row) => `${row.cell} ${row.status}`)).toEqual(["connections=1 ok", "connections=2 client_failed", "connections=2 ok"]);
    expect(new Set(rows.map((row) => row.run_id)).size).toBe(1);
    const before = readFileSync(second.csv, "utf8");
    let runId = "";
    const third = await sweep(body, () => ({ stdout: seedReport(1) }), { dir: first.dir, resume: true, onRunId: (id) => (runId = id) });
    expect(third.code).toBe(0);
    expect(third.printed).toContain(`--resume: run ${runId} finished; nothing to resume`);
    expect(third.fake.started).toEqual([]);
    expect(readFileSync(second.csv, "utf8")).toBe(before);
    // Without --resume, a new run: its own run id.
    let freshId = "";
    await sweep(body, () => ({ stdout: seedReport(1) }), { dir: first.dir, onRunId: (id) => (freshId = id) });
    expect(freshId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(freshId).not.toBe(runId);
  });

  it("named servers: each run starts its own server's command, a cell's servers back to back, rotated per repeat; rows carry what verdicts read", async () => {
    const body = `repeat: 2\nmatrix: {connections: [1]}\nservers:\n  a: {command: "/bin/echo server a {port}"}\n  b: {command: "/bin/echo server b {port}"}\n${CLIENT}`;
    // Server a answers 100/s, b 200/s: the client's report depends on the server started last.
    const { code, fake, rows } = await sweep(body, (_argv, started) => ({
      stdout: seedReport(started.at(-2)?.includes(" a ") ? 100 : 200),
    }));
    expect(code).toBe(0);
    expect(servers(fake).map((argv) => argv.split(" ")[2])).toEqual(["a", "b", "b", "a"]);
    expect(rows().map((row) => `${row.server} #${row.repeat} ${row.status} ${row.resp_per_s}`)).toEqual([
      "a #1 ok 100",
      "b #1 ok 200",
      "b #2 ok 200",
      "a #2 ok 100",
    ]);
    expect(fake.closed).toBe(1);
  });
});
