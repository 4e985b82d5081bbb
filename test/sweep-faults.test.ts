/**
 * Misbehaving servers and clients (test/fixtures/programs): each fault becomes a row that says
 * what happened, the sweep goes on to the next cell (which is ok), and no process is left.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  FAULT_CLIENT,
  FAULT_SERVER,
  NODE,
  killRunningClis,
  leftoverProcesses,
  makeTempDir,
  portIsFree,
  readCsv,
  removeTempDirs,
  rowPort,
  runCli,
  writeSpec,
  type CliResult,
} from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

type Row = Record<string, string>;

interface SweepOutcome {
  dir: string;
  result: CliResult;
  rows: Row[];
}

/** Runs a two-cell sweep (the fault, then a well-behaved cell) and checks what every fault test needs. */
async function runFaultSweep(spec: Record<string, unknown>, options: { expectLeftovers?: RegExp } = {}): Promise<SweepOutcome> {
  const dir = makeTempDir();
  const specFile = writeSpec(dir, { name: "faults", duration: "1s", output: { csv: "out/faults.csv" }, ...spec });
  const result = await runCli(["run", specFile], { cwd: dir });
  const leftovers = leftoverProcesses(result); // killed already: they are ours
  if (options.expectLeftovers) {
    // A daemon that left the tree cannot be found by the runner; this test only checks the sweep went on.
    expect(leftovers.map((proc) => proc.cmdline)).toEqual([expect.stringMatching(options.expectLeftovers)]);
  } else {
    expect(leftovers, "processes left behind").toEqual([]);
  }
  const csv = readCsv(path.join(dir, "out/faults.csv"));
  expect(csv.records.every((record) => record.length === csv.header.length)).toBe(true);
  return { dir, result, rows: csv.rows };
}

/** The well-behaved cell after the fault got a working server on a free port and measured normally. */
function expectHealthy(row: Row | undefined): void {
  expect(row, "the sweep went on to the next cell").toBeDefined();
  const context = JSON.stringify(row);
  expect(row!.status, context).toBe("ok");
  expect(row!.error, context).toBe("");
  expect(Number(row!.responses), context).toBeGreaterThan(0);
  expect(Number(row!.success_rate_pct), context).toBe(100);
}

const rawOf = (dir: string, row: Row) => readFileSync(path.resolve(dir, row.raw_output!), "utf8");

