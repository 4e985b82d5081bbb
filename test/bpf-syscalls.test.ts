/**
 * The bpf profiler with real bpftrace: a perl program makes known syscalls a known number of times
 * between two lines on its stdin, the window of both bpftrace and perf's named tracepoints; what
 * bpf counts must be what perf counts, syscall by syscall. A worker forked inside the window is
 * counted, and a nanosleep of fixed length lands in its log2 bucket.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BpfProfiler } from "../src/profile/bpf.js";
import { bpfProblem } from "../src/profile/preflight.js";
import { perfCounters, parsePerfStat } from "../src/profile/perf.js";
import type { SyscallCounts } from "../src/profile/profiler.js";
import { syscallNames, syscallNumbers } from "../src/profile/syscall-numbers.js";
import { FORKING_CALLS } from "../src/profile/bpf-script.js";
import { LocalLauncher } from "../src/launch/local.js";
import { requireTool } from "./helpers/system-tools.js";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

const numbers = syscallNumbers();

beforeAll(() => {
  requireTool("bpftrace");
  const why = bpfProblem();
  if (why) throw new Error(`this machine cannot run the bpf tests: ${why}`);
  if (!numbers) throw new Error(`no syscall numbers for ${process.arch} in src/profile/syscall-numbers.ts`);
});

/** Perl that waits for a line, runs `body`, says "done", and waits for a second line before it exits. */
function perlBetweenLines(body: string): { child: ChildProcessWithoutNullStreams; done: Promise<void> } {
  const script = `$| = 1; my $go = <STDIN>; ${body}; print "done\\n"; my $end = <STDIN>;`;
  const child = spawn(requireTool("perl"), ["-e", script]);
  const lines = createInterface({ input: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    lines.on("line", (line) => line === "done" && resolve());
    child.on("exit", (code) => reject(new Error(`perl exited (${code}) before it was done: ${child.stderr.read() ?? ""}`)));
  });
  return { child, done };
}

/**
 * Resolves once `pid` sleeps in read(2) on its stdin (/proc/PID/syscall starts with read's number):
 * then it makes no syscall until it is written to, so both profilers can switch on or off in turn.
 */
async function blockedInRead(pid: number): Promise<void> {
  const prefix = `${numbers!.read} 0x0 `;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 5))) {
    if (readFileSync(`/proc/${pid}/syscall`, "utf8").startsWith(prefix)) return;
  }
  throw new Error(`perl (pid ${pid}) never blocked in read on its stdin`);
}

/** bpf's table of what `body` did, with perf's named tracepoints counting the same pid over the same stretch when `perf` is given. */
async function profile(body: string, options: { time: boolean; perfNames?: string[] }) {
  const dir = makeTempDir();
  const bpf = new BpfProfiler(
    { target: "server", rawFile: path.join(dir, "bpf.txt"), extraArgs: [], launcher: new LocalLauncher() },
    options.time,
  );
  const { child, done } = perlBetweenLines(body);
  await blockedInRead(child.pid!);
  const perf = options.perfNames ? await startPerf(child.pid!, options.perfNames, path.join(dir, "perf.txt")) : undefined;
  await bpf.begin([child.pid!]);
  child.stdin.write("go\n");
  await done;
  await blockedInRead(child.pid!);
  await bpf.end();
  const perfCounts = perf ? await perf.stop() : undefined;
  child.stdin.end("end\n");
  const counts = await bpf.result();
  if (counts instanceof Error) throw counts;
  return { counts, perfCounts };
}

/** `perf stat` on the named tracepoints of `names`, attached to `pid` and enabled before it resolves. */
async function startPerf(pid: number, names: string[], out: string) {
  const counters = perfCounters(undefined, (name) => names.includes(name));
  const argv = [
    "stat",
    "-x,",
    "--no-big-num",
    "-o",
    out,
    "-D",
    "-1",
    "--control",
    "fd:0,1",
    ...counters.flatMap((c) => c.args),
    "-p",
    String(pid),
  ];
  const perf = spawn(requireTool("perf"), argv);
  perf.stdin.write("enable\n");
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: perf.stderr }).on("line", (line) => line.includes("Events enabled") && resolve());
    perf.on("exit", (code) => reject(new Error(`perf exited (${code}) before its events were enabled`)));
  });
  return {
    stop: async (): Promise<SyscallCounts> => {
      const exited = new Promise((resolve) => perf.on("exit", resolve));
      perf.kill("SIGINT");
      await exited;
      const counts = parsePerfStat(readFileSync(out, "utf8"), counters, "server", out);
      if (counts instanceof Error) throw counts;
      return counts;
    },
  };
}

