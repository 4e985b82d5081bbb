/**
 * Bad input to `tcpsweep run`: one clear message per problem, each with its location, exit 2,
 * and nothing run or written (no CSV, no lock, no raw output, no child process).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killRunningClis, listTree, makeTempDir, removeTempDirs, runCli, writeSpec, type CliResult } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const GOOD = "name: good\nduration: 1s\nwarmup: 0\nmatrix:\n  connections: [1, 2]\nserver: {builtin: true}\noutput: {csv: out/good.csv}\n";

/** Runs `tcpsweep run spec.yaml ...flags` in a fresh dir holding only the spec (and `setup`'s files). */
async function runBad(specText: string, flags: string[] = [], setup?: (dir: string) => void, prefix?: string[]) {
  const dir = makeTempDir();
  writeSpec(dir, specText);
  setup?.(dir);
  const before = listTree(dir);
  const result = await runCli(["run", "spec.yaml", ...flags], { cwd: dir, ...(prefix ? { prefix } : {}) });
  return { dir, before, result };
}

/** Exit 2, only `lines` on stderr (each a located message), nothing on stdout, nothing run or written. */
function expectRefused({ dir, before, result }: { dir: string; before: string[]; result: CliResult }, lines: (string | RegExp)[]): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  const got = result.stderr.trimEnd().split("\n");
  expect(got, result.stderr).toHaveLength(lines.length);
  lines.forEach((line, i) => (typeof line === "string" ? expect(got[i]).toBe(line) : expect(got[i]).toMatch(line)));
  expect(result.descendants, "nothing was started").toEqual([]);
  expect(listTree(dir), "nothing was written").toEqual(before);
}

