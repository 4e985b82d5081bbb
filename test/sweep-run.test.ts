/**
 * `tcpsweep run` end to end on real processes: the built-in server and client, the CSV, the
 * pivot, --dry-run / --only / --repeat, the header guard and the CSV lock (--resume of a finished run:
 * test/runner-fast.test.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  CLI,
  FAULT_SERVER,
  NODE,
  killRunningClis,
  leftoverProcesses,
  listTree,
  makeTempDir,
  portIsFree,
  portsOf,
  readCsv,
  removeTempDirs,
  runCli,
  startCli,
  waitFor,
  writeSpec,
  type CliResult,
} from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const LATENCY_COLUMNS = ["latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_p999_us", "latency_max_us", "latency_mean_us"];

function happySpec(csv: string, matrix: Record<string, unknown> = { connections: [5, 20], threads: [1, 2] }) {
  return { name: "happy", duration: "1s", warmup: "0.2s", matrix, server: { builtin: true }, output: { csv } };
}

/** No process the CLI started is alive, and every server port it used is free again. */
async function expectCleanExit(result: CliResult): Promise<void> {
  expect(leftoverProcesses(result), "processes left behind").toEqual([]);
  for (const port of portsOf(result.descendants, / server /)) expect(await portIsFree(port), `port ${port} still taken`).toBe(true);
}

const countStarted = (result: CliResult, role: "server" | "client" | "warm-client") =>
  result.descendants.filter((proc) => new RegExp(`main\\.js ${role}( |$)`).test(proc.cmdline)).length;

