/**
 * perf's per-syscall counters: each is raw_syscalls:sys_enter filtered on the syscall's number
 * (one tracepoint for all, so perf exits fast: src/profile/syscall-numbers.ts). The numbers are
 * checked here against the kernel's own named tracepoints with real perf, and perf's output is read
 * by position, since every such counter prints the same event name.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePerfStat, perfCounters } from "../src/profile/perf.js";
import { perfProblem } from "../src/profile/preflight.js";
import { SYSCALL_NUMBERS, syscallNumbers } from "../src/profile/syscall-numbers.js";
import { requireTool } from "./helpers/system-tools.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

describe("perf counters by syscall number", () => {
  it("this architecture's numbers are the kernel's: each counts exactly what the syscall's own tracepoint counts", () => {
    const why = perfProblem();
    if (why) throw new Error(`this machine cannot run the perf tests: ${why}`);
    const numbers = syscallNumbers();
    if (!numbers) {
      // No table: perf falls back to the named tracepoints, one per syscall.
      expect(
        perfCounters(undefined)
          .slice(2)
          .every((counter) => counter.event.startsWith("syscalls:sys_enter_")),
      ).toBe(true);
      return;
    }
    const perl = requireTool("perl");
    const names = Object.keys(numbers);
    // Each syscall called by number a different number of times, with arguments that make it fail at once (all -1: a bad descriptor, address or count; never a wait).
    const calls = names.map((name, index) => `${numbers[name]}:${100 + index}`);
    const script = "for (@ARGV) { my ($n, $k) = split /:/; syscall($n, -1, -1, -1, -1, -1, -1) for 1 .. $k }";
    const filtered = perfCounters(numbers);
    // The fallback tcpsweep uses without a table: each syscall's own named tracepoint.
    const named = perfCounters(undefined, (name) => name in numbers);
    const out = path.join(makeTempDir(), "perf.txt");
    const argv = [
      "stat",
      "-x,",
      "--no-big-num",
      "-o",
      out,
      ...filtered.flatMap((c) => c.args),
      ...named.slice(2).flatMap((c) => c.args),
      "--",
      perl,
      "-e",
      script,
      ...calls,
    ];
    const run = spawnSync(requireTool("perf"), argv, { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const lines = readFileSync(out, "utf8")
      .split("\n")
      .filter((line) => line.split(",")[2]);
    // Both counter sets share the total and error lines; each reads its own per-syscall lines.
    const ours = parsePerfStat(lines.slice(0, filtered.length).join("\n"), filtered, "server", out);
    const theirs = parsePerfStat([...lines.slice(0, 2), ...lines.slice(filtered.length)].join("\n"), named, "server", out);
    if (ours instanceof Error) throw ours;
    if (theirs instanceof Error) throw theirs;
    const callsOf = (counts: typeof ours) => new Map(counts.rows.map((row) => [row.syscall, row.calls]));
    const [byNumber, byTracepoint] = [callsOf(ours), callsOf(theirs)];
    for (const [index, name] of names.entries()) {
      expect(byNumber.get(name) ?? 0, `${name} (number ${numbers[name]})`).toBe(byTracepoint.get(name));
      expect(byTracepoint.get(name), name).toBeGreaterThanOrEqual(100 + index);
    }
  });

  it("every architecture's table names only syscalls perf counts, each number once", () => {
    for (const [arch, table] of Object.entries(SYSCALL_NUMBERS)) {
      const values = Object.values(table!);
      expect(new Set(values).size, arch).toBe(values.length);
      const counters = perfCounters(table);
      expect(
        counters.slice(2).map((c) => (c.counts.kind === "syscall" ? c.counts.name : "")),
        arch,
      ).toEqual(Object.keys(table!).filter((name) => counters.some((c) => c.args.includes(`id == ${table![name]}`))));
      expect(
        counters
          .slice(2)
          .every((c) => c.event === "raw_syscalls:sys_enter" && c.args[3] === `id == ${table![(c.counts as { name: string }).name]}`),
        arch,
      ).toBe(true);
    }
  });
});

describe("perf stat output read by position", () => {
  const counters = perfCounters({ read: 0, write: 1 });
  const line = (count: string, event: string) => `${count},,${event},1000,100.00,,`;

  it("adds each line to the counter asked for in that place; the rest of the total is (other)", () => {
    const text = [
      "# started on …",
      "",
      line("100", "raw_syscalls:sys_enter"),
      line("3", "raw_syscalls:sys_exit"),
      line("40", "raw_syscalls:sys_enter"),
      line("35", "raw_syscalls:sys_enter"),
    ].join("\n");
    const result = parsePerfStat(text, counters, "server", "perf.txt");
    expect(result).toEqual({
      source: "perf",
      target: "server",
      rows: [
        { syscall: "read", calls: 40 },
        { syscall: "write", calls: 35 },
        { syscall: "(other)", calls: 25 },
      ],
      total: { calls: 100, errors: 3 },
      rawFile: "perf.txt",
    });
  });

  it("a missing line, an event out of place or a count perf could not take is an error naming it", () => {
    const short = parsePerfStat(
      [line("100", "raw_syscalls:sys_enter"), line("3", "raw_syscalls:sys_exit")].join("\n"),
      counters,
      "server",
      "p.txt",
    );
    expect(String(short)).toMatch(/p\.txt\) has 2 counts for 4 counters/);
    const moved = parsePerfStat(
      [
        line("100", "raw_syscalls:sys_enter"),
        line("40", "raw_syscalls:sys_enter"),
        line("3", "raw_syscalls:sys_exit"),
        line("1", "raw_syscalls:sys_enter"),
      ].join("\n"),
      counters,
      "server",
      "p.txt",
    );
    expect(String(moved)).toMatch(/line 2: raw_syscalls:sys_enter where raw_syscalls:sys_exit was asked for/);
    const uncounted = parsePerfStat(
      [
        line("100", "raw_syscalls:sys_enter"),
        line("3", "raw_syscalls:sys_exit"),
        line("<not counted>", "raw_syscalls:sys_enter"),
        line("1", "raw_syscalls:sys_enter"),
      ].join("\n"),
      counters,
      "server",
      "p.txt",
    );
    expect(String(uncounted)).toMatch(/perf could not count -e raw_syscalls:sys_enter --filter id == 0: <not counted>/);
  });
});