describe("server faults (built-in client, fault-server.mjs)", () => {
  function serverFaultSpec(mode: string, server: Record<string, unknown> = {}, client: Record<string, unknown> = {}) {
    return {
      warmup: "0.2s",
      matrix: { connections: [4], mode: [mode, "normal"] },
      server: { command: [NODE, FAULT_SERVER, "--mode", "{mode}", "--port", "{port}"], ready: "port", ...server },
      client: { builtin: true, threads: 1, ...client },
    };
  }

  /** Faults the measurement itself survives: the row is ok but its error counts say what the server did. */
  it.each([
    { mode: "reset", column: "errors_closed", client: {} },
    { mode: "silent", column: "errors_timeout", client: { timeout: "1s" } },
    { mode: "garbage", column: "errors_bad_frame", client: {} },
    { mode: "short", column: "errors_closed", client: {} },
    { mode: "wrong-type", column: "errors_bad_frame", client: {} },
  ])("$mode: every connection fails ($column), no response counted; the next cell is fine", async ({ mode, column, client }) => {
    const { dir, result, rows } = await runFaultSweep(serverFaultSpec(mode, {}, client));
    expect(result.code, result.stderr).toBe(1);
    expect(rows.map((row) => row.cell)).toEqual([`connections=4,mode=${mode}`, "connections=4,mode=normal"]);
    const [fault, next] = rows;
    const context = JSON.stringify(fault);
    expect(fault!.status, context).toBe("no_responses");
    expect(Number(fault![column]), context).toBe(4);
    expect(Number(fault!.errors), context).toBe(4);
    expect(Number(fault!.responses), context).toBe(0);
    expect(Number(fault!.success_rate_pct), context).toBe(0);
    expect(Number(fault!.connections_established), context).toBe(4);
    expectHealthy(next);
    expect(await portIsFree(rowPort(dir, fault))).toBe(true);
  });

  it("exit-mid-run: the row says server_exited with the exit code; the next cell gets a new server and is ok", async () => {
    const { dir, result, rows } = await runFaultSweep(serverFaultSpec("exit-mid-run"));
    expect(result.code, result.stderr).toBe(1);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("server_exited");
    expect(fault!.error).toMatch(/^server exited with code 3 during the run/);
    expect(Number(fault!.errors_closed), JSON.stringify(fault)).toBeGreaterThan(0);
    expect(rawOf(dir, fault!)).toContain("fault-server: exiting mid-run on purpose");
    expect(result.stderr).toContain("connections=4,mode=exit-mid-run #1: server_exited");
    expectHealthy(next);
    expect(await portIsFree(rowPort(dir, fault))).toBe(true);
  });

  it("never-ready: server_not_ready after ready_timeout 1s, the server is stopped, the next cell is ok", async () => {
    const { dir, result, rows } = await runFaultSweep(serverFaultSpec("never-ready", { ready_timeout: "1s" }));
    expect(result.code, result.stderr).toBe(1);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("server_not_ready");
    expect(fault!.error).toMatch(/^server was not accepting on 127\.0\.0\.1:\d+ within 1 s: fault-server: not going to listen/);
    expect(fault!.requests).toBe("");
    expect(rawOf(dir, fault!)).toContain("### server: ");
    const neverReady = result.descendants.filter((proc) => proc.cmdline.includes("--mode never-ready"));
    expect(neverReady).toHaveLength(1);
    expectHealthy(next);
  });

  it("ignore-sigterm: killed after stop_grace 0.5s, the row notes it, the next cell is ok", async () => {
    const { dir, result, rows } = await runFaultSweep(serverFaultSpec("ignore-sigterm", { stop_grace: "0.5s" }));
    expect(result.code, result.stderr).toBe(0);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("ok");
    expect(fault!.error).toBe("server did not stop within 0.5 s of SIGTERM and was killed");
    expect(Number(fault!.responses)).toBeGreaterThan(0);
    expectHealthy(next);
    expect(await portIsFree(rowPort(dir, fault))).toBe(true);
  });

  it("fork-holder: the child that holds the port (in its own session) is stopped too; the port is free afterwards", async () => {
    const { dir, result, rows } = await runFaultSweep(serverFaultSpec("fork-holder"));
    expect(result.code, result.stderr).toBe(0);
    const [fault, next] = rows;
    const port = rowPort(dir, fault);
    // The holder child was seen while it ran: a node process serving that port, started by the fork-holder.
    const holders = result.descendants.filter((proc) => proc.cmdline.includes(`--mode normal --host 127.0.0.1 --port ${port}`));
    expect(holders, JSON.stringify(result.descendants)).toHaveLength(1);
    expect(fault!.status, JSON.stringify(fault)).toBe("ok");
    expect(fault!.error).toBe("");
    expect(Number(fault!.responses)).toBeGreaterThan(0);
    expect(Number(fault!.server_processes), "both processes were measured").toBe(2);
    expect(await portIsFree(port)).toBe(true);
    expectHealthy(next);
    expect(rowPort(dir, next)).toBeGreaterThan(0);
  });

  it("daemon-holder: a daemon outside the server's tree keeps its output pipes open; the sweep does not wait for it and kills it", async () => {
    // Found by its TCPSWEEP_TREE marker (issue 33, class 5): no leftover.
    const { result, rows } = await runFaultSweep(serverFaultSpec("daemon-holder"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.elapsedMs, "the daemon holds the pipes for 40 s").toBeLessThan(25_000);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("ok");
    expect(Number(fault!.responses)).toBeGreaterThan(0);
    expectHealthy(next);
  });

  it("crash-on-start: server_failed with its exit code and last words; the next cell is ok", async () => {
    const { result, rows } = await runFaultSweep(serverFaultSpec("crash-on-start"));
    expect(result.code, result.stderr).toBe(1);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("server_failed");
    expect(fault!.error).toBe("server exited with code 2 before it was ready: fault-server: cannot start (simulated configuration error)");
    expectHealthy(next);
  });

  it("a server command that does not exist: refused before anything runs (exit 2, the dry run's line), no CSV", async () => {
    const dir = makeTempDir();
    const server = { command: ["/nonexistent/tcpsweep-no-such-server", "--port", "{port}"] };
    const specFile = writeSpec(dir, {
      name: "faults",
      duration: "1s",
      warmup: 0,
      matrix: { connections: [2, 4] },
      server,
      output: { csv: "out/faults.csv" },
    });
    const result = await runCli(["run", specFile], { cwd: dir });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      'server program "/nonexistent/tcpsweep-no-such-server": no executable file at /nonexistent/tcpsweep-no-such-server',
    );
    expect(result.descendants).toEqual([]);
    expect(existsSync(path.join(dir, "out"))).toBe(false);
  });
});