const callsOf = (counts: SyscallCounts) => new Map(counts.rows.map((row) => [row.syscall, row]));

describe("bpf profiler (real bpftrace)", () => {
  // Timed: sys_enter and sys_exit; counting alone: one probe per call, at its exit.
  it.each([true, false])(
    "counts every syscall of the table as often as perf's named tracepoints do, failures included (timed: %s)",
    async (time) => {
      const names = Object.keys(numbers!);
      // Each called by number a different number of times, with arguments that make it fail at once (all -1: never a wait).
      const calls = names.map((name, index) => `syscall(${numbers![name]}, -1, -1, -1, -1, -1, -1) for 1 .. ${100 + index};`).join(" ");
      const { counts, perfCounts } = await profile(calls, { time, perfNames: names });
      const [bpf, perf] = [callsOf(counts), callsOf(perfCounts!)];
      for (const [index, name] of names.entries()) {
        expect(bpf.get(name)?.calls ?? 0, name).toBe(perf.get(name)?.calls ?? 0);
        expect(bpf.get(name)?.calls, name).toBeGreaterThanOrEqual(100 + index);
      }
      // close(-1) fails with EBADF every time, and perl closes nothing else between the lines.
      expect(bpf.get("close")?.errors).toBe(bpf.get("close")?.calls);
      expect(counts.total.calls).toBe(counts.rows.reduce((sum, row) => sum + row.calls, 0));
    },
  );

  it("counts a worker forked inside the window", async () => {
    const getppid = 110; // x86_64; arm64's is 173 (numbers not in the perf table)
    const nr = process.arch === "arm64" ? 173 : getppid;
    const body = `my $pid = fork(); if ($pid == 0) { syscall(${nr}) for 1 .. 777; exit 0; } waitpid($pid, 0);`;
    const { counts } = await profile(body, { time: false });
    const byName = callsOf(counts);
    // perl itself calls getppid never; the worker 777 times.
    expect(byName.get("getppid")?.calls).toBe(777);
    expect(counts.rows.every((r) => r.seconds === undefined && r.p50_us === undefined)).toBe(true);
    // Counted at exit: the fork once (the parent's return, not the child's), and the child's exit_group, which never returns.
    const names = syscallNames();
    const forks = (FORKING_CALLS[process.arch] ?? []).reduce(
      (sum, id) => sum + (byName.get(names.get(id) ?? `syscall_${id}`)?.calls ?? 0),
      0,
    );
    expect(forks, JSON.stringify(counts.rows)).toBe(1);
    expect(byName.get("exit_group")?.calls, JSON.stringify(counts.rows)).toBe(1);
  });

  it("a nanosleep of 17 ms lands in the log2 bucket [16.8, 33.6) ms: p50 and p99 are its upper edge", async () => {
    // 17 ms is just above 2^24 ns: a late wake-up of up to 16 ms on a busy machine stays in the bucket.
    const body = `my $ts = pack("q q", 0, 17_000_000); syscall(${numbers!.nanosleep}, $ts, 0) for 1 .. 5;`;
    const { counts } = await profile(body, { time: true });
    const row = callsOf(counts).get("nanosleep");
    expect(row?.calls).toBe(5);
    expect(row?.p50_us).toBe(33554.432);
    expect(row?.p99_us).toBe(33554.432);
    expect(row?.usecs_per_call).toBeGreaterThanOrEqual(17_000);
    expect(row?.seconds).toBeGreaterThanOrEqual(0.085);
  });
});

describe("bpf profiler refused without permission", () => {
  it("without CAP_BPF and CAP_PERFMON: exit 2 naming both and how to fix it, nothing written", async () => {
    const setpriv = requireTool("setpriv");
    const dir = makeTempDir();
    const csv = path.join(dir, "bpf.csv");
    const spec = writeSpec(dir, {
      name: "bpf",
      duration: "1s",
      matrix: { connections: [1] },
      server: { builtin: true },
      output: { csv },
      profile: { bpf: {} },
    });
    // Root without the two capabilities: dropped from the bounding set, so the CLI's process never has them.
    const result = await runCli(["run", spec], { cwd: dir, prefix: [setpriv, "--bounding-set=-bpf,-perfmon"] });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/bpftrace cannot count syscalls here: this process lacks CAP_BPF and CAP_PERFMON: run as root/);
    expect(existsSync(csv)).toBe(false);
  });
});
