/**
 * Interrupting `tcpsweep run` (SIGINT / SIGTERM): exit 130 / 143, only whole rows in the CSV,
 * no child process left, ports free, and `--resume` completes the sweep without duplicates.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import pLimit from "p-limit";
import { SIGNAL_HANDLERS_LINE } from "../src/sweep/runner.js";
import {
  FAULT_SERVER,
  NODE,
  finishedRuns,
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
  return {
    name: "interrupt",
    duration,
    warmup: 0,
    repeat,
    matrix,
    server: { builtin: true },
    client: { builtin: true, threads: 1 },
    output: { csv },
  };
}

/** Whatever the moment of the interrupt: no process left, the servers' ports free, the CSV made of whole rows. */
async function expectCleanAfterInterrupt(result: CliResult, csvFile: string): Promise<Record<string, string>[]> {
  expect(leftoverProcesses(result), "processes left behind").toEqual([]);
  for (const port of portsOf(result.descendants, / server /)) expect(await portIsFree(port, result), `port ${port} still taken`).toBe(true);
  expect(result.stderr, "no crash").not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
  if (!existsSync(csvFile)) return [];
  const csv = readCsv(csvFile);
  expect(csv.header[0]).toBe("run_id");
  for (const record of csv.records) expect(record.length, `torn row: ${record.join(",")}`).toBe(csv.header.length);
  // An interrupted run writes no row: every row there is a run that finished (degraded: see completed()).
  for (const row of csv.rows) expect(WHOLE_RUN.has(row.status!), JSON.stringify(row)).toBe(true);
  return csv.rows;
}

const runIdOf = (stderr: string) => /, run (\S+), writing /.exec(stderr)?.[1];

/**
 * A run that was not interrupted: exit 0, or exit 1 where the only rows not ok are `degraded`. With
 * 0.1 s windows and four sweeps at once on 2 cores, a connection may get no reply within a window,
 * and the row says so (served 1 of 2): an honest row of a loaded machine, not an interruption's harm.
 */
const WHOLE_RUN = new Set(["ok", "degraded"]);
function completed(code: number | null, csvFile: string): boolean {
  if (code === 0) return true;
  if (code !== 1 || !existsSync(csvFile)) return false;
  const rows = readCsv(csvFile).rows;
  return rows.length > 0 && rows.every((row) => WHOLE_RUN.has(row.status!)) && rows.some((row) => row.status === "degraded");
}

