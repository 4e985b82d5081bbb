/**
 * CPU placement on one machine: `server.cpus` and `client.cpus` pin each whole process tree
 * (every process and every thread: cluster workers, client worker threads) to its CPUs, the
 * CSV and meta.json say so, and a CPU the machine does not have is a spec error at its line.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { allowedCpus, formatCpuList, readOnlineCpus } from "../src/placement/cpus.js";
import { SpecError, parseSpecText } from "../src/sweep/spec.js";
import { killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli, startCli, stillAlive, writeSpec } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

/** Every thread of the process: its CPU list as the kernel enforces it. */
function threadCpus(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => formatCpuList(allowedCpus(`${pid}/task/${tid}`)));
}

describe("CPU placement", () => {
  it("pins every process and thread of the server's and the client's trees to their own CPUs", async () => {
    const online = readOnlineCpus();
    expect(online.length, "this test needs 2 CPUs (server on one, client on another)").toBeGreaterThanOrEqual(2);
    const [serverCpu, clientCpu] = [String(online[0]), String(online[1])];
    const dir = makeTempDir();
    const spec = writeSpec(dir, {
      name: "pinned",
      duration: "1.5s",
      warmup: "0.3s",
      matrix: { connections: [20], threads: [2] },
      server: { builtin: true, cpus: serverCpu },
      client: { threads: 2, cpus: clientCpu },
      output: { csv: "pinned.csv" },
    });
    const handle = startCli(["run", spec], { cwd: dir });
    const seen = new Map<number, { role: "server" | "client"; cpus: string[] }>();
    const sample = setInterval(() => {
      for (const proc of handle.descendants()) {
        const role = /main\.js server |worker-process\.js/.test(proc.cmdline)
          ? "server"
          : /main\.js (?:warm-)?client( |$)/.test(proc.cmdline)
            ? "client"
            : undefined;
        if (!role || !stillAlive(proc)) continue;
        try {
          // The sample with the most threads: a late one may catch the process as its threads exit.
          const cpus = threadCpus(proc.pid);
          if (cpus.length >= (seen.get(proc.pid)?.cpus.length ?? 0)) seen.set(proc.pid, { role, cpus });
        } catch {
          // exited between the check and the read
        }
      }
    }, 100);
    const result = await handle.result.finally(() => clearInterval(sample));
    expect(result.code, result.stderr).toBe(0);

    const server = [...seen.values()].filter((p) => p.role === "server");
    const client = [...seen.values()].filter((p) => p.role === "client");
    // The built-in server with 2 threads is a primary and 2 worker processes; the client runs 2 worker threads.
    expect(server.length, "server processes seen").toBeGreaterThanOrEqual(3);
    expect(client.length, "client processes seen").toBeGreaterThanOrEqual(1);
    expect(Math.max(...client.map((p) => p.cpus.length)), "client threads seen").toBeGreaterThanOrEqual(3);
    for (const proc of server) for (const cpus of proc.cpus) expect(cpus).toBe(serverCpu);
    for (const proc of client) for (const cpus of proc.cpus) expect(cpus).toBe(clientCpu);

    const [row] = readCsv(path.join(dir, "pinned.csv")).rows;
    expect(row).toMatchObject({ status: "ok", server_cpus: serverCpu, client_cpus: clientCpu });
    const metaFile = readdirSync(dir).find((name) => name.endsWith(".meta.json"))!;
    expect(JSON.parse(readFileSync(path.join(dir, metaFile), "utf8")).placement).toEqual({
      server_cpus: serverCpu,
      client_cpus: clientCpu,
    });
  });

  it("refuses a CPU the machine does not have, at its line, with the CPUs it has", () => {
    const text = ["matrix: {connections: [1]}", "server:", "  builtin: true", '  cpus: "0-1,5"', "client:", "  cpus: 1-x", ""].join("\n");
    let error: unknown;
    try {
      parseSpecText(text, "cpus.yaml", {}, { onlineCpus: [0, 1] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SpecError);
    const issues = (error as SpecError).issues;
    expect(issues).toEqual([
      expect.objectContaining({ line: 4, path: "server.cpus", message: "CPU 5 does not exist on this machine (CPUs 0-1)" }),
      expect.objectContaining({ line: 6, path: "client.cpus", message: expect.stringMatching(/"1-x" .* is not a CPU id or a range/) }),
    ]);
  });

  it("--dry-run prints the commands as they would start: pinned roles under taskset", async () => {
    const dir = makeTempDir();
    const spec = writeSpec(dir, {
      matrix: { connections: [5] },
      server: { builtin: true, cpus: "0" },
      client: { cpus: "1" },
      output: { csv: "d.csv" },
    });
    const result = await runCli(["run", spec, "--dry-run"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ {2}server: taskset -c 0 \S+ \S+ server /m);
    expect(result.stdout).toMatch(/^ {2}client: taskset -c 1 \S+ \S+ client /m);
  });

  it("normalises a CPU list as the CSV will show it", () => {
    const spec = parseSpecText('matrix: {connections: [1]}\nserver: {builtin: true, cpus: "1,0"}\n', "n.yaml", {}, { onlineCpus: [0, 1] });
    expect(spec.server?.cpus).toBe("0-1");
  });
});
