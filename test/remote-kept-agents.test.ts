/**
 * The load hosts' agents kept for the sweep (src/launch/kept-agents.ts), end to end on the lab
 * (test/helpers/lab.ts): one `tcpsweep agent` per load host runs every run of the sweep, the built-in
 * client in a warm client under it; each run still opens its own connections and reports its own
 * figures; a host's agent killed mid-sweep costs one retried run; SIGINT leaves nothing on any host.
 */
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readCsvRows } from "../src/rundir/results-csv.js";
import { leftovers, processesIn, useLab } from "./helpers/lab-suite.js";
import { REPO } from "./helpers/sweep.js";

const CLI = path.join(REPO, "dist/cli/main.js");
const TCPSWEEP = `${process.execPath} ${CLI}`;

const suite = useLab(["srv", "load1", "load2"], "tcpsweep-kept-");

function spec(name: string, connections: number[], duration: number): string {
  const entry = (host: string, extra = "") => `  ${host}: {ssh: ${host}${extra}, tcpsweep: "${TCPSWEEP}"}`;
  return [
    `name: ${name}`,
    `output: {csv: ${path.join(suite.dir, `${name}.csv`)}, mode: new}`,
    `ssh: {options: ["-F", "${suite.lab.sshConfigPath}"]}`,
    "hosts:",
    entry("srv", `, address: ${suite.lab.hosts.srv!.address}`),
    entry("load1"),
    entry("load2"),
    `duration: ${duration}`,
    "warmup: 0.2",
    `matrix: {connections: [${connections.join(", ")}]}`,
    "server: {builtin: true, host: srv}",
    "client: {hosts: [load1, load2]}",
  ].join("\n");
}

/** `tcpsweep run -v` inside the controller namespace; `seen(text)` resolves once its stderr says `text` (false if it ended first). */
function runInLab(name: string, body: string) {
  const file = path.join(suite.dir, `${name}.yaml`);
  writeFileSync(file, `${body}\n`);
  const child = execa("ip", ["netns", "exec", suite.lab.controllerNs, process.execPath, CLI, "run", file, "-v"], {
    reject: false,
    timeout: 240_000,
    cwd: suite.dir,
  });
  const result = child.then((r) => ({ exitCode: r.exitCode, stderr: String(r.stderr) }));
  let stderr = "";
  const waiters: { text: string; resolve: (seen: boolean) => void }[] = [];
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    for (const w of waiters.filter((w) => stderr.includes(w.text))) w.resolve(true);
  });
  void result.then(() => waiters.forEach((w) => w.resolve(false)));
  const seen = (text: string) => new Promise<boolean>((resolve) => waiters.push({ text, resolve }));
  return { child, csv: path.join(suite.dir, `${name}.csv`), result, seen };
}

/** What a run's raw output says of each host's agent and warm client: `{load1: {agent: "pid 12, its run 1", warm: "…"}}`. */
function keptLines(rawOutput: string): Record<string, { agent?: string; warm?: string }> {
  const text = readFileSync(path.join(suite.dir, rawOutput), "utf8");
  const hosts: Record<string, { agent?: string; warm?: string }> = {};
  for (const match of text.matchAll(/^\[(load\d)\] tcpsweep agent (pid \d+), its run (\d+)$/gm))
    (hosts[match[1]!] ??= {}).agent = `${match[2]} run ${match[3]}`;
  for (const match of text.matchAll(/^\[(load\d)\] tcpsweep: warm client process (\d+), its run (\d+)$/gm))
    (hosts[match[1]!] ??= {}).warm = `pid ${match[2]} run ${match[3]}`;
  return hosts;
}

describe("load hosts' agents kept for the sweep", () => {
  it("two runs through one agent and one warm client per host: each run its own connections and figures", async () => {
    const { csv, result } = runInLab("kept", spec("kept", [20, 30], 1));
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(0);
    const rows = readCsvRows(csv);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.status, row.error).toBe("ok");
      // Fresh connections per run: exactly the cell's count, every one established and served.
      expect(Number(row.connections_established), row.error).toBe(Number(row.connections));
      expect(Number(row.connections_served), row.error).toBe(Number(row.connections));
      expect(Number(row.responses)).toBeGreaterThan(0);
    }
    expect(rows[0]!.requests).not.toBe(rows[1]!.requests); // its own figures, not a copy
    const [first, second] = rows.map((row) => keptLines(String(row.raw_output)));
    for (const host of ["load1", "load2"]) {
      // One agent started on each host for the sweep: the same pid, its run 1 then its run 2.
      expect(first![host]!.agent).toMatch(/^pid \d+ run 1$/);
      expect(second![host]!.agent).toBe(first![host]!.agent!.replace("run 1", "run 2"));
      // And one warm client under it.
      expect(first![host]!.warm).toMatch(/^pid \d+ run 1$/);
      expect(second![host]!.warm).toBe(first![host]!.warm!.replace("run 1", "run 2"));
    }
    expect(await leftovers(suite, 5000)).toEqual([]);
  }, 240_000);

  it("load1's agent killed mid-sweep: that run is retried once on a new agent, the reason in its row; the sweep goes on", async () => {
    const { csv, result, seen } = runInLab("agent-killed", spec("agent-killed", [20, 30, 40], 3));
    // Mid-run, the event itself: the second run's window is open on every host.
    expect(await seen("connections=30 #1: window open"), "the sweep ended before the second run's window opened").toBe(true);
    const agents = (await processesIn(suite.lab.hosts.load1!.ns)).filter((p) => p.exe.startsWith("node") && / agent$/.test(p.cmdline));
    expect(agents).toHaveLength(1); // one agent on the host, kept since the first run
    process.kill(agents[0]!.pid, "SIGKILL");
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(0);
    const rows = readCsvRows(csv);
    expect(rows.map((row) => row.status)).toEqual(["ok", "ok", "ok"]);
    const retried = rows.filter((row) => String(row.error).includes("replaced, run retried once"));
    expect(retried.map((row) => row.connections)).toEqual(["30"]);
    expect(retried[0]!.error).toMatch(/kept agent lost: host load1: session ended/);
    const kept = rows.map((row) => keptLines(String(row.raw_output)));
    // The retry ran on a new agent on load1 (its run 1), which the next run kept; load2's agent ran all three.
    expect(kept[1]!.load1!.agent).toMatch(/ run 1$/);
    expect(kept[1]!.load1!.agent).not.toBe(kept[0]!.load1!.agent);
    expect(kept[2]!.load1!.agent).toBe(kept[1]!.load1!.agent!.replace("run 1", "run 2"));
    expect(kept[2]!.load2!.agent).toBe(kept[0]!.load2!.agent!.replace("run 1", "run 4"));
    // The killed agent's warm client ends with its run (its stdin closed): nothing is left.
    expect(await leftovers(suite, 10_000)).toEqual([]);
  }, 240_000);

  it("SIGINT while the agents are kept: exit 130, whole rows, no process on any host", async () => {
    const { child, csv, result, seen } = runInLab("interrupt", spec("interrupt", [20, 30, 40], 2));
    expect(await seen("connections=30 #1: window open"), "the sweep ended before the second run's window opened").toBe(true);
    child.kill("SIGINT");
    const { exitCode, stderr } = await result;
    expect(exitCode, stderr).toBe(130);
    const rows = readCsvRows(csv);
    expect(rows.map((row) => row.status)).toEqual(["ok"]);
    expect(await leftovers(suite, 5000)).toEqual([]);
  }, 240_000);
});
