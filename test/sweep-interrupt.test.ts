/**
 * Interrupting `tcpsweep run` (SIGINT / SIGTERM): exit 130 / 143, only whole rows in the CSV,
 * no child process left, ports free, and `--resume` completes the sweep without duplicates.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  killRunningClis,
  leftoverProcesses,
  makeTempDir,
  portIsFree,
  portsOf,
  readCsv,
  removeTempDirs,
  runCli,
  sleep,
  startCli,
  waitFor,
  writeSpec,
  type CliResult,
} from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const EXPECTED_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;

function sweepSpec(csv: string, matrix: Record<string, unknown>, duration = "1s", repeat = 1) {
  return { name: "interrupt", duration, warmup: 0, repeat, matrix, server: { builtin: true }, client: { builtin: true, threads: 1 }, output: { csv } };
}

/** Whatever the moment of the interrupt: no process left, the servers' ports free, the CSV made of whole rows. */
async function expectCleanAfterInterrupt(result: CliResult, csvFile: string): Promise<Record<string, string>[]> {
  expect(leftoverProcesses(result), "processes left behind").toEqual([]);
  for (const port of portsOf(result.descendants, / server /)) expect(await portIsFree(port), `port ${port} still taken`).toBe(true);
  expect(result.stderr, "no crash").not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
  if (!existsSync(csvFile)) return [];
  const csv = readCsv(csvFile);
  expect(csv.header[0]).toBe("run_id");
  for (const record of csv.records) expect(record.length, `torn row: ${record.join(",")}`).toBe(csv.header.length);
  // An interrupted run writes no row: every row there is a run that finished.
  for (const row of csv.rows) expect(row.status, JSON.stringify(row)).toBe("ok");
  return csv.rows;
}

