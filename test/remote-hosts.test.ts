/**
 * Remote hosts over OpenSSH, end to end on the lab (test/helpers/lab.ts): real namespaces, real
 * sshd, the real `ssh`, tcpsweep's own agent on the "remote" hosts (this checkout). The whole
 * `tcpsweep run` is started inside the lab's controller namespace, so every packet stays between
 * namespaces the test created.
 */
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readCsvRows } from "../src/rundir/results-csv.js";
import { leftovers, processesIn, useLab } from "./helpers/lab-suite.js";
import { sleep } from "./helpers/sweep.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(REPO, "dist/cli/main.js");
/** How tcpsweep is run on the lab's hosts: this same checkout. */
const TCPSWEEP = `${process.execPath} ${CLI}`;

const suite = useLab(["srv", "load1", "load2"], "tcpsweep-remote-");

function hostsYaml(overrides: Record<string, string> = {}): string {
  const entry = (name: string, extra = "") => `  ${name}: {ssh: ${name}${extra}, tcpsweep: "${overrides[name] ?? TCPSWEEP}"}`;
  return [
    `ssh: {options: ["-F", "${suite.lab.sshConfigPath}"]}`,
    "hosts:",
    entry("srv", `, address: ${suite.lab.hosts.srv!.address}`),
    entry("load1"),
    entry("load2"),
  ].join("\n");
}

/** `tcpsweep run` inside the controller namespace. */
async function runInLab(name: string, body: string, timeoutMs = 240_000, flags: string[] = []) {
  const spec = path.join(suite.dir, `${name}.yaml`);
  const csv = path.join(suite.dir, `${name}.csv`);
  writeFileSync(spec, `name: ${name}\noutput: {csv: ${csv}, mode: new}\n${body}\n`);
  const child = execa("ip", ["netns", "exec", suite.lab.controllerNs, process.execPath, CLI, "run", spec, ...flags], {
    reject: false,
    timeout: timeoutMs,
    cwd: suite.dir,
  });
  return { child, csv, result: child.then((r) => ({ exitCode: r.exitCode, stderr: String(r.stderr), timedOut: r.timedOut })) };
}

/**
 * Resolves true once `run -v` says the first repeat of `cellId` has opened its window (the client
 * announced it: every load host's window, for remote clients), false if the run ended first.
 */
function windowOpened(child: ReturnType<typeof execa>, result: Promise<unknown>, cellId: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let seen = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      if (seen.includes(`tcpsweep: ${cellId} #1: window open`)) resolve(true);
    });
    void result.then(() => resolve(false));
  });
}

