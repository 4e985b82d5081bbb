/**
 * Issue 33, class 5: a descendant that daemonizes (setsid, double fork, nohup) leaves the process
 * tree and group; it is still found by the TCPSWEEP_TREE marker its environment inherited, and
 * killed when its role stops: after `run`, after the agent's end, and by ChildProcess.stop itself.
 * Every daemon is a real `sleep` with a unique argument; leftovers are killed by PID in cleanup.
 */
import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ChildProcess } from "../src/process/child.js";
import { CLI, FAULT_SERVER, makeTempDir, removeTempDirs, runCli, waitFor, writeSpec } from "./helpers/sweep.js";

const ownPids: number[] = [];
const sleepArgs: string[] = [];
afterEach(() => {
  for (const pid of [...ownPids.splice(0), ...sleepArgs.splice(0).flatMap(pidsRunning)]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  removeTempDirs();
});

/** PIDs of live processes whose command line holds `argument` as one item. */
function pidsRunning(argument: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2)[0];
      if (argv.includes(argument) && state !== "Z") pids.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

/**
 * Three unique sleep arguments and a shell line that leaves three daemons outside the server's tree
 * AND process group (so only the marker can find them): setsid, a double fork in a new session, and
 * nohup in a process group of its own (python3's setpgid: a shell without a terminal has no job control).
 */
function daemonizingShell(): { args: string[]; line: string } {
  const args = [0, 1, 2].map((i) => `303${1 + i}.${randomInt(100_000, 999_999)}`);
  sleepArgs.push(...args);
  const quiet = "</dev/null >/dev/null 2>&1";
  const ownGroupNohup = `import os; os.setpgid(0, 0); os.execvp('nohup', ['nohup', 'sleep', '${args[2]}'])`;
  const line = [
    `(setsid sleep ${args[0]} ${quiet} &)`, // a new session, re-parented to init
    `setsid sh -c '(sleep ${args[1]} ${quiet} &) &' ${quiet}`, // double fork: both parents gone
    `(python3 -c "${ownGroupNohup}" ${quiet} &)`, // immune to SIGHUP, own group, re-parented
  ].join("; ");
  return { args, line };
}

const allStarted = (args: string[]) => () => args.every((arg) => pidsRunning(arg).length === 1);

describe("descendants that daemonize do not survive their role", () => {
  it("ChildProcess.stop finds setsid, double-fork and nohup daemons by their marker and counts them", async () => {
    const { args, line } = daemonizingShell();
    const child = new ChildProcess(["sh", "-c", `${line}; exec sleep 1000`]);
    ownPids.push(child.pid!);
    expect(await waitFor(allStarted(args), 10_000), "the three daemons started").toBe(true);
    // They left the tree: the parent-PID walk no longer reaches them.
    const tree = child.processIds();
    for (const arg of args) expect(tree).not.toContain(pidsRunning(arg)[0]);
    const { escaped } = await child.stop("SIGTERM", 1000);
    expect(escaped).toBe(3);
    for (const arg of args) expect(pidsRunning(arg), arg).toEqual([]);
  }, 30_000);

  it("a process that is not ours (no marker) is left alone", async () => {
    const arg = `3034.${randomInt(100_000, 999_999)}`;
    sleepArgs.push(arg);
    const stranger = spawn("sleep", [arg], { stdio: "ignore" });
    ownPids.push(stranger.pid!);
    const child = new ChildProcess(["sh", "-c", "exit 0"]);
    await child.exited;
    expect((await child.stop("SIGTERM", 100)).escaped).toBe(0);
    expect(pidsRunning(arg)).toEqual([stranger.pid]);
  }, 30_000);

  it("run: a server command that leaves three daemons; none is alive after the run, which says it killed them", async () => {
    const { args, line } = daemonizingShell();
    const dir = makeTempDir();
    const spec = writeSpec(dir, {
      name: "daemons",
      duration: "0.3s",
      warmup: 0,
      matrix: { connections: [1] },
      server: { command: ["sh", "-c", `${line}; exec ${process.execPath} ${FAULT_SERVER} --mode normal --port {port}`], ready: "port" },
      client: { builtin: true, threads: 1 },
      output: { csv: "d.csv" },
    });
    const result = await runCli(["run", spec], { cwd: dir });
    expect(result.status, result.stderr).toBe(0);
    for (const arg of args) expect(pidsRunning(arg), `sleep ${arg} outlived the run`).toEqual([]);
    expect(result.stderr).toContain("tcpsweep: killed 3 escaped descendants");
  }, 120_000);

  it("agent: daemons of a command the agent started are gone after the agent's end (stdin EOF)", async () => {
    const { args, line } = daemonizingShell();
    const agent = spawn(process.execPath, [CLI, "agent"], { stdio: ["pipe", "pipe", "pipe"] });
    ownPids.push(agent.pid!);
    let stderr = "";
    agent.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    agent.stdout.resume();
    agent.stdin.write(`${JSON.stringify({ type: "start", id: 1, argv: ["sh", "-c", `${line}; exec sleep 1000`], self: false })}\n`);
    expect(await waitFor(allStarted(args), 10_000), "the three daemons started").toBe(true);
    const code = new Promise<number | null>((resolve) => agent.once("exit", resolve));
    agent.stdin.end();
    expect(await code).toBe(0);
    for (const arg of args) expect(pidsRunning(arg), `sleep ${arg} outlived the agent`).toEqual([]);
    expect(stderr).toContain("tcpsweep agent: killed 3 escaped descendants");
  }, 30_000);
});