describe("tcpsweep run: a 2 × 2 sweep with the built-in server and client", () => {
  const dir = makeTempDir();
  const specFile = writeSpec(dir, happySpec("out/happy.csv"));
  const csvFile = path.join(dir, "out/happy.csv");
  let first: CliResult | undefined;

  it("runs 4 cells, writes 4 ok rows with figures, prints the pivot, leaves nothing running", async () => {
    first = await runCli(["run", specFile], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    // The built-in server is kept between runs with the same command line (lifetime: warm): one per threads value.
    expect(countStarted(first, "server")).toBe(2);
    // The built-in client stays warm for the whole sweep (src/launch/warm-client.ts): one process, no cold one.
    expect(countStarted(first, "warm-client")).toBe(1);
    expect(countStarted(first, "client")).toBe(0);
    await expectCleanExit(first);

    const csv = readCsv(csvFile);
    const headerLine = csv.text.split("\n")[0]!;
    expect(csv.text.split("\n").filter((line) => line === headerLine)).toHaveLength(1);
    expect(csv.records.every((record) => record.length === csv.header.length)).toBe(true);
    // The runs of one server command line (threads) are adjacent: each warm server serves its cells in turn.
    expect(csv.rows.map((row) => row.cell)).toEqual([
      "connections=5,threads=1",
      "connections=20,threads=1",
      "connections=5,threads=2",
      "connections=20,threads=2",
    ]);
    expect(new Set(csv.rows.map((row) => row.run_id)).size).toBe(1);
    for (const row of csv.rows) {
      const context = JSON.stringify(row);
      expect(row.status, context).toBe("ok");
      expect(row.error, context).toBe("");
      expect(row.spec).toBe("happy");
      expect(row.repeat).toBe("1");
      expect(row.cell).toBe(`connections=${row.connections},threads=${row.threads}`);
      expect(Number(row.success_rate_pct), context).toBe(100);
      expect(Number(row.resp_per_s), context).toBeGreaterThan(0);
      expect(Number(row.requests), context).toBeGreaterThan(0);
      expect(row.requests, context).toBe(row.responses);
      expect(Number(row.connections_established)).toBe(Number(row.connections));
      expect(Number(row.connections_in_window)).toBe(Number(row.connections));
      expect(Number(row.errors)).toBe(0);
      for (const column of LATENCY_COLUMNS)
        expect(Number.isFinite(Number(row[column])) && row[column] !== "", `${column}: ${context}`).toBe(true);
      // The client's own turnaround per reply: a figure of every closed-loop row, a small part of a round trip.
      expect(row.client_turnaround_p50_us, context).not.toBe("");
      expect(Number(row.client_turnaround_p50_us), context).toBeGreaterThanOrEqual(0);
      expect(Number(row.client_turnaround_p50_us), context).toBeLessThan(Number(row.latency_p50_us));
      expect(Number(row.server_cpu_s), context).toBeGreaterThan(0);
      expect(Number(row.client_cpu_s), context).toBeGreaterThan(0);
      expect(Number(row.client_threads), context).toBe(Math.min(availableParallelism(), Number(row.connections)));
      expect(Number(row.server_processes), context).toBe(Number(row.threads) + 1); // supervisor + one worker per thread
      expect(row.client_exit_code).toBe("0");
      expect(existsSync(path.resolve(dir, row.raw_output!)), row.raw_output).toBe(true);
    }

    // The pivot on stderr: connections down, threads across, rounded resp/s of each cell (one repeat:
    // no spread; a cell may carry the client-bound marker "!" on a busy machine, and the uneven-service
    // mark "j0.NN" when the server happened to answer its connections unevenly).
    expect(first.stderr).toMatch(/connections \\ threads\s+threads=1\s+threads=2/);
    for (const connections of ["5", "20"]) {
      const values = ["1", "2"].map((threads) =>
        String(Math.round(Number(csv.rows.find((row) => row.connections === connections && row.threads === threads)!.resp_per_s))),
      );
      const marks = "!?(?: j0\\.\\d\\d)?";
      expect(first.stderr).toMatch(new RegExp(`^${connections}\\s+${values[0]}${marks}\\s+${values[1]}${marks}\\s*$`, "m"));
    }
    expect(first.stderr).toContain("4 runs, 0 not ok");
  });
});

describe("tcpsweep run: flags", () => {
  it("--dry-run prints every cell and its exact commands, runs and writes nothing", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, happySpec("out/dry.csv"));
    const result = await runCli(["run", specFile, "--dry-run"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`happy: 4 cells × 1 repeats = 4 runs → ${path.join(dir, "out/dry.csv")}`);
    for (const [connections, threads] of [
      [5, 1],
      [5, 2],
      [20, 1],
      [20, 2],
    ]) {
      expect(result.stdout).toContain(`connections=${connections},threads=${threads} #1\n`);
      // Shell-quoted: the placeholder's < > would be redirections.
      expect(result.stdout).toContain(
        `  server: ${NODE} ${CLI} server --host 127.0.0.1 --port '<port>' --threads ${threads} --reply echo\n`,
      );
      expect(result.stdout).toContain(
        `  client: ${NODE} ${CLI} client -a '127.0.0.1:<port>' -c ${connections} -t 1 --warmup 0.2 --json --announce-window\n`,
      );
    }
    expect(result.descendants).toEqual([]);
    expect(listTree(dir)).toEqual(["spec.yaml"]);

    const only = await runCli(["run", specFile, "--dry-run", "--only", "connections=5"], { cwd: dir });
    expect(only.code, only.stderr).toBe(0);
    expect(only.stdout.match(/^connections=\S+ #\d+$/gm)).toEqual(["connections=5,threads=1 #1", "connections=5,threads=2 #1"]);
    expect(listTree(dir)).toEqual(["spec.yaml"]);
  });

  it("--only connections=5 runs only those 2 cells, and --repeat 2 gives 2 rows for each", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, happySpec("only.csv"));
    const result = await runCli(["run", specFile, "--only", "connections=5", "--repeat", "2"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    // threads=1, threads=2, then repeat 2 starts with threads=2 (the kept server) and starts threads=1 again.
    expect(countStarted(result, "server")).toBe(3);
    await expectCleanExit(result);
    const { rows } = readCsv(path.join(dir, "only.csv"));
    // Repeat-major: repeat 1 of every cell, then repeat 2 (a warm server's groups in alternating order).
    expect(rows.map((row) => `${row.cell} #${row.repeat}`)).toEqual([
      "connections=5,threads=1 #1",
      "connections=5,threads=2 #1",
      "connections=5,threads=2 #2",
      "connections=5,threads=1 #2",
    ]);
    expect(rows.map((row) => row.status)).toEqual(["ok", "ok", "ok", "ok"]);
    // The pivot gives each cell's median with its spread over the 2 repeats: (min–max, CV).
    expect(result.stderr).toContain("resp/s: median of ok repeats (min–max, CV)");
    for (const threads of ["1", "2"]) {
      const values = rows.filter((row) => row.threads === threads).map((row) => Math.round(Number(row.resp_per_s)));
      const spread = `(${Math.min(...values)}–${Math.max(...values)}, `;
      expect(result.stderr, `threads=${threads}`).toContain(spread);
    }
  });

  it("refuses to append to a CSV with other columns: exit 2, the differing columns named, file unchanged", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, happySpec("other.csv"));
    const csvFile = path.join(dir, "other.csv");
    // A file written by a sweep over connections × length instead of connections × threads.
    const content =
      "run_id,started_at,spec,cell,repeat,connections,length,duration_s,requests\n" +
      'r1,2024-01-01T00:00:00Z,old,"connections=1,length=64",1,1,64,1,10\n';
    writeFileSync(csvFile, content);
    const result = await runCli(["run", specFile], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${csvFile} has another header: this sweep writes columns "threads", "status", "error", "resp_per_s", `,
    );
    expect(result.stderr).toContain(`and it has column "length" that this sweep does not write; write to another file (output.csv, --csv)`);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(csvFile, "utf8")).toBe(content);
    expect(result.descendants).toEqual([]);
    expect(listTree(dir)).toEqual(["other.csv", "spec.yaml"]); // no lock, no raw outputs left
  });
});

describe("tcpsweep run: one sweep at a time per CSV", () => {
  it("a second run waits for the lock (or with --lock-wait 0.2s refuses, naming the holder); rows never interleave", async () => {
    const dir = makeTempDir();
    // The holder's first server waits for a file the test writes once it has seen the second run
    // refused: the holder still holds the lock then, however slowly the machine starts processes.
    const go = path.join(dir, "go");
    const server = {
      command: ["sh", "-c", `while [ ! -e "$0" ]; do sleep 0.05; done; exec "$1" "$2" --mode normal --port {port}`, go, NODE, FAULT_SERVER],
      ready: { stdout: "^listening on " },
      ready_timeout: "60s",
    };
    const specFile = writeSpec(dir, { ...happySpec("shared.csv", { connections: [2, 4] }), warmup: 0, server });
    const csvFile = path.join(dir, "shared.csv");
    const lockFile = `${csvFile}.lock`;

    const holder = startCli(["run", specFile], { cwd: dir });
    expect(await waitFor(() => existsSync(lockFile), 15_000), "the first run takes the lock").toBe(true);
    expect(readFileSync(lockFile, "utf8").trim()).toBe(String(holder.pid));

    const refused = await runCli(["run", specFile, "--lock-wait", "0.2s"], { cwd: dir });
    writeFileSync(go, "");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`locked by another tcpsweep run (PID ${holder.pid}`);
    expect(refused.descendants).toEqual([]);

    const waiter = startCli(["run", specFile, "--lock-wait", "60s"], { cwd: dir });
    const [first, second] = await Promise.all([holder.result, waiter.result]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    await expectCleanExit(first);
    await expectCleanExit(second);

    const csv = readCsv(csvFile);
    expect(csv.records.every((record) => record.length === csv.header.length)).toBe(true);
    const runIds = csv.rows.map((row) => row.run_id);
    expect(runIds).toHaveLength(4);
    expect(new Set(runIds).size).toBe(2);
    // Each run's rows are contiguous, the waiting run's after the holder's.
    expect(runIds[0]).toBe(runIds[1]);
    expect(runIds[2]).toBe(runIds[3]);
    expect(first.stderr).toContain(`run ${runIds[0]}`);
    expect(second.stderr).toContain(`run ${runIds[2]}`);
    expect(csv.rows.every((row) => row.status === "ok")).toBe(true);
    expect(existsSync(lockFile)).toBe(false);
  });

  it("takes over a stale lock whose PID is dead", async () => {
    const dir = makeTempDir();
    const specFile = writeSpec(dir, { ...happySpec("stale/stale.csv", { connections: [2] }), warmup: 0 });
    const csvFile = path.join(dir, "stale/stale.csv");
    const dead = spawnSync(NODE, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    expect(deadPid).toBeGreaterThan(0);
    mkdirSync(path.dirname(csvFile), { recursive: true });
    writeFileSync(`${csvFile}.lock`, `${deadPid}\n`);

    const result = await runCli(["run", specFile, "--lock-wait", "0.2s"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    await expectCleanExit(result);
    expect(readCsv(csvFile).rows.map((row) => row.status)).toEqual(["ok"]);
    expect(existsSync(`${csvFile}.lock`)).toBe(false);
  });
});