describe("spec mistakes", () => {
  it("YAML syntax error: located, with the parser's reason", async () => {
    const spec =
      "name: bad-yaml\nduration: 1s\nmatrix:\n  connections: [1, 10\n  threads: [1, 2]\nserver: {builtin: true}\noutput: {csv: out.csv}\n";
    expectRefused(await runBad(spec), [/^spec\.yaml:[45] \(yaml syntax\): .*\] \(column \d+\)$/]);
  });

  it("wrong types: every one reported at its line", async () => {
    const spec =
      'name: types\nduration: fast\nrepeat: "two"\nmatrix:\n  connections: [1, "ten"]\nserver: {builtin: true, stop_signal: 15}\noutput: {csv: out.csv}\n';
    expectRefused(await runBad(spec), [
      'spec.yaml:2 duration: expected a duration like "10s", "500ms", "1m30s" or a number of seconds, got "fast"',
      'spec.yaml:3 repeat: expected a positive integer, got "two"',
      'spec.yaml:5 matrix.connections[1]: expected an integer from 1 to 65000, got "ten"',
      "spec.yaml:6 server.stop_signal: expected a signal name such as SIGTERM, got 15",
    ]);
  });

  it("a server command without {port}: said at the spec check, with what to do (issue 30)", async () => {
    const spec = GOOD.replace("server: {builtin: true}", 'server: {command: "python3 -m http.server 8000", ready: port}');
    expectRefused(await runBad(spec, ["--dry-run"]), [
      /^spec\.yaml:6 server\.command: has no \{port\} \(or \{address\}\): tcpsweep starts each server on a free port it picks, .* put \{port\} where the command takes its port \(e\.g\. --port \{port\}\), or start the server yourself and measure it with address: HOST:PORT instead of server:$/,
    ]);
  });

  it("unknown key: did you mean", async () => {
    const spec = "name: unknown\ndurtion: 1s\nmatrix: {connections: [1]}\nserver: {builtin: true, redy: port}\noutput: {csv: out.csv}\n";
    expectRefused(await runBad(spec), [
      'spec.yaml:2 durtion: unknown key; did you mean "duration"?',
      'spec.yaml:4 server.redy: unknown key; did you mean "ready"?',
    ]);
  });

  it("three mistakes on three lines: all three reported in one pass", async () => {
    const spec =
      'name: broken\ndurtion: 10s\nmatrix:\n  connections: [1, 10, ten]\n  threads: [1, 2]\nserver:\n  command: "./srv -t {thraeds} -p {port}"\n  ready: port\noutput: {csv: out.csv}\n';
    expectRefused(await runBad(spec), [
      'spec.yaml:2 durtion: unknown key; did you mean "duration"?',
      'spec.yaml:4 matrix.connections[2]: expected an integer from 1 to 65000, got "ten"',
      /^spec\.yaml:7 server\.command: unknown placeholder \{thraeds\} \(did you mean \{threads\}\?\); defined: connections, threads, /,
    ]);
  });

  it("empty matrix", async () => {
    expectRefused(await runBad("name: e\nmatrix: {}\nserver: {builtin: true}\noutput: {csv: out.csv}\n"), [
      "spec.yaml:2 matrix: the matrix needs at least one key, e.g. connections: [1, 10, 100]",
      'spec.yaml:2 matrix: the built-in client needs a "connections" list in the matrix, e.g. connections: [1, 10, 100]',
    ]);
  });

  it("empty list", async () => {
    expectRefused(await runBad("name: e\nmatrix:\n  connections: [1]\n  threads: []\nserver: {builtin: true}\noutput: {csv: out.csv}\n"), [
      "spec.yaml:4 matrix.threads: expected a non-empty list of values, got an empty list",
    ]);
  });

  it("zero and negative counts and durations", async () => {
    const spec = [
      "name: z",
      "duration: 0s",
      "warmup: -1s",
      "repeat: 0",
      "concurrency: -1",
      "matrix:",
      "  connections: [0, -5]",
      "  threads: [0]",
      "server: {builtin: true, ready_timeout: 0, stop_grace: -2s}",
      "client: {builtin: true, threads: 0, timeout: -1}",
      "output: {csv: out.csv}",
      "",
    ].join("\n");
    expectRefused(await runBad(spec), [
      'spec.yaml:2 duration: expected a duration > 0, got "0s"',
      'spec.yaml:3 warmup: expected a duration >= 0, got "-1s"',
      "spec.yaml:4 repeat: expected a positive integer, got 0",
      "spec.yaml:5 concurrency: expected a positive integer, got -1",
      "spec.yaml:7 matrix.connections[0]: expected an integer from 1 to 65000, got 0",
      "spec.yaml:7 matrix.connections[1]: expected an integer from 1 to 65000, got -5",
      "spec.yaml:8 matrix.threads[0]: expected an integer from 1 to 1024, got 0",
      "spec.yaml:9 server.ready_timeout: expected a duration > 0, got 0",
      'spec.yaml:9 server.stop_grace: expected a duration >= 0, got "-2s"',
      "spec.yaml:10 client.threads: expected a positive integer, got 0",
      "spec.yaml:10 client.timeout: expected a duration > 0, got -1",
    ]);
  });

  it("a placeholder no matrix key defines", async () => {
    const spec =
      'name: p\nmatrix:\n  connections: [1]\n  threads: [1, 2]\nserver:\n  command: [node, srv.js, --threads, "{thread}", --port, "{port}"]\noutput: {csv: out.csv}\n';
    expectRefused(await runBad(spec), [
      "spec.yaml:6 server.command[3]: unknown placeholder {thread} (did you mean {threads}?); defined: connections, threads, host, port, address, duration, duration_s, warmup, warmup_s",
    ]);
  });

  it("a spec file that does not exist", async () => {
    const dir = makeTempDir();
    const result = await runCli(["run", "missing.yaml"], { cwd: dir });
    expectRefused({ dir, before: [], result }, ["missing.yaml (top level): cannot read spec: file not found"]);
  });
});

