/**
 * perf stat opened during the warmup (Profiler.prepare) with its events off: the calls a process makes
 * before `begin` switches them on are not counted, those after are. Real perf, a perl program steered
 * line by line on its stdin.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalLauncher } from "../src/launch/local.js";
import { PerfWindowProfiler } from "../src/profile/perf.js";
import { perfProblem } from "../src/profile/preflight.js";
import { ProfileError, type SyscallCounts } from "../src/profile/profiler.js";
import { syscallNumbers } from "../src/profile/syscall-numbers.js";
import { requireTool } from "./helpers/system-tools.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

beforeAll(() => {
  requireTool("perf");
  const why = perfProblem();
  if (why) throw new Error(`this machine cannot run the perf tests: ${why}`);
});

/** Perl that, for each line it reads, closes fd -1 (EBADF) that many times and says "done". */
function perlClosing() {
  const close = syscallNumbers()!.close;
  const child = spawn(requireTool("perl"), [
    "-e",
    `$| = 1; while (my $n = <STDIN>) { syscall(${close}, -1) for 1 .. $n; print "done\\n"; }`,
  ]);
  const lines = createInterface({ input: child.stdout });
  const closes = async (n: number) => {
    const done = new Promise<void>((resolve) => lines.once("line", () => resolve()));
    child.stdin.write(`${n}\n`);
    await done;
  };
  return { child, closes };
}

const closeCalls = (counts: SyscallCounts | ProfileError) => {
  if (counts instanceof ProfileError) throw counts;
  return counts.rows.find((row) => row.syscall === "close")?.calls ?? 0;
};

/** Closes `before` times with perf attached but off (prepared when asked), then `during` with it counting: what it counted. */
async function countedClosing(prepare: boolean, before: number, during: number): Promise<number> {
  const perl = perlClosing();
  const setup = { target: "server" as const, rawFile: path.join(makeTempDir(), "perf.txt"), extraArgs: [], launcher: new LocalLauncher() };
  const profiler = new PerfWindowProfiler(setup);
  try {
    if (prepare) await profiler.prepare([perl.child.pid!]);
    await perl.closes(before);
    await profiler.begin([perl.child.pid!]);
    await perl.closes(during);
    await profiler.end();
    return closeCalls(await profiler.result());
  } finally {
    perl.child.kill();
  }
}

describe("perf prepared during the warmup", () => {
  it("counts nothing before begin switches it on, and every call after", async () => {
    expect(await countedClosing(true, 500, 123)).toBe(123);
  });

  it("begin without prepare attaches and switches on in one go", async () => {
    expect(await countedClosing(false, 50, 77)).toBe(77);
  });
});
