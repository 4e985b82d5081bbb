/**
 * Syscall profiling of sweep cells on real processes with real strace and perf: the tables,
 * the per-request figures, the traced pass kept apart from the clean one, and refusals.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { perfProblem, straceProblem } from "../src/profile/preflight.js";
import { parseStraceSummary, StraceParseError } from "../src/profile/strace-summary.js";
import { stageForOtherUser } from "./helpers/other-user.js";
import { killRunningClis, leftoverProcesses, makeTempDir, readCsv, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

/**
 * Not root and ptrace or perf not permitted: the tests of that profiler fail first, with tcpsweep's own
 * preflight message (which setting, the sysctl that changes it), never silently or with a skip.
 */
function requirePermission(problem: () => string | undefined): void {
  beforeAll(() => {
    const why = problem();
    if (why) throw new Error(`this machine cannot run the profiling tests: ${why}`);
  });
}

function profiledSpec(
  csv: string,
  profile: Record<string, unknown>,
  matrix: Record<string, unknown> = { connections: [20], threads: [2] },
) {
  return { name: "prof", duration: "1s", warmup: "0.3s", matrix, server: { builtin: true }, output: { csv }, profile };
}

async function runProfiled(profile: Record<string, unknown>, matrix?: Record<string, unknown>) {
  const dir = makeTempDir();
  const csv = path.join(dir, "prof.csv");
  const spec = writeSpec(dir, profiledSpec(csv, profile, matrix));
  const result = await runCli(["run", spec], { cwd: dir, timeoutMs: 90_000 });
  return { dir, csv, result };
}

