/**
 * Issue 33, class 5: a descendant that daemonizes (setsid, double fork, nohup) leaves the process
 * tree and group; it is still found by the TCPSWEEP_TREE marker its environment inherited, and
 * killed when its role stops: after `run`, after the agent's end, and by ChildProcess.stop itself.
 * Every daemon is a real `sleep` with a unique argument; leftovers are killed by PID in cleanup.
 */
import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

/** Each daemon runs as one `sleep ARG` that no longer descends from `root` (its subshells are gone). */
const allEscaped = (root: number, args: string[]) => () =>
  args.every((arg) => {
    const pids = pidsRunning(arg);
    if (pids.length !== 1) return false;
    for (let p = parentOf(pids[0]!); p > 1; p = parentOf(p)) if (p === root) return false;
    return true;
  });

/**
 * A script the server's shell runs before it execs the server: it returns once each daemon runs as
 * `sleep ARG` and no longer descends from the shell (pid $$). Without it a loaded machine could stop
 * the server while python3 has not yet left the process group, or while a subshell still parents a
 * sleep: those are killed as members of the tree, not as escaped descendants.
 */
function waitUntilEscaped(dir: string, args: string[]): string {
  const script = `const fs = require("fs");
const [root, ...want] = process.argv.slice(2);
const read = (file) => { try { return fs.readFileSync(file, "utf8"); } catch { return ""; } };
const parentOf = (pid) => { const stat = read("/proc/" + pid + "/stat"); return stat ? stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] : "0"; };
const inTree = (pid) => { for (let p = parentOf(pid); p !== "0" && p !== "1"; p = parentOf(p)) if (p === root) return true; return false; };
const pidOf = (arg) => fs.readdirSync("/proc").find((entry) => read("/proc/" + entry + "/cmdline") === "sleep\\0" + arg + "\\0");
const escaped = () => want.every((arg) => { const pid = pidOf(arg); return pid !== undefined && !inTree(pid); });
const timer = setInterval(() => { if (escaped()) clearInterval(timer); }, 20);
`;
  writeFileSync(join(dir, "wait-escaped.cjs"), script);
  return `${process.execPath} ${join(dir, "wait-escaped.cjs")} $$ ${args.join(" ")}`;
}

describe("descendants that daemonize do not survive their role", () => {
  it("ChildProcess.stop finds setsid, double-fork and nohup daemons by their marker and counts them", async () => {
    const { args, line } = daemonizingShell();
    const child = new ChildProcess(["sh", "-c", `${line}; exec sleep 1000`]);
    ownPids.push(child.pid!);
    expect(await waitFor(allEscaped(child.pid!, args), 10_000), "the three daemons started and left the tree").toBe(true);
    // The parent-PID walk no longer reaches them.
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
      server: {
        command: [
          "sh",
          "-c",
          `${line}; ${waitUntilEscaped(dir, args)}; exec ${process.execPath} ${FAULT_SERVER} --mode normal --port {port}`,
        ],
        ready: "port",
      },
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
    expect(await waitFor(allEscaped(agent.pid!, args), 10_000), "the three daemons started and left the tree").toBe(true);
    const code = new Promise<number | null>((resolve) => agent.once("exit", resolve));
    agent.stdin.end();
    expect(await code).toBe(0);
    for (const arg of args) expect(pidsRunning(arg), `sleep ${arg} outlived the agent`).toEqual([]);
    expect(stderr).toContain("tcpsweep agent: killed 3 escaped descendants");
  }, 30_000);
});
