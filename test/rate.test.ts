/**
 * Offered load in the spec (issue 14 item 2): a `rate` matrix key or `client.rate` makes the
 * built-in client open loop; the row says mode, target and achieved rate; a stall shows in the
 * open-loop p99; bad rates are located spec errors. Real sweeps of real child processes.
 */
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parseSpecText } from "../src/sweep/spec.js";
import {
  FAULT_SERVER,
  NODE,
  killRunningClis,
  leftoverProcesses,
  makeTempDir,
  readCsv,
  removeTempDirs,
  runCli,
  writeSpec,
} from "./helpers/sweep.js";
import { specIssueLines } from "./helpers/spec-issues.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

async function sweep(spec: Record<string, unknown>) {
  const dir = makeTempDir();
  const specFile = writeSpec(dir, { name: "rate", output: { csv: "rate.csv" }, ...spec });
  const result = await runCli(["run", specFile], { cwd: dir, timeoutMs: 90_000 });
  expect(leftoverProcesses(result), "processes left behind").toEqual([]);
  return { result, rows: readCsv(path.join(dir, "rate.csv")).rows };
}

describe("a rate matrix key against the built-in server", () => {
  it("rate: [2000, 8000] → mode open, target_rate and achieved_rate filled, achieved within 5 %, pivot mark a…%", async () => {
    const { result, rows } = await sweep({
      duration: "2s",
      warmup: "0.5s",
      matrix: { connections: [20], rate: [2000, 8000] },
      server: { builtin: true },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(rows.map((row) => row.rate)).toEqual(["2000", "8000"]);
    for (const row of rows) {
      const context = JSON.stringify(row);
      expect(row.mode, context).toBe("open");
      expect(row.status, context).toBe("ok");
      expect(Number(row.target_rate), context).toBe(Number(row.rate));
      const achieved = Number(row.achieved_rate);
      expect(row.late_sends, context).toMatch(/^\d+$/);
      // Within 5 % of the target, plus whatever the row itself reports as sent late: on a busy machine
      // the client falls behind its schedule and catches up inside the window (8667/s for 8000/s seen under load).
      const catchUp = Number(row.late_sends) / Number(row.duration_s);
      expect(Math.abs(achieved - Number(row.rate)), context).toBeLessThanOrEqual(0.05 * Number(row.rate) + catchUp);
    }
    // The pivot (on stderr) marks each open-loop cell with achieved ÷ target.
    expect(result.stderr.match(/ a\d+%/g) ?? []).toHaveLength(2);
    expect(result.stderr).toMatch(/aN% open loop/);
  }, 60_000);

  it("without a rate the client stays closed loop and the rate columns stay empty", async () => {
    const { rows } = await sweep({ duration: "1s", warmup: "0.2s", matrix: { connections: [5] }, server: { builtin: true } });
    expect(rows[0]).toMatchObject({ mode: "closed", target_rate: "", achieved_rate: "", late_sends: "" });
  }, 60_000);
});

describe("a server that stalls, driven at a fixed rate", () => {
  it("the open-loop p99 shows a 2.5 s stall and the row is degraded", async () => {
    // The stall starts 1.5 s after the server's first request, which comes as the connections open, at or
    // shortly before the 1 s warmup starts: about 0.5 s into the 4 s window, earlier on a slow machine.
    // 2.5 s long, it holds a whole second of the window without a reply wherever in that range it starts.
    const { rows } = await sweep({
      duration: "4s",
      warmup: "1s",
      matrix: { connections: [10] },
      server: {
        command: [NODE, FAULT_SERVER, "--mode", "stall", "--port", "{port}", "--after-ms", "1500", "--stall-ms", "2500"],
        ready: { stdout: "^listening on " },
      },
      client: { rate: 1000, threads: 1 },
    });
    const row = rows[0]!;
    const context = JSON.stringify(row);
    expect(row.mode, context).toBe("open");
    expect(row.target_rate, context).toBe("1000");
    // Requests scheduled during the stall waited up to its whole length, and they are more than 1 % of the
    // window (2.5 s of 4 s): the p99 is close to the stall, not hidden as in a closed loop.
    expect(Number(row.latency_p99_us), context).toBeGreaterThanOrEqual(1_000_000);
    expect(Number(row.latency_max_us), context).toBeGreaterThanOrEqual(1_300_000);
    // The open-loop client keeps sending on schedule through the stall, so the achieved rate does not fall
    // short: the row is degraded for the stall (whole seconds without a reply), not for the rate.
    expect(Number(row.achieved_rate), context).toBeGreaterThan(1000 * 0.95);
    expect(row.status, context).toBe("degraded");
    expect(row.error, context).toMatch(/^\d+ s without a reply in the window$/);
  }, 60_000);
});

describe("rate spec errors are located", () => {
  const opts = { cliEntry: "/x/main.js", cwd: "/base" };
  const issues = (text: string) => specIssueLines(text, "s.yaml", opts);
  it('client.rate: "{nope}" names a matrix key that does not exist', () => {
    expect(issues('matrix:\n  connections: [1]\n  rate: [100]\nserver:\n  builtin: true\nclient:\n  rate: "{nope}"\n')).toEqual([
      "s.yaml:7 client.rate: {nope} is not a matrix key; matrix keys: connections, rate",
    ]);
  });
  it("a non-numeric value of the rate matrix key is located at the element", () => {
    expect(issues("matrix:\n  connections: [1]\n  rate: [100, fast]\nserver:\n  builtin: true\n")).toEqual([
      's.yaml:3 matrix.rate[1]: the built-in client\'s rate must be requests per second (a number > 0), got "fast"',
    ]);
  });
  it("a rate reaches the built-in client's argv as --rate", () => {
    const spec = parseSpecText("matrix:\n  connections: [1]\nserver:\n  builtin: true\nclient:\n  rate: 500\n", "s.yaml", {}, opts);
    expect(spec.client.argv.join(" ")).toContain("--rate 500");
  });
});