describe("remote hosts over ssh", () => {
  it("preflight: every problem of every host at once, exit 2, nothing written", async () => {
    const body = `${hostsYaml({ load1: "/opt/nowhere/tcpsweep" })}
  ghost: {ssh: root@10.77.0.99, tcpsweep: "${TCPSWEEP}"}
duration: 1
matrix: {connections: [10]}
server: {builtin: true, host: srv}
client: {hosts: [load1, ghost, load2]}`;
    const { csv, result } = await runInLab("preflight", body, 60_000);
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(2);
    expect(stderr).toMatch(/hosts\.load1 .*tcpsweep not found there/);
    expect(stderr).toMatch(/hosts\.ghost .*10\.77\.0\.99/);
    expect(stderr).not.toMatch(/hosts\.(srv|load2) /);
    expect(existsSync(csv)).toBe(false);
    expect(await leftovers(suite, 5000)).toEqual([]);
  }, 60_000);

  it("server on srv, clients on load1 + load2: every row ok, merged, perf on the remote server", async () => {
    const body = `${hostsYaml()}
duration: 1
warmup: 0.5
matrix: {connections: [100, 1000], threads: [1, 2]}
server: {builtin: true, host: srv}
client: {hosts: [load1, load2]}
profile: {perf: {}}`;
    const { csv, result } = await runInLab("two-load-hosts", body);
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(0);
    const rows = readCsvRows(csv);
    expect(rows.map((r) => r.cell)).toEqual([
      "connections=100,threads=1",
      "connections=100,threads=2",
      "connections=1000,threads=1",
      "connections=1000,threads=2",
    ]);
    for (const row of rows) {
      expect(row.status, row.error).toBe("ok");
      expect(row.client_hosts).toBe("2");
      // Clients on load1/load2 connected to srv's address: the server ran there.
      expect(Number(row.connections_established)).toBe(Number(row.connections));
      // Per-connection figures merged over both hosts' connections.
      expect(Number(row.connections_served), row.error).toBe(Number(row.connections));
      expect(Number(row.connections_requested)).toBe(Number(row.connections));
      expect(Number(row.fairness_jain)).toBeGreaterThan(0);
      expect(Number(row.responses)).toBeGreaterThan(0);
      expect(Number(row.clock_offset_max_ms)).toBeLessThan(50); // one clock in the lab: only the measurement error
      expect(row.syscall_source).toBe("perf");
      // A reply costs the server a read and a write; perf counts before the hosts' common window opens, so none is missed.
      expect(Number(row.server_syscalls_per_request)).toBeGreaterThanOrEqual(2);
      expect(Number(row.server_cpu_s)).toBeGreaterThan(0);
      // Per-host figures in the raw output: each host's share of the connections and its client's CPU.
      const raw = readFileSync(path.join(suite.dir, String(row.raw_output)), "utf8");
      const merged = JSON.parse(raw.split("\n").find((line) => line.startsWith('{"address"'))!);
      expect(merged.remote.hosts.map((h: { host: string }) => h.host)).toEqual(["load1", "load2"]);
      expect(merged.remote.hosts.map((h: { connections: number }) => h.connections)).toEqual([
        Number(row.connections) / 2,
        Number(row.connections) / 2,
      ]);
      for (const host of merged.remote.hosts) expect(host.cpu_s).toBeGreaterThan(0);
      expect(merged.requests).toBe(Number(row.requests));
    }
    // meta.json: each remote host as its agent described itself.
    const metaFile = readdirSync(suite.dir).find((f) => f.startsWith("two-load-hosts.") && f.endsWith(".meta.json"))!;
    const meta = JSON.parse(readFileSync(path.join(suite.dir, metaFile), "utf8"));
    expect(meta.remote_hosts.map((h: { name: string; roles: string[] }) => `${h.name}:${h.roles.join("+")}`)).toEqual([
      "load1:client",
      "load2:client",
      "srv:server",
    ]);
    for (const host of meta.remote_hosts) expect(host.tcpsweep_version).toBe(meta.tcpsweep.version);
    expect(await leftovers(suite, 5000)).toEqual([]);
  }, 300_000);

  it("a server command on srv (ready: port, probed there) measured by a client on this side", async () => {
    const body = `${hostsYaml()}
duration: 1
warmup: 0.2
matrix: {connections: [10]}
server: {command: "node ${CLI} server --host {host} --port {port}", ready: port, host: srv}`;
    const { csv, result } = await runInLab("remote-server", body, 120_000);
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(0);
    const [row] = readCsvRows(csv);
    expect(row!.status, row!.error).toBe("ok");
    expect(row!.connections_established).toBe("10");
    expect(row!.client_hosts).toBe(""); // the client ran here
    expect(Number(row!.server_cpu_s)).toBeGreaterThan(0); // the server's /proc, read on srv by its agent
    expect(Number(row!.server_processes)).toBeGreaterThanOrEqual(1);
    expect(await leftovers(suite, 5000)).toEqual([]);
  }, 120_000);

  it("a host's clock offset (injected) is measured within half the round trip, and the windows still start together", async () => {
    const offsetMs = -2000;
    const body = `${hostsYaml({ load1: `env TCPSWEEP_TEST_CLOCK_OFFSET_MS=${offsetMs} ${TCPSWEEP}` })}
duration: 1
warmup: 0.2
matrix: {connections: [20]}
server: {builtin: true, host: srv}
client: {hosts: [load1, load2]}`;
    const { csv, result } = await runInLab("clock", body, 120_000);
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(0);
    const [row] = readCsvRows(csv);
    expect(row!.status, row!.error).toBe("ok");
    const raw = readFileSync(path.join(suite.dir, String(row!.raw_output)), "utf8");
    const merged = JSON.parse(raw.split("\n").find((line) => line.startsWith('{"address"'))!);
    const [load1, load2] = merged.remote.hosts;
    // The namespaces share one kernel clock: the true offset is exactly the injected one.
    expect(Math.abs(load1.clock_offset_ms - offsetMs)).toBeLessThanOrEqual(load1.clock_error_ms);
    expect(Number(row!.clock_offset_max_ms)).toBeCloseTo(Math.abs(load1.clock_offset_ms), 2);
    // Uncorrected, load1 would open its window 2 s late and the windows would not overlap at all.
    expect(Math.abs(load1.window_start_ms - load2.window_start_ms)).toBeLessThan(1000);
    expect(merged.remote.overlap_s).toBeGreaterThan(0);
  }, 120_000);

  it("ssh killed: the agent's whole tree on the remote host is gone within the stop grace", async () => {
    const argv = suite.lab.sshArgv("srv", `${TCPSWEEP} agent`, ["-T"]);
    const ssh = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    ssh.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    ssh.stdin.write(
      `${JSON.stringify({ type: "start", id: 1, self: true, argv: ["server", "--host", "0.0.0.0", "--port", "0", "--threads", "2"] })}\n`,
    );
    const deadline = Date.now() + 20_000;
    while (!out.includes("listening on") && Date.now() < deadline) await sleep(50);
    expect(out).toContain("listening on");
    const running = (await processesIn(suite.lab.hosts.srv!.ns)).filter((p) => p.exe === "node" || p.exe.startsWith("node"));
    expect(running.length).toBeGreaterThanOrEqual(2); // the agent and the server
    ssh.kill("SIGKILL");
    // Stop grace 2 s after stdin EOF, plus the ~50 ms sshd takes to notice.
    expect(await leftovers(suite, 3500)).toEqual([]);
  }, 60_000);

  it("load1's network cut mid-cell: client_failed naming load1, and its agent stops by itself once the controller goes silent", async () => {
    const body = `${hostsYaml()}
duration: 4
warmup: 0.2
matrix: {connections: [200, 300]}
server: {builtin: true, host: srv}
client: {hosts: [load1, load2]}`;
    const { child, csv, result } = await runInLab("network-cut", body, 150_000, ["-v"]);
    const load1 = suite.lab.hosts.load1!;
    const nodesOn = async (ns: string) => (await processesIn(ns)).filter((p) => p.exe.startsWith("node"));
    // Mid-cell: every load host's window has opened (not a guessed delay: a cut before that fails the readiness probe instead).
    expect(await windowOpened(child, result, "connections=200"), "the sweep ended before the first cell's window opened").toBe(true);
    await suite.lab.cutNetwork("load1");
    const cutAt = Date.now();
    try {
      const { exitCode, stderr } = await result;
      expect(exitCode, stderr).toBe(1);
      const rows = readCsvRows(csv);
      expect(rows.map((r) => r.status)).toEqual(["client_failed", "client_failed"]);
      for (const row of rows) expect(row.error).toMatch(/host load1/);
      // No FIN reaches load1, so its sshd keeps the session: the agent's silence watch must end it.
      let left = await nodesOn(load1.ns);
      while (left.length > 0 && Date.now() - cutAt < 30_000) {
        await sleep(250);
        left = await nodesOn(load1.ns);
      }
      expect(left).toEqual([]);
    } finally {
      await execa("ip", ["-n", load1.ns, "link", "set", "eth0", "up"]);
    }
    // Elsewhere nothing is left; on load1 only sshd's own processes for the dead sessions.
    expect((await leftovers(suite, 5000)).filter((p) => !(p.startsWith("load1:") && / sshd/.test(p)))).toEqual([]);
  }, 150_000);

  it("load2's sshd killed mid-cell: that row is client_failed naming load2, the sweep goes on, nothing is left", async () => {
    const body = `${hostsYaml()}
duration: 4
warmup: 0.2
matrix: {connections: [200, 300]}
server: {builtin: true, host: srv}
client: {hosts: [load1, load2]}`;
    const { child, csv, result } = await runInLab("fault", body, 120_000, ["-v"]);
    // Mid-cell: every load host's window has opened, load2's included.
    expect(await windowOpened(child, result, "connections=200"), "the sweep ended before the first cell's window opened").toBe(true);
    const killedAt = Date.now();
    // Every sshd of the host: the listener and the sessions' processes (the host "drops").
    for (const p of await processesIn(suite.lab.hosts.load2!.ns)) if (p.exe.startsWith("sshd")) process.kill(p.pid, "SIGKILL");
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(1);
    const rows = readCsvRows(csv);
    expect(rows.map((r) => r.status)).toEqual(["client_failed", "client_failed"]);
    for (const row of rows) expect(row.error).toMatch(/host load2/);
    // The first row failed at once, not at the cell's timeout.
    const firstRowLine = stderr.split("\n").find((line) => line.includes("[1/2]"))!;
    expect(Date.parse(firstRowLine.slice(0, 24)) - killedAt).toBeLessThan(10_000);
    expect(readdirSync(suite.dir).some((f) => f.startsWith("fault"))).toBe(true);
    expect(await leftovers(suite, 5000)).toEqual([]);
  }, 120_000);

  it("srv's sshd killed mid-cell: that row is server_failed naming srv, the next one too, nothing is left", async () => {
    const body = `${hostsYaml()}
duration: 4
warmup: 0.2
matrix: {connections: [20, 30]}
server: {builtin: true, host: srv}`;
    const { child, csv, result } = await runInLab("server-fault", body, 120_000, ["-v"]);
    // Mid-cell, the event itself: the server on srv is serving the measured load when its host drops.
    expect(await windowOpened(child, result, "connections=20"), "the sweep ended before the first cell's window opened").toBe(true);
    for (const p of await processesIn(suite.lab.hosts.srv!.ns)) if (p.exe.startsWith("sshd")) process.kill(p.pid, "SIGKILL");
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(1);
    const rows = readCsvRows(csv);
    expect(rows.map((r) => r.status)).toEqual(["server_failed", "server_failed"]);
    for (const row of rows) expect(row.error).toMatch(/host srv/);
    expect(await leftovers(suite, 5000)).toEqual([]);
  }, 120_000);
});