/** Each pass's server port (from the client's command line in its raw log) and its "server start" / "server stop" phases. */
function passes(dir: string, rawOutput: string) {
  const read = (file: string) => {
    const log = readFileSync(path.resolve(dir, file), "utf8");
    const phase = (name: string) => Number(new RegExp(`^${name}: ([\\d.]+) s$`, "m").exec(log)?.[1]);
    return { port: /^### client: .* -a [\d.]+:(\d+) /m.exec(log)?.[1], start: phase("server start"), stop: phase("server stop") };
  };
  return { clean: read(rawOutput), traced: read(rawOutput.replace(/\.log$/, ".traced.log")) };
}

/** A window profiler attaches to the running server: one server serves both passes (issue 14), stopped once. */
function expectOneServerForBothPasses(dir: string, rawOutput: string): void {
  const { clean, traced } = passes(dir, rawOutput);
  expect(clean.port).toMatch(/^\d+$/);
  expect(traced.port, "the traced pass's client dialled the clean pass's server").toBe(clean.port);
  expect(traced.start, "no second server start").toBeLessThan(0.05);
  expect(clean.stop, "the clean pass keeps the server").toBeLessThan(0.05);
  expect(clean.start).toBeGreaterThan(traced.start);
}

describe("strace over the window", () => {
  requirePermission(() => straceProblem("window"));
  it("target both, pass separate: clean figures in the row, traced counts in the syscall columns and table", async () => {
    const { dir, csv, result } = await runProfiled({ strace: { target: "both" } });
    expect(result.status, result.stderr).toBe(0);
    expect(leftoverProcesses(result)).toEqual([]);
    const [row] = readCsv(csv).rows;
    expect(row!.status).toBe("ok");
    expect(row!.syscall_source).toBe("strace");
    for (const target of ["server", "client"]) {
      // A request costs each side at least one read and one write; strace is attached before the window opens, so none is missed.
      expect(Number(row![`${target}_syscalls_per_request`])).toBeGreaterThanOrEqual(2);
      expect(Number(row![`${target}_syscalls_total`])).toBeGreaterThan(Number(row!.responses) / 10);
      expect(row![`${target}_top_syscall`]).toMatch(/^\w+ \(\d+%\)$/);
    }
    // The traced pass ran separately: its rate is its own, not the clean one.
    expect(Number(row!.traced_resp_per_s)).toBeGreaterThan(0);
    expect(Number(row!.traced_ratio)).toBeCloseTo(Number(row!.traced_resp_per_s) / Number(row!.resp_per_s), 2);

    const table = readCsv(path.join(dir, "prof.syscalls.csv"));
    expect(table.header).toEqual([
      "run_id",
      "cell",
      "repeat",
      "target",
      "source",
      "syscall",
      "calls",
      "errors",
      "seconds",
      "usecs_per_call",
      "percent_time",
      "p50_us",
      "p99_us",
      "time_kind",
    ]);
    const serverRows = table.rows.filter((r) => r.target === "server");
    expect(serverRows.map((r) => r.syscall)).toEqual(expect.arrayContaining(["read", "write"]));
    const sum = serverRows.reduce((total, r) => total + Number(r.calls), 0);
    expect(sum).toBe(Number(row!.server_syscalls_total));
    expect(table.rows.some((r) => r.target === "client")).toBe(true);

    // The raw strace summaries sit beside the row's raw output and parse to the same totals.
    const rawServer = path.join(dir, row!.raw_output!.replace(/\.log$/, ".strace-server.txt"));
    const parsed = parseStraceSummary(readFileSync(path.resolve(dir, rawServer), "utf8"));
    expect(parsed).not.toBeInstanceOf(StraceParseError);
    expect((parsed as Exclude<typeof parsed, StraceParseError>).total.calls).toBe(Number(row!.server_syscalls_total));
    expectOneServerForBothPasses(dir, row!.raw_output!);
  });

  it("the window opens only once strace has attached: the built-in server's read + write per request are all counted", async () => {
    const { dir, csv, result } = await runProfiled({ strace: { target: "server" } });
    expect(result.status, result.stderr).toBe(0);
    const [row] = readCsv(csv).rows;
    expect(row!.status, row!.error).toBe("ok");
    expect(Number(row!.server_syscalls_per_request)).toBeGreaterThanOrEqual(2);
    const log = (file: string) => readFileSync(path.resolve(dir, file), "utf8");
    const traced = log(row!.raw_output!.replace(/\.log$/, ".traced.log"));
    // The traced client waited after its warmup, and opened its window only after the profilers' attach phase.
    expect(traced).toMatch(/^### client: .* --wait-for-start$/m);
    const order = [
      "tcpsweep client: ready",
      "tcpsweep client: window started",
      "^client start, connects, warmup: ",
      "^profilers attach: ",
      "^window opening: ",
      "^window: ",
    ];
    const at = order.map((mark) => traced.search(new RegExp(mark, "m")));
    expect(
      at.every((index) => index >= 0),
      `every mark in the traced log:\n${traced}`,
    ).toBe(true);
    expect(at[0]).toBeLessThan(at[1]!);
    expect(at[2]).toBeLessThan(at[3]!);
    expect(at[3]).toBeLessThan(at[4]!);
    expect(at[4]).toBeLessThan(at[5]!);
    // The clean pass is not held: no --wait-for-start, no attach phase.
    const clean = log(row!.raw_output!);
    expect(clean).not.toContain("--wait-for-start");
    expect(clean).not.toMatch(/^(profilers attach|window opening): /m);
  });

  it("strace that cannot attach: the row is profile_failed and says why, never a low count", async () => {
    const { csv, result } = await runProfiled({ strace: { target: "server", args: ["-e", "trace=no_such_syscall"] } });
    // A row that is not ok makes the sweep exit 1.
    expect(result.status, result.stderr).toBe(1);
    const [row] = readCsv(csv).rows;
    expect(row!.status).toBe("profile_failed");
    expect(row!.error).toMatch(/strace stopped while attaching to the server: .*no_such_syscall/);
    expect(row!.server_syscalls_per_request).toBe("");
  });

  it("pass same: the traced rate never appears as the clean rate", async () => {
    const { csv, result } = await runProfiled({ strace: { target: "server", pass: "same" } });
    expect(result.status, result.stderr).toBe(0);
    const [row] = readCsv(csv).rows;
    expect(row!.resp_per_s).toBe("");
    expect(row!.req_per_s).toBe("");
    expect(Number(row!.traced_resp_per_s)).toBeGreaterThan(0);
    expect(row!.traced_ratio).toBe("");
    expect(Number(row!.server_syscalls_per_request)).toBeGreaterThan(0); // no floor under load: see above
  });

  it("attach: launch wraps the server from its start", async () => {
    const { dir, csv, result } = await runProfiled({ strace: { target: "server", attach: "launch" } }, { connections: [5], threads: [1] });
    expect(result.status, result.stderr).toBe(0);
    const [row] = readCsv(csv).rows;
    expect(Number(row!.server_syscalls_total)).toBeGreaterThan(0);
    // Counted from launch: the start-up calls (execve, mmap of the binary) are in the table too.
    const calls = readCsv(path.join(dir, "prof.syscalls.csv")).rows.map((r) => r.syscall);
    expect(calls).toContain("execve");
    // Launched under strace, so each pass has a server of its own.
    const { clean, traced } = passes(dir, row!.raw_output!);
    expect(traced.port).not.toBe(clean.port);
    expect(traced.start).toBeGreaterThan(0.05);
  });
});

describe("perf tracepoints", () => {
  requirePermission(() => perfProblem());
  it("counts the server's syscalls per request with source perf", async () => {
    const { dir, csv, result } = await runProfiled({ perf: { events: "syscalls" } });
    expect(result.status, result.stderr).toBe(0);
    const [row] = readCsv(csv).rows;
    expect(row!.syscall_source).toBe("perf");
    expect(row!.profiler).toBe("perf");
    // perf enables its counters before the window opens: every read and write of the window is counted.
    expect(Number(row!.server_syscalls_per_request)).toBeGreaterThanOrEqual(2);
    const table = readCsv(path.join(dir, "prof.syscalls.csv")).rows;
    expect(table.every((r) => r.source === "perf" && r.target === "server")).toBe(true);
    expect(table.map((r) => r.syscall)).toEqual(expect.arrayContaining(["read", "write"]));
    expectOneServerForBothPasses(dir, row!.raw_output!);
  });
});

describe("refusals before anything runs", () => {
  it("as an unprivileged user, the preflight names the kernel setting in the way and the sysctl that changes it", () => {
    // nobody may not be able to read the checkout (a clone inside a 0700 directory): it runs a world-readable copy.
    const staged = stageForOtherUser(["profile/preflight.js"], ["execa"]);
    const script = `import(${JSON.stringify(path.join(staged.root, "dist/profile/preflight.js"))}).then((m) => console.log(JSON.stringify({ strace: m.straceProblem("window") ?? null, perf: m.perfProblem() ?? null })))`;
    const run = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", staged.node, "-e", script], {
      encoding: "utf8",
      cwd: staged.root,
    });
    expect(run.status, run.stderr).toBe(0);
    const found = JSON.parse(run.stdout) as { strace: string | null; perf: string | null };
    const scopeFile = "/proc/sys/kernel/yama/ptrace_scope";
    const scope = existsSync(scopeFile) ? Number(readFileSync(scopeFile, "utf8")) : 0;
    // Without CAP_SYS_PTRACE, Yama's scope ≥ 1 forbids attaching to running servers; scope 0 (or no Yama) allows it.
    if (scope >= 1) expect(found.strace).toMatch(/kernel\.yama\.ptrace_scope = \d.*sysctl kernel\.yama\.ptrace_scope=0/);
    else expect(found.strace).toBeNull();
    // Tracepoints need perf_event_paranoid -1 (or CAP_PERFMON and a readable tracefs) for a non-root user.
    const paranoid = Number(readFileSync("/proc/sys/kernel/perf_event_paranoid", "utf8"));
    if (paranoid > -1)
      expect(found.perf).toMatch(new RegExp(`kernel\\.perf_event_paranoid = ${paranoid} \\(sysctl kernel\\.perf_event_paranoid=-1\\)`));
  });

  it("strace missing: exit 2 naming it and how to install it, nothing written", async () => {
    const dir = makeTempDir();
    const csv = path.join(dir, "prof.csv");
    const spec = writeSpec(dir, profiledSpec(csv, { strace: { target: "server" } }));
    const result = await runCli(["run", spec], { cwd: dir, env: { PATH: path.join(dir, "empty-path") } });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/strace is not installed.*apt-get install -y strace/);
    expect(existsSync(csv)).toBe(false);
  });

  it("strace and perf together are refused", async () => {
    const dir = makeTempDir();
    const csv = path.join(dir, "prof.csv");
    const spec = writeSpec(dir, profiledSpec(csv, { strace: { target: "server" }, perf: { events: "syscalls" } }));
    const result = await runCli(["run", spec], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/use one of strace, perf, not several/);
    expect(existsSync(csv)).toBe(false);
  });
});