describe("client faults (fault-client.mjs, parser seed-text)", () => {
  function clientFaultSpec(mode: string) {
    return {
      warmup: 0,
      timeout: "4s",
      matrix: { mode: [mode, "normal"] },
      server: { command: [NODE, FAULT_SERVER, "--mode", "normal", "--port", "{port}"], ready: "port" },
      client: {
        command: [NODE, FAULT_CLIENT, "--mode", "{mode}", "--address", "{address}", "--duration", "{duration_s}", "--ignore-sigterm"],
        parser: "seed-text",
      },
    };
  }

  it("crash: client_failed with its exit code; raw output keeps the stack; the next cell is ok", async () => {
    const { dir, result, rows } = await runFaultSweep(clientFaultSpec("crash"));
    expect(result.code, result.stderr).toBe(1);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("client_failed");
    expect(fault!.client_exit_code).toBe("1");
    expect(fault!.error).toMatch(/^client exited with code 1/);
    expect(rawOf(dir, fault!)).toContain("Error: fault-client: simulated crash");
    expectHealthy(next);
  });

  it("hang (ignoring SIGTERM) past the cell timeout: status timeout, the client is killed, the next cell is ok", async () => {
    const { dir, result, rows } = await runFaultSweep(clientFaultSpec("hang"));
    expect(result.code, result.stderr).toBe(1);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("timeout");
    expect(fault!.error).toBe("the cell hit its time limit (timeout) before the client finished");
    expect(rawOf(dir, fault!)).toContain("fault-client: hanging");
    expect(result.descendants.filter((proc) => proc.cmdline.includes("--mode hang"))).toHaveLength(1);
    expectHealthy(next);
    expect(await portIsFree(rowPort(dir, fault))).toBe(true);
  });

  it("garbage output: parse_error saying what is missing, raw output saved beside the CSV", async () => {
    const { dir, result, rows } = await runFaultSweep(clientFaultSpec("garbage"));
    expect(result.code, result.stderr).toBe(1);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("parse_error");
    expect(fault!.error).toBe("seed-text report incomplete: no speed, requests, responses, success line");
    const rawFile = path.resolve(dir, fault!.raw_output!);
    expect(rawFile.startsWith(path.join(dir, "out/faults.raw") + path.sep)).toBe(true);
    expect(readFileSync(rawFile, "utf8")).toContain("some noise %%% that no parser understands");
    expectHealthy(next);
  });

  it("non-zero exit after a valid report: client_exit with client_exit_code, figures kept", async () => {
    const { result, rows } = await runFaultSweep(clientFaultSpec("nonzero-valid"));
    expect(result.code, result.stderr).toBe(1);
    const [fault, next] = rows;
    expect(fault!.status, JSON.stringify(fault)).toBe("client_exit");
    expect(fault!.client_exit_code).toBe("3");
    expect(fault!.error).toMatch(/^client exited with code 3: fault-client: exiting with code 3 after a valid report/);
    expect(Number(fault!.responses)).toBeGreaterThan(0);
    expect(Number(fault!.success_rate_pct)).toBe(100);
    expectHealthy(next);
  });
});