describe("interrupting a sweep", () => {
  it("SIGINT mid-cell: exit 130, the finished cell's row kept, no row for the interrupted one, no child, port free", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, sweepSpec("int.csv", { connections: [2, 3] }));
    const csvFile = path.join(dir, "int.csv");
    const cli = startCli(["run", specFile], { cwd: dir });
    // Mid-cell: the second cell's client is running (its 1 s window has not ended: no pause needed, whatever the machine's speed).
    // The built-in client is warm (one process for the sweep): the second cell's run has started once the first one's row is in.
    const secondClient = () => finishedRuns(cli.stderrSoFar()) >= 1 && cli.descendants().some((proc) => / warm-client$/.test(proc.cmdline));
    expect(await waitFor(secondClient, 30_000), cli.stderrSoFar()).toBe(true);
    process.kill(cli.pid, "SIGINT");
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain("SIGINT: stopping the current cell and every child process; rows written so far are kept");
    expect(result.stderr).toContain(`continue this run with: npx tcpsweep run ${specFile} --resume\n`);
    const rows = await expectCleanAfterInterrupt(result, csvFile);
    expect(rows.map((row) => row.cell)).toEqual(["connections=2"]);
    // One command line (threads default): the warm built-in server served the first cell and was serving the second.
    expect(portsOf(result.descendants, / server /)).toHaveLength(1);
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

  it("a second SIGINT while the first stop waits (server ignoring SIGTERM, stop_grace 20s) kills every tree at once: exit 130, whole rows", async () => {
    const dir = makeTempDir();
    const csvFile = path.join(dir, "force.csv");
    const specFile = writeSpec(dir, {
      name: "force",
      duration: "3s",
      warmup: 0,
      // The first cell's server stops at once (its row is written); the second one ignores SIGTERM.
      matrix: { mode: ["normal", "ignore-sigterm"], connections: [1] },
      server: { command: [NODE, FAULT_SERVER, "--mode", "{mode}", "--port", "{port}"], ready: "port", stop_grace: "20s" },
      client: { builtin: true, threads: 1 },
      output: { csv: "force.csv" },
    });
    const cli = startCli(["run", specFile], { cwd: dir });
    // The second cell's client runs (descendants() keeps every process seen, the first cell's client too).
    const secondClient = () => finishedRuns(cli.stderrSoFar()) >= 1;
    expect(await waitFor(secondClient, 45_000), cli.stderrSoFar()).toBe(true);
    process.kill(cli.pid, "SIGINT");
    // The graceful stop now waits up to stop_grace (20 s) for the server that ignores SIGTERM.
    // The line is printed as the stop begins; the stop then waits on the server for up to 20 s.
    expect(await waitFor(() => cli.stderrSoFar().includes("SIGINT: stopping the current cell"), 30_000), cli.stderrSoFar()).toBe(true);
    const secondAt = Date.now();
    process.kill(cli.pid, "SIGINT");
    const result = await cli.result;
    const afterSecondMs = Date.now() - secondAt;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain("second signal (SIGINT): killing every child process now (SIGKILL)");
    expect(afterSecondMs, "exits at once, not after the 20 s grace").toBeLessThan(5_000);
    const rows = await expectCleanAfterInterrupt(result, csvFile);
    expect(rows.map((row) => row.cell)).toEqual(["mode=normal,connections=1"]);
    expect(existsSync(`${csvFile}.lock`)).toBe(false);
  }, 90_000);

  /*
   * Real interruptions spread evenly over a sweep's lifetime (16 by default; TCPSWEEP_INTERRUPT_TRIALS=100
   * for the old soak). The runner's side of every moment (exit status, rows a prefix of the plan, nothing
   * started after the signal, --resume running exactly the rest) is test/runner-interrupt.test.ts's, after
   * every moment of a fake sweep; these trials keep what needs real processes: a real signal to the real
   * CLI at real moments (a child being spawned, a cluster server forking), process trees gone, ports free.
   * Each trial starts a fresh 2-run sweep (one
   * single-process server, one node:cluster server; 0.1 s windows: the trial is about the moments, not
   * the load), waits for tcpsweep's SIGNAL_HANDLERS_LINE on stderr, then sleeps to its moment: moment i
   * lies in slot [i, i+1) of TRIALS equal slots of the lifetime measured on uninterrupted sweeps run
   * PARALLEL at once like the trials (seeded jitter inside the slot). Checked every time: the exit status, whole
   * rows only, no process left of the run's trees, every server port free, and `--resume` completing it.
   */
  const SEED = Number(process.env.TCPSWEEP_INTERRUPT_SEED ?? 20261202);
  const TRIALS = Number(process.env.TCPSWEEP_INTERRUPT_TRIALS ?? 16);
  const PARALLEL = 4; // trials at once: each mostly waits on process start-ups and its short cells
  // Moments spread over this share of the median lifetime. Under CI's hog a sweep ran up to a third faster
  // than the median, and 5 of 16 moments spread over the whole lifetime found it finished (1 more than allowed).
  const MOMENTS_SPAN = 0.7;
  it(
    `${TRIALS} interruptions spread over the first ${100 * MOMENTS_SPAN} % of the sweep's lifetime (seed ${SEED}), each followed by --resume`,
    { timeout: 600_000 },
    async () => {
      const dir = makeTempDir();
      const cells = ["connections=2,threads=1", "connections=2,threads=2"];
      const specFile = (name: string) =>
        writeSpec(dir, sweepSpec(`${name}.csv`, { connections: [2], threads: [1, 2] }, "0.1s"), `${name}.yaml`);
      const seedNote = `(seed ${SEED}; rerun with TCPSWEEP_INTERRUPT_SEED=${SEED})`;

      /** Starts a sweep and resolves when it prints the handlers line (its time), or when it exits first. */
      const startSweep = (name: string) => {
        const cli = startCli(["run", `${name}.yaml`], { cwd: dir, timeoutMs: 120_000 });
        const handlersAt = new Promise<number | undefined>((resolve) => {
          let seen = "";
          cli.child.stderr!.on("data", (chunk: Buffer) => {
            seen += chunk.toString("utf8");
            if (seen.includes(`${SIGNAL_HANDLERS_LINE}\n`)) resolve(Date.now());
          });
          void cli.result.then(() => resolve(undefined));
        });
        return { cli, handlersAt };
      };

      // The lifetime of an uninterrupted sweep, from the handlers line to its exit: the median of PARALLEL
      // sweeps run at once, as the trials will run, so the moments spread over a trial's real lifetime.
      const lifetimes = await Promise.all(
        Array.from({ length: PARALLEL }, async (_, i) => {
          specFile(`baseline${i}`);
          const baseline = startSweep(`baseline${i}`);
          const start = await baseline.handlersAt;
          const result = await baseline.cli.result;
          expect(result.code, result.stderr).toBe(0);
          expect(start).toBeDefined();
          return Date.now() - start!;
        }),
      );
      // Every uninterrupted lifetime seen so far (baselines, and trials that ended before their moment): a
      // machine whose load changes during the test keeps the moments spread over the lifetime as it is now.
      const observed = [...lifetimes];
      const currentLifetimeMs = () => [...observed].sort((a, b) => a - b)[Math.floor(observed.length / 2)]!;

      const plan = fc.sample(
        fc.record({
          jitter: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          signal: fc.constantFrom("SIGINT" as const, "SIGTERM" as const),
        }),
        {
          seed: SEED,
          numRuns: TRIALS,
        },
      );
      const stats = {
        trials: 0,
        signalsAfterHandlers: 0,
        exitedBeforeMoment: 0,
        exit130: 0,
        exit143: 0,
        killedBySignal: 0,
        rowsWritten: 0,
        rowsLost: 0,
        orphans: 0,
        portsChecked: 0,
        resumed: 0,
      };
      const failures: string[] = [];

      const trial = async (i: number) => {
        const { jitter, signal } = plan[i]!;
        const lifetimeMs = currentLifetimeMs();
        const momentMs = Math.round(((i + jitter) / TRIALS) * lifetimeMs * MOMENTS_SPAN);
        const name = `t${i}`;
        specFile(name);
        const csvFile = path.join(dir, `${name}.csv`);
        const { cli, handlersAt } = startSweep(name);
        const since = await handlersAt;
        let sent = false;
        if (since !== undefined) {
          await sleep(Math.max(0, since + momentMs - Date.now()));
          if (cli.child.exitCode === null && cli.child.signalCode === null) {
            process.kill(cli.pid, signal);
            sent = true;
          }
        }
        const result = await cli.result;
        // An uninterrupted lifetime: ended before its moment, or its signal found the work done (the signal came
        // too late, or reached a process already exiting while this busy test process had not yet seen it exit).
        if (since !== undefined && result.code === 0) observed.push(Date.now() - since);
        const context = `trial ${i} ${seedNote}: ${signal} at ${momentMs} ms of ${lifetimeMs} ms, sent ${sent}: exit ${result.code ?? result.signal}\n${result.stderr}`;
        stats.trials++;
        expect(since, `the handlers line never came\n${context}`).toBeDefined();
        if (sent) stats.signalsAfterHandlers++;
        else stats.exitedBeforeMoment++;
        if (result.code === null) stats.killedBySignal++;
        if (result.code === 130) stats.exit130++;
        if (result.code === 143) stats.exit143++;
        // The signal interrupts, or it came as the sweep was already finishing (then everything was done).
        const csvBefore = existsSync(csvFile) ? readCsv(csvFile).rows.filter((row) => WHOLE_RUN.has(row.status!)).length : 0;
        // A signal that lands while the process tears itself down (every row written, its last ms in Node's
        // exit) meets no JavaScript handler any more: killed by it, with the work complete, is still fine.
        const finished = csvBefore === cells.length && (completed(result.code, csvFile) || result.code === null);
        if (sent) expect(result.code === EXPECTED_STATUS[signal] || finished, context).toBe(true);
        else expect(completed(result.code, csvFile), context).toBe(true);

        const leftovers = leftoverProcesses(result);
        stats.orphans += leftovers.length;
        expect(leftovers, `processes left behind\n${context}`).toEqual([]);
        const servers = result.descendants.filter((proc) => / server /.test(proc.cmdline));
        const ports = portsOf(result.descendants, / server /);
        if (servers.length > 0) expect(ports.length, `a server was seen but no port\n${context}`).toBeGreaterThan(0);
        // Four trials run at once: another trial's server may be given a port this one let go.
        for (const port of ports) expect(await portIsFree(port, result), `port ${port} still taken\n${context}`).toBe(true);
        stats.portsChecked += ports.length;
        const rows = await expectCleanAfterInterrupt(result, csvFile);
        const runId = runIdOf(result.stderr);
        const written = rows.filter((row) => row.run_id === runId).length;
        stats.rowsWritten += written;
        stats.rowsLost += Math.max(0, finishedRuns(result.stderr) - written);
        expect(written, `rows vs finished runs reported\n${context}`).toBe(finishedRuns(result.stderr));
        expect(existsSync(`${csvFile}.lock`), `lock left\n${context}`).toBe(false);

        // --resume completes the sweep: one ok row per run, no duplicates, nothing left running.
        const resumed = await runCli(["run", `${name}.yaml`, "--resume"], { cwd: dir, timeoutMs: 120_000 });
        expect(completed(resumed.code, csvFile), `--resume\n${context}\n${resumed.stderr}`).toBe(true);
        expect(leftoverProcesses(resumed), `--resume left processes\n${context}`).toEqual([]);
        const final = await expectCleanAfterInterrupt(resumed, csvFile);
        // Every cell once ok; a degraded row of a loaded moment is run again by --resume, and kept.
        const okCells = final.filter((row) => row.status === "ok").map((row) => row.cell);
        const endedDegraded = resumed.code === 1 ? final.filter((row) => row.status === "degraded").map((row) => row.cell) : [];
        expect([...new Set([...okCells, ...endedDegraded])].sort(), `--resume did not complete the sweep\n${context}`).toEqual(
          [...cells].sort(),
        );
        expect(new Set(okCells).size, `a cell ok twice\n${context}`).toBe(okCells.length);
        stats.resumed++;
      };

      const limit = pLimit(PARALLEL);
      await Promise.all(
        plan.map((_, i) =>
          limit(async () => {
            try {
              await trial(i);
            } catch (error) {
              failures.push((error as Error).message);
            }
          }),
        ),
      );
      console.log(
        `interruption trials ${seedNote}: sweep lifetime ${lifetimes.join(", ")} ms at the start, median of ${observed.length} at the end ${currentLifetimeMs()} ms; ${JSON.stringify(stats)}`,
      );
      expect(failures, `${failures.length} trials failed ${seedNote}:\n${failures.slice(0, 3).join("\n\n")}`).toEqual([]);
      expect(stats.trials).toBe(TRIALS);
      expect(stats.rowsLost).toBe(0);
      expect(stats.orphans).toBe(0);
      expect(stats.resumed).toBe(TRIALS);
      // Spread over the first MOMENTS_SPAN of the median lifetime, most moments come before the end: the latest may
      // find a faster sweep finished. Late moments allowed: a fifth of the trials, never fewer than 4.
      const late = Math.max(4, Math.floor(TRIALS * 0.2));
      expect(stats.signalsAfterHandlers, JSON.stringify(stats)).toBeGreaterThanOrEqual(TRIALS - late);
      expect(stats.signalsAfterHandlers + stats.exitedBeforeMoment).toBe(TRIALS);
      // Most moments fall inside the sweep's lifetime (measured as the trials run, under whatever load the machine has):
      // those signals interrupt; a late one finds the work complete, which each trial has checked above.
      expect(stats.exit130 + stats.exit143 + stats.killedBySignal, `interrupted runs ${JSON.stringify(stats)}`).toBeGreaterThanOrEqual(
        TRIALS - Math.max(5, Math.floor(TRIALS * 0.3)),
      );
    },
  );
});
