// The `note` column names a pathology the figures show, each on a real server that has it on purpose
// (test/fixtures/programs/pathology-server.py, Debian's python3) or a real one configured badly (socat).
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";
import { requireTool } from "./helpers/system-tools.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const SERVER = path.resolve(import.meta.dirname, "fixtures/programs/pathology-server.py");

async function runOne(spec: Record<string, unknown>): Promise<Record<string, string>> {
  const dir = makeTempDir();
  const file = writeSpec(dir, { name: "pathology", duration: "2s", warmup: "0.5s", ...spec });
  const run = await runCli(["run", file, "--csv", "p.csv"], { cwd: dir, timeoutMs: 120_000 });
  expect([0, 1], run.stderr).toContain(run.status);
  return readCsv(path.join(dir, "p.csv")).rows[0]!;
}

const pythonServer = (mode: string) => ({ command: [requireTool("python3"), SERVER, mode, "{host}", "{port}"], ready: "port" });

describe("pathology notes", () => {
  it("Nagle and delayed ACKs: an echo server without TCP_NODELAY writing each reply in two parts", async () => {
    const row = await runOne({ matrix: { connections: [1] }, server: pythonServer("nagle"), client: { protocol: "echo", length: 16384 } });
    expect(row.status).toBe("ok");
    expect(Number(row.latency_p50_us)).toBeGreaterThan(36_000);
    expect(row.note).toMatch(
      /^latency clusters at the 40 ms delayed-ACK timer .*the kernel.s delayed-ACK timer fired \d+ times .*Nagle.s algorithm with delayed ACKs/,
    );
  }, 150_000);

  it("a server that serves N connections at a time: a pool of 2 threads, 6 connections", async () => {
    const row = await runOne({ matrix: { connections: [6] }, server: pythonServer("pool"), client: { protocol: "echo", length: 64 } });
    expect(row.connections_served).toBe("2");
    expect(row.note).toContain("only 2 of 6 connections got a response in the window: the server seems to serve 2 connections at a time");
  }, 150_000);

  it("allocator churn: mmap/munmap per request, seen by the perf syscall profiler", async () => {
    const row = await runOne({
      matrix: { connections: [4] },
      server: pythonServer("churn"),
      client: { protocol: "echo", length: 64 },
      profile: { perf: {} },
    });
    expect(row.status).toBe("ok");
    expect(row.note).toMatch(/allocator churn: mmap\/munmap per request \((\d+\.\d) calls per response\)/);
    // Without the churn the same server makes no such calls per request: the note is the server's doing.
    const clean = await runOne({
      matrix: { connections: [4] },
      server: pythonServer("plain"),
      client: { protocol: "echo", length: 64 },
      profile: { perf: {} },
    });
    expect(clean.note ?? "").not.toContain("allocator churn");
  }, 240_000);

  it("listen backlog overflow: socat with a backlog of 1 and 200 connections at once", async () => {
    const socat = requireTool("socat");
    const row = await runOne({
      matrix: { connections: [200] },
      server: { command: [socat, "TCP-LISTEN:{port},bind={host},fork,reuseaddr,backlog=1", "PIPE"], ready: "port" },
      client: { protocol: "echo", length: 64 },
    });
    expect(row.note).toMatch(/listen backlog overflowed \d+ times during the run \(TcpExt ListenOverflows/);
  }, 150_000);
});