describe("bad flags", () => {
  it.each([
    {
      flags: ["--only", "conections=5"],
      line: 'spec.yaml --only: unknown key "conections" (did you mean "connections"?); matrix keys: connections',
    },
    { flags: ["--only", "connections=7"], line: "spec.yaml --only: connections=7 is not in the matrix; connections values: 1, 2" },
    {
      flags: ["--duration", "fast"],
      line: 'spec.yaml --duration: expected a duration like "10s", "500ms", "1m30s" or a number of seconds, got "fast"',
    },
    { flags: ["--duration", "0"], line: "spec.yaml --duration: expected a duration > 0, got 0" },
    {
      flags: ["--lock-wait", "soon"],
      line: 'spec.yaml --lock-wait: expected a duration like "10s", "500ms", "1m30s" or a number of seconds, got "soon"',
    },
  ])("$flags", async ({ flags, line }) => {
    expectRefused(await runBad(GOOD, flags), [line]);
  });

  it("--repeat 0", async () => {
    expectRefused(await runBad(GOOD, ["--repeat", "0"]), [
      `error: option '--repeat <n>' argument '0' is invalid. expected a whole number from 1 to 1000, got "0"`,
      "(run with --help for usage)",
    ]);
  });
});

describe("preflight: refused before anything runs", () => {
  const withCsv = (csv: string) => GOOD.replace("out/good.csv", csv);

  it("output under a regular file", async () => {
    const run = await runBad(withCsv("afile/sub/out.csv"), [], (dir) => writeFileSync(path.join(dir, "afile"), "x"));
    expectRefused(run, [
      `tcpsweep run: spec.yaml: output.csv: cannot write ${path.join(run.dir, "afile/sub/out.csv")}: ${path.join(run.dir, "afile")} is not a directory`,
    ]);
  });

  it("output in /proc", async () => {
    expectRefused(await runBad(withCsv("/proc/x.csv")), [/^tcpsweep run: spec\.yaml: output\.csv: cannot write \/proc\/x\.csv: /]);
  });

  it.each([
    { what: "output under /sys (root may write there per access(2), yet no file can be made)", spec: withCsv("/sys/kernel/x.csv") },
    {
      what: "a server program not on PATH",
      spec: GOOD.replace("server: {builtin: true}", 'server: {command: "tcpsweep-no-such-server {port}"}'),
    },
  ])("$what: the run refuses with the dry run's lines, exit 2, nothing run (issue 30)", async ({ spec }) => {
    const dry = await runBad(spec, ["--dry-run"]);
    expect(dry.result.code, dry.result.stderr).toBe(2);
    const lines = dry.result.stderr.trimEnd().split("\n");
    expect(lines.length, dry.result.stderr).toBeGreaterThan(0);
    expectRefused(await runBad(spec), lines);
  });

  it("output that is a directory", async () => {
    const run = await runBad(withCsv("out.csv"), [], (dir) => mkdirSync(path.join(dir, "out.csv")));
    expectRefused(run, [
      `tcpsweep run: spec.yaml: output.csv: cannot write ${path.join(run.dir, "out.csv")}: it exists and is not a regular file`,
    ]);
  });

  it.each([
    { how: "prlimit --nofile=200:200", prefix: ["prlimit", "--nofile=200:200"] },
    // (A lower soft limit alone would not do: Node raises its soft limit to the hard one at startup.)
    { how: "sh -c 'ulimit -n 200; exec …'", prefix: ["sh", "-c", 'ulimit -n 200 && exec "$0" "$@"'] },
  ])("connections above RLIMIT_NOFILE, under $how: names ulimit -n", async ({ prefix }) => {
    const run = await runBad(GOOD.replace("[1, 2]", "[1, 1000]"), [], undefined, prefix);
    expectRefused(run, [
      /^tcpsweep run: spec\.yaml: 1000 connections need about 1064 open files but RLIMIT_NOFILE \(ulimit -n\) is 200; .*`ulimit -n 1064`/,
    ]);
  });
});
