/**
 * sweeps/profile.yaml as shipped, narrowed to one cell: it profiles with the lightest profiler that
 * counts both sides (bpf, see docs/decisions.md), every row names that profiler, and the syscall table
 * marks the waiting calls.
 */
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bpfProblem } from "../src/profile/preflight.js";
import { loadSpec } from "../src/sweep/spec.js";
import { REPO, killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const SPEC = path.join(REPO, "sweeps/profile.yaml");

describe("sweeps/profile.yaml", () => {
  beforeAll(() => {
    const why = bpfProblem();
    if (why) throw new Error(`this machine cannot run sweeps/profile.yaml: ${why}`);
  });

  it("asks for bpf on server and client", async () => {
    const spec = await loadSpec(SPEC);
    expect(Object.keys(spec.profile ?? {})).toEqual(["bpf"]);
    expect(spec.profile?.bpf?.target).toBe("both");
  });

  it("run on one cell: the row names bpf and both sides' syscalls are counted", async () => {
    const dir = makeTempDir();
    const csv = path.join(dir, "profile.csv");
    const args = ["run", SPEC, "--only", "connections=10,threads=1", "--duration", "1s", "--csv", csv];
    const result = await runCli(args, { cwd: dir, timeoutMs: 120_000 });
    expect(result.status, result.stderr).toBe(0);
    const rows = readCsv(csv).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.profiler).toBe("bpf");
    expect(rows[0]!.syscall_source).toBe("bpf");
    expect(Number(rows[0]!.server_syscalls_per_request)).toBeGreaterThan(0);
    expect(Number(rows[0]!.client_syscalls_per_request)).toBeGreaterThan(0);
    // The syscall table marks the waiting calls: their time is time blocked, not work.
    const table = readCsv(path.join(dir, "profile.syscalls.csv")).rows;
    const blocked = table.filter((row) => row.time_kind === "blocked").map((row) => row.syscall);
    expect(
      blocked.some((name) => /^epoll_p?wait2?$/.test(name!)),
      blocked.join(", "),
    ).toBe(true);
    expect(table.filter((row) => /^(read|write|writev)$/.test(row.syscall!)).every((row) => row.time_kind === "")).toBe(true);
    expect(table.filter((row) => row.syscall === "futex").every((row) => row.time_kind === "blocked")).toBe(true);
  });
});