const runIdOf = (stderr: string) => /, run (\S+), writing /.exec(stderr)?.[1];
/** Runs the progress output reports as finished (a row is appended just before each such line). */
const finishedRuns = (stderr: string) => stderr.match(/^\S+ \[\d+\/\d+\] \S+ #\d+: /gm)?.length ?? 0;

describe("interrupting a sweep", () => {
  it("SIGINT mid-cell: exit 130, the finished cell's row kept, no row for the interrupted one, no child, port free", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, sweepSpec("int.csv", { connections: [2, 3] }));
    const csvFile = path.join(dir, "int.csv");
    const cli = startCli(["run", specFile], { cwd: dir });
    // Mid-cell: the second cell's client is running.
    const secondClient = () => cli.descendants().some((proc) => / client .* -c 3 /.test(proc.cmdline));
    expect(await waitFor(secondClient, 30_000), cli.stderrSoFar()).toBe(true);
    await sleep(300);
    process.kill(cli.pid, "SIGINT");
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain("SIGINT: stopping the current cell and every child process; rows written so far are kept");
    const rows = await expectCleanAfterInterrupt(result, csvFile);
    expect(rows.map((row) => row.cell)).toEqual(["connections=2"]);
    expect(portsOf(result.descendants, / server /)).toHaveLength(2);
    expect(existsSync(`${csvFile}.lock`)).toBe(false);
  });

  it("SIGTERM while the first server starts or serves: exit 143, header only, no child", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, sweepSpec("term.csv", { connections: [2, 3] }));
    const csvFile = path.join(dir, "term.csv");
    const cli = startCli(["run", specFile], { cwd: dir });
    expect(await waitFor(() => cli.descendants().some((proc) => / server /.test(proc.cmdline)), 30_000), cli.stderrSoFar()).toBe(true);
    process.kill(cli.pid, "SIGTERM");
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(143);
    expect(await expectCleanAfterInterrupt(result, csvFile)).toEqual([]);
    expect(readCsv(csvFile).records).toEqual([]);
    expect(existsSync(`${csvFile}.lock`)).toBe(false);
  });

  const SEED = 20251125;
  const INTERRUPTIONS = 22;
  it(`${INTERRUPTIONS} interruptions at random moments (seed ${SEED}), then --resume completes every sweep`, { timeout: 150_000 }, async () => {
    const plan = fc.sample(fc.record({ signal: fc.constantFrom("SIGINT" as const, "SIGTERM" as const), delayMs: fc.integer({ min: -600, max: 3000 }) }), {
      seed: SEED,
      numRuns: 3 * INTERRUPTIONS, // a run that finishes before its moment sends no signal: draw until enough were sent
    });
    const dir = makeTempDir();
    // Three cells, one of them a server with 2 worker processes, two repeats each.
    const matrix = { connections: [1, 2], threads: [1, 2], exclude: [{ connections: 1, threads: 2 }] };
    const cells = ["connections=1,threads=1", "connections=2,threads=1", "connections=2,threads=2"];
    const repeats = 2;
    const runsPerSweep = cells.length * repeats;
    let epoch = 0;
    const specOf = (n: number) => writeSpec(dir, sweepSpec(`epoch-${n}.csv`, matrix, "0.5s", repeats), `epoch-${n}.yaml`);
    const csvOf = (n: number) => path.join(dir, `epoch-${n}.csv`);
    specOf(epoch);
    const stats = { sent: 0, exit130: 0, exit143: 0, finished: 0, killedBeforeHandlers: 0, rows: 0, lostRows: 0, sweepsCompleted: 0 };

    /** ok rows of a sweep: whole, one per cell × repeat at most; complete when there are runsPerSweep. */
    const checkSweep = (n: number, mustBeComplete: boolean) => {
      const rows = existsSync(csvOf(n)) ? readCsv(csvOf(n)).rows.filter((row) => row.status === "ok") : [];
      const keys = rows.map((row) => `${row.cell}#${row.repeat}`);
      expect(new Set(keys).size, `duplicate cell × repeat in epoch ${n}: ${keys.join(" ")}`).toBe(keys.length);
      if (mustBeComplete) expect(keys.sort()).toEqual(cells.flatMap((cell) => [1, 2].map((r) => `${cell}#${r}`)).sort());
      return rows.length;
    };

    for (const [i, { signal, delayMs }] of plan.entries()) {
      if (stats.sent >= INTERRUPTIONS) break;
      const cli = startCli(["run", `epoch-${epoch}.yaml`, "--resume"], { cwd: dir });
      const exited = cli.result.then(() => true);
      // A moment ≥ 0 counts from the sweep's first line (its signal handlers are in place by then): loading the
      // CLI alone takes ~0.5 s on a busy machine. A moment < 0 hits that start-up: 600 + moment ms after spawning.
      if (delayMs >= 0) {
        const sweepStarted = () => / sweep interrupt: \d+ runs/.test(cli.stderrSoFar());
        expect(await waitFor(() => sweepStarted() || cli.child.exitCode !== null, 30_000), cli.stderrSoFar()).toBe(true);
      }
      const early = await Promise.race([exited, sleep(delayMs >= 0 ? delayMs : 600 + delayMs).then(() => false)]);
      if (!early) {
        process.kill(cli.pid, signal);
        stats.sent++;
      }
      const result = await cli.result;
      const context = `interruption ${i} (${signal} at ${delayMs} ms, epoch ${epoch}): exit ${result.code ?? result.signal}\n${result.stderr}`;
      if (result.code === null) stats.killedBeforeHandlers++; // before the sweep installed its handlers (startup) or after it removed them
      if (early) expect(result.code, context).toBe(0);
      else expect([EXPECTED_STATUS[signal], 0], context).toContain(result.status);
      if (result.code === 130) stats.exit130++;
      if (result.code === 143) stats.exit143++;

      const rows = await expectCleanAfterInterrupt(result, csvOf(epoch));
      const runId = runIdOf(result.stderr);
      if (runId) {
        const written = rows.filter((row) => row.run_id === runId).length;
        stats.rows += written;
        stats.lostRows += Math.max(0, finishedRuns(result.stderr) - written);
        expect(written, `rows of run ${runId} vs finished runs it reported\n${context}`).toBeGreaterThanOrEqual(finishedRuns(result.stderr));
      }
      if (result.code !== null && result.code !== 0) expect(existsSync(`${csvOf(epoch)}.lock`), context).toBe(false);
      const ok = checkSweep(epoch, result.code === 0);
      if (result.code === 0) stats.finished++;
      if (ok === runsPerSweep) {
        stats.sweepsCompleted++;
        specOf(++epoch);
      }
    }

    // Finish the last sweep without interruption.
    const last: CliResult = await runCli(["run", `epoch-${epoch}.yaml`, "--resume"], { cwd: dir });
    expect(last.code, last.stderr).toBe(0);
    await expectCleanAfterInterrupt(last, csvOf(epoch));
    checkSweep(epoch, true);
    for (let n = 0; n < epoch; n++) checkSweep(n, true);
    console.log(`randomized interruptions (seed ${SEED}): ${JSON.stringify(stats)}; ${epoch + 1} sweeps of ${runsPerSweep} runs completed`);
    expect(stats.lostRows).toBe(0);
    expect(stats.sent).toBe(INTERRUPTIONS);
  });
});
