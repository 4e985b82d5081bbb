/** Reading bpftrace's JSON output into a syscall table (pure logic; the real bpftrace is in bpf-syscalls.test.ts). */
import { describe, expect, it } from "vitest";
import { bpfProgram, bucketQuantile, parseBpfOutput } from "../src/profile/bpf-script.js";

const NAMES = new Map([
  [0, "read"],
  [1, "write"],
]);

const lines = (...objects: unknown[]) => objects.map((o) => JSON.stringify(o)).join("\n");
const ATTACHED = { type: "attached_probes", data: { probes: 6 } };

describe("bpftrace output", () => {
  it("rows per syscall by number, errors, time and the log2 buckets' p50/p99 upper edges; unknown numbers named syscall_<nr>", () => {
    const text = lines(
      ATTACHED,
      { type: "map", data: { "@calls": { "0": 10, "1": 4, "999": 1 } } },
      { type: "map", data: { "@errors": { "0": 2 } } },
      {
        type: "hist",
        data: {
          "@ns": {
            "0": [
              { min: 1024, max: 2047, count: 9 },
              { min: 2048, max: 4095, count: 0 },
              { min: 4096, max: 8191, count: 1 },
            ],
            "1": [{ min: 16384, max: 32767, count: 4 }],
          },
        },
      },
      { type: "map", data: { "@total_ns": { "0": 20_000, "1": 80_000 } } },
    );
    const counts = parseBpfOutput(text, NAMES, "server", "raw.txt");
    if (counts instanceof Error) throw counts;
    expect(counts.source).toBe("bpf");
    expect(counts.total).toEqual({ calls: 15, errors: 2 });
    expect(counts.rows.map((r) => r.syscall)).toEqual(["read", "write", "syscall_999"]);
    expect(counts.rows[0]).toEqual({
      syscall: "read",
      calls: 10,
      errors: 2,
      seconds: 0.00002,
      usecs_per_call: 2,
      p50_us: 2.048,
      p99_us: 8.192,
      percent_time: 20,
    });
    expect(counts.rows[1]).toMatchObject({ syscall: "write", calls: 4, errors: 0, usecs_per_call: 20, p50_us: 32.768, percent_time: 80 });
    expect(counts.rows[2]).toEqual({ syscall: "syscall_999", calls: 1, errors: 0 });
  });

  it("counts only (time: false): no time columns; a window without calls is an empty table, not an error", () => {
    const counts = parseBpfOutput(lines(ATTACHED, { type: "map", data: { "@calls": { "1": 3 } } }), NAMES, "client", "r");
    if (counts instanceof Error) throw counts;
    expect(counts.rows).toEqual([{ syscall: "write", calls: 3, errors: 0 }]);
    const empty = parseBpfOutput(lines(ATTACHED), NAMES, "server", "r");
    expect(empty).toMatchObject({ rows: [], total: { calls: 0, errors: 0 } });
  });

  it("output that is not bpftrace's summary is an error naming the file", () => {
    expect(String(parseBpfOutput("ERROR: something", NAMES, "server", "raw.txt"))).toMatch(/raw\.txt\) does not say it attached/);
  });

  it("bucketQuantile: the first bucket whose cumulative count reaches the rank", () => {
    const buckets = [
      { min: 0, max: 0, count: 1 },
      { min: 1, max: 1, count: 1 },
      { min: 2, max: 3, count: 98 },
    ];
    expect(bucketQuantile(buckets, 0.01)).toBe(1);
    expect(bucketQuantile(buckets, 0.5)).toBe(4);
    expect(bucketQuantile([], 0.5)).toBeUndefined();
  });

  it("the program times calls only when asked, and clears its bookkeeping maps before bpftrace prints", () => {
    expect(bpfProgram(true)).toMatch(/@ns\[args->id\] = hist\(\$ns\)/);
    expect(bpfProgram(false)).not.toMatch(/hist\(|@start/);
    expect(bpfProgram(false)).toMatch(/END \{ clear\(@tree\); clear\(@window\); \}/);
  });

  it("counting alone fires one probe per call (at sys_exit) where the forking calls' numbers are known, two elsewhere", () => {
    expect(bpfProgram(false, "x64")).not.toMatch(/raw_syscalls:sys_enter/);
    expect(bpfProgram(false, "x64")).toMatch(
      /args->ret != 0 \|\| \(args->id != 56 && args->id != 57 && args->id != 58 && args->id != 435\)/,
    );
    expect(bpfProgram(false, "x64")).toMatch(/sys_enter_exit_group/);
    expect(bpfProgram(false, "riscv64")).toMatch(/raw_syscalls:sys_enter \/@window == 1/);
    expect(bpfProgram(true, "x64")).toMatch(/raw_syscalls:sys_enter/);
  });

  it("with time per call the markers are read from kill's arguments at sys_enter (one probe fewer to detach), elsewhere at sys_enter_kill", () => {
    const probes = (program: string) => program.match(/^(tracepoint:\S+)/gm) ?? [];
    expect(probes(bpfProgram(true, "x64"))).toEqual([
      "tracepoint:sched:sched_process_fork",
      "tracepoint:raw_syscalls:sys_enter",
      "tracepoint:raw_syscalls:sys_exit",
    ]);
    expect(bpfProgram(true, "x64")).toMatch(/if \(\$id == 62 && pid == \$1 && \$sig >= \$2 && \$sig <= \$2 \+ 2\)/);
    expect(bpfProgram(true, "x64")).toMatch(/\$target = args->args\[0\];[^]*@tree\[\$target\] = 1/);
    expect(bpfProgram(true, "arm64")).toMatch(/args->id == 129 && pid == \$1/);
    expect(probes(bpfProgram(true, "riscv64"))[0]).toBe("tracepoint:syscalls:sys_enter_kill");
    expect(probes(bpfProgram(false, "x64"))[0]).toBe("tracepoint:syscalls:sys_enter_kill");
  });
});
