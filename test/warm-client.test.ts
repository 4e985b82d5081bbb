/**
 * The warm client (issue 34): the built-in client's runs of a sweep go through one long-lived
 * `tcpsweep warm-client` process (src/launch/warm-client.ts, src/client/warm-host.ts). Each run still
 * opens its own connections and reports its own figures; a warm client killed mid-run costs one
 * retried run; SIGINT leaves whole rows and no process.
 */
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { tcpSockets } from "../src/process/sockets.js";
import {
  finishedRuns,
  killRunningClis,
  leftoverProcesses,
  makeTempDir,
  portsOf,
  readCsv,
  removeTempDirs,
  runCli,
  startCli,
  stillAlive,
  waitFor,
  writeSpec,
} from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const WARM = / warm-client$/;
const TCP_ESTABLISHED = "01";

function spec(csv: string, connections: number[], repeat = 1) {
  return {
    name: "warm",
    duration: "2s",
    warmup: "0.5s",
    repeat,
    matrix: { connections },
    server: { builtin: true },
    client: { builtin: true, threads: 1 },
    output: { csv },
  };
}

describe("one warm client for the sweep's runs", () => {
  it("runs of 5 and 20 connections through one warm client: each its own connections and figures, as cold runs", async () => {
    const dir = makeTempDir();
    const warm = await runCli(["run", writeSpec(dir, spec("warm.csv", [5, 20], 3), "warm.yaml")], { cwd: dir, timeoutMs: 200_000 });
    const cold = await runCli(["run", writeSpec(dir, spec("cold.csv", [5, 20], 3), "cold.yaml")], {
      cwd: dir,
      env: { TCPSWEEP_WARM_CLIENT: "0" },
      timeoutMs: 200_000,
    });
    for (const result of [warm, cold]) {
      expect(result.code, result.stderr).toBe(0);
      expect(leftoverProcesses(result), "processes left behind").toEqual([]);
    }
    expect(warm.descendants.filter((proc) => WARM.test(proc.cmdline))).toHaveLength(1);
    expect(cold.descendants.filter((proc) => WARM.test(proc.cmdline))).toHaveLength(0);
    const rows = (name: string) => readCsv(path.join(dir, name)).rows;
    for (const row of [...rows("warm.csv"), ...rows("cold.csv")]) {
      const context = JSON.stringify(row);
      expect(row.status, context).toBe("ok");
      // Fresh connections per run: exactly the cell's count, every one served.
      expect(row.connections_served, context).toBe(row.connections);
    }
    // Each run its own figures: the warm rows' window counts differ run by run, none is a copy of another.
    const warmRequests = rows("warm.csv").map((row) => row.requests);
    expect(new Set(warmRequests).size, warmRequests.join(",")).toBe(warmRequests.length);
    // Not asserted yet: resp/s of warm and cold runs agreeing within the noise. On the loaded 2-core machine
    // (load 26) the warm median at 5 connections was 2.8 times the cold one (issue 34's report, open).
  }, 420_000);

  it("the warm client killed mid-run: that run is retried once on a new one, with the reason in its row; the sweep goes on", async () => {
    const dir = makeTempDir();
    const csvFile = path.join(dir, "kill.csv");
    const cli = startCli(["run", writeSpec(dir, spec("kill.csv", [3, 4, 6]))], { cwd: dir });
    const serverPort = () => portsOf(cli.descendants(), / server /)[0];
    // Mid-run: the second run's connections to the server are open (the kernel's table, ESTABLISHED = "01").
    const established = () => tcpSockets().filter((socket) => socket.localPort === serverPort() && socket.state === TCP_ESTABLISHED).length;
    expect(await waitFor(() => finishedRuns(cli.stderrSoFar()) >= 1 && established() >= 4, 60_000), cli.stderrSoFar()).toBe(true);
    const victim = cli.descendants().find((proc) => WARM.test(proc.cmdline) && stillAlive(proc));
    expect(victim, "a warm client is running").toBeDefined();
    process.kill(victim!.pid, "SIGKILL");
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(0);
    expect(leftoverProcesses(result), "processes left behind").toEqual([]);
    expect(result.descendants.filter((proc) => WARM.test(proc.cmdline))).toHaveLength(2);
    const rows = readCsv(csvFile).rows;
    expect(rows.map((row) => row.status)).toEqual(["ok", "ok", "ok"]);
    const retried = rows.filter((row) => row.error.includes("replaced, run retried once"));
    expect(retried.map((row) => row.connections)).toEqual(["4"]);
    expect(retried[0]!.error).toMatch(/warm client \(pid \d+\) killed by SIGKILL/);
  }, 120_000);

  it("SIGINT during a warm sweep: exit 130, whole rows, no process left", async () => {
    const dir = makeTempDir();
    const csvFile = path.join(dir, "int.csv");
    const cli = startCli(["run", writeSpec(dir, spec("int.csv", [2, 3, 4]))], { cwd: dir });
    const warmRunning = () => cli.descendants().some((proc) => WARM.test(proc.cmdline) && stillAlive(proc));
    expect(await waitFor(() => finishedRuns(cli.stderrSoFar()) >= 1 && warmRunning(), 60_000), cli.stderrSoFar()).toBe(true);
    process.kill(cli.pid, "SIGINT");
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(130);
    expect(leftoverProcesses(result), "processes left behind").toEqual([]);
    const csv = readCsv(csvFile);
    for (const record of csv.records) expect(record.length, `torn row: ${record.join(",")}`).toBe(csv.header.length);
    expect(csv.rows.length).toBeGreaterThanOrEqual(1);
    expect(csv.rows.length).toBeLessThan(3);
    for (const row of csv.rows) expect(row.status, JSON.stringify(row)).toBe("ok");
  }, 120_000);
});
