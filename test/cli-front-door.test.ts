/**
 * The command line's habits, through real CLI processes: --version names the build, --dry-run
 * resolves every program and prints JSON, --set and repeated --only pick cells, -q / -v, run --json
 * keeps matrix values typed, report --json lists its files, completion scripts, compound durations
 * (one parser for the spec and the client), and the exit statuses listed in --help and docs/cli.md.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parseDuration } from "../src/sweep/spec/duration.js";
import { CLI, NODE, REPO, killRunningClis, makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";
import { findExecutable, requireTool } from "./helpers/system-tools.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const dir = makeTempDir("tcpsweep-front-door-");
const cli = (...args: string[]) => runCli(args, { cwd: dir, timeoutMs: 60_000 });
const tinySpec = (name: string, extra: Record<string, unknown> = {}) =>
  writeSpec(
    dir,
    {
      name,
      duration: "500ms",
      warmup: 0,
      matrix: { connections: [2, 3], threads: [1] },
      server: { builtin: true },
      output: { csv: path.join(dir, `${name}.csv`) },
      ...extra,
    },
    `${name}.yaml`,
  );

describe("--version", () => {
  it("prints package version, git describe of the checkout and node: the string meta.json records", async () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string };
    const describe = execFileSync(requireTool("git"), ["describe", "--always", "--dirty"], { cwd: REPO, encoding: "utf8" }).trim();
    const result = await cli("--version");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`tcpsweep ${pkg.version} (git ${describe}, node ${process.version})\n`);
  });

  it("outside a git checkout: the commit stamped at build time, else git unknown", () => {
    const copy = makeTempDir("tcpsweep-copy-");
    cpSync(path.join(REPO, "dist"), path.join(copy, "dist"), { recursive: true });
    cpSync(path.join(REPO, "package.json"), path.join(copy, "package.json"));
    symlinkSync(path.join(REPO, "node_modules"), path.join(copy, "node_modules"));
    const version = () => execFileSync(NODE, [path.join(copy, "dist/cli/main.js"), "--version"], { encoding: "utf8" });
    const stamp = JSON.parse(readFileSync(path.join(REPO, "dist/build-info.json"), "utf8")) as { git_describe: string };
    expect(version()).toContain(`(git ${stamp.git_describe}, node`);
    rmSync(path.join(copy, "dist/build-info.json"));
    expect(version()).toContain("(git unknown, node");
  });
});

describe("run --dry-run", () => {
  it("names every missing program at once (exit 2) and prints the plan as JSON with typed values", async () => {
    const spec = tinySpec("missing", {
      server: { command: "/nonexistent/tcpsweep-srv --port {port}", cpus: "0" },
      client: { command: "tcpsweep-no-such-client {address} -c {connections}", parser: "regex", regex: "(?<resp_per_s>[0-9.]+)" },
    });
    const result = await cli("run", spec, "--dry-run", "--json");
    expect(result.code).toBe(2);
    const plan = JSON.parse(result.stdout);
    expect(plan.runs.map((run: { values: unknown }) => run.values)).toEqual([
      { connections: 2, threads: 1 },
      { connections: 3, threads: 1 },
    ]);
    expect(plan.programs).toEqual(
      expect.arrayContaining([
        { role: "server", program: "/nonexistent/tcpsweep-srv", path: null },
        { role: "client", program: "tcpsweep-no-such-client", path: null },
        { role: "taskset (server.cpus)", program: "taskset", path: expect.stringMatching(/\/taskset$/) },
      ]),
    );
    expect(plan.problems).toHaveLength(2);
    expect(result.stderr).toContain('server program "/nonexistent/tcpsweep-srv": no executable file');
    expect(result.stderr).toContain('client program "tcpsweep-no-such-client": not found on PATH');
    expect(existsSync(path.join(dir, "missing.csv"))).toBe(false);
  });

  it("--set replaces a key's values (checked like the spec); --only given twice combines", async () => {
    const spec = tinySpec("pick");
    const picked = await cli(
      "run",
      spec,
      "--dry-run",
      "--json",
      "--set",
      "connections=1,5,9",
      "--set",
      "threads=1,2",
      "--only",
      "connections=1,connections=9",
      "--only",
      "threads=2",
    );
    expect(picked.code, picked.stderr).toBe(0);
    expect(JSON.parse(picked.stdout).runs.map((run: { cell: string }) => run.cell)).toEqual([
      "connections=1,threads=2",
      "connections=9,threads=2",
    ]);
    const bad = await cli("run", spec, "--dry-run", "--set", "connections=0,x", "--set", "conections=3");
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([
      `${spec} --set connections[0]: expected an integer from 1 to 65000, got 0`,
      `${spec} --set connections[1]: expected an integer from 1 to 65000, got "x"`,
      `${spec} --set conections: "conections" is not a matrix key of the spec (did you mean "connections"?); matrix keys: connections, threads`,
    ]);
  });
});

describe("a real run: -q, -v, run --json and report --json", () => {
  it("-v prints phases, -q prints no progress or pivot; run --json keeps numbers; report --json lists its files", async () => {
    const spec = tinySpec("habits", { matrix: { connections: [2], threads: [1] } });
    const verbose = await cli("run", spec, "-v", "--json", "--duration", "0.5s");
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toMatch(
      /tcpsweep: connections=2,threads=1 #1: ok; phases: server start: [\d.]+ s, client start, connects, warmup/,
    );
    expect(verbose.stderr).toContain("tcpsweep: preflight passed");
    const summary = JSON.parse(verbose.stdout);
    expect(summary.cells[0].values).toEqual({ connections: 2, threads: 1 });
    const quiet = await cli("run", spec, "-q");
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr, "a quiet run that went well prints nothing").toBe("");
    const report = await cli("report", path.join(dir, "habits.csv"), "--json");
    expect(report.code, report.stderr).toBe(0);
    const written = JSON.parse(report.stdout);
    expect(written.run_id, "the latest run: the -q one").not.toBe(summary.run_id);
    expect(existsSync(written.index)).toBe(true);
    expect(written.charts.length).toBeGreaterThan(0);
    for (const chart of written.charts) expect(existsSync(chart.file), chart.file).toBe(true);
  });
});

describe("durations: one parser for the spec, run and the client", () => {
  it("reads compound durations and refuses what is not one", () => {
    expect([
      parseDuration("1m30s"),
      parseDuration("500ms"),
      parseDuration("2s"),
      parseDuration("1h 5m"),
      parseDuration("1.5"),
      parseDuration(3),
    ]).toEqual([90, 0.5, 2, 3900, 1.5, 3]);
    for (const bad of ["30s1m", "1m1m", "1x", "", "m", "1 2s"]) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it("the client's -t takes 700ms against a real server; a bad one exits 2 with the spec's message", async () => {
    const server = spawn(NODE, [CLI, "server", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const port = await new Promise<number>((resolve) =>
        server.stdout!.on("data", (chunk: Buffer) => {
          const match = /:(\d+)/.exec(chunk.toString());
          if (match) resolve(Number(match[1]));
        }),
      );
      const ok = await cli("client", "-a", `127.0.0.1:${port}`, "-c", "1", "-t", "700ms", "--warmup", "0s", "--json");
      expect(ok.code, ok.stderr).toBe(0);
      // 0.7 s, not 700 s or 7 s; a busy machine may stretch the window a little, never shorten it.
      const elapsed = JSON.parse(ok.stdout).elapsed_s as number;
      expect(elapsed).toBeGreaterThanOrEqual(0.69);
      expect(elapsed).toBeLessThan(2);
      const bad = await cli("client", "-a", `127.0.0.1:${port}`, "-t", "1m30x");
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`expected a duration like "10s", "500ms", "1m30s" or a number of seconds, got "1m30x"`);
    } finally {
      server.kill("SIGTERM");
    }
  });
});

describe("help, exit statuses and completion", () => {
  it("--help lists every exit status, and docs/cli.md says the same", async () => {
    const help = await cli("--help");
    const { EXIT_CODES_HELP } = await import("../src/cli/exit-codes.js");
    expect(help.stdout).toContain(EXIT_CODES_HELP);
    for (const code of ["0", "1", "2", "3", "130", "143", "75"]) expect(EXIT_CODES_HELP).toMatch(new RegExp(`\\b${code}\\b`));
    expect(readFileSync(path.join(REPO, "docs/cli.md"), "utf8")).toContain(EXIT_CODES_HELP);
  });

  it("bash completion completes commands and a command's flags; zsh's names them too", async () => {
    const script = path.join(dir, "completion.bash");
    const bashPath = findExecutable(["bash"]);
    if (!bashPath) throw new Error("bash is missing: install it (Debian/Ubuntu: apt-get install -y bash)");
    const bash = await cli("completion", "bash");
    expect(bash.code).toBe(0);
    const complete = (words: string) =>
      execFileSync(
        bashPath,
        ["-c", `source ${script}; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _tcpsweep; echo "\${COMPREPLY[*]}"`],
        { encoding: "utf8" },
      ).trim();
    writeFileSync(script, bash.stdout);
    expect(complete("tcpsweep ru")).toBe("run");
    expect(complete("tcpsweep run --dr")).toBe("--dry-run");
    expect(complete("tcpsweep compare --ba")).toBe("--base --baseline");
    expect(complete("tcpsweep compare --str")).toBe("--strict-env");
    const zsh = await cli("completion", "zsh");
    expect(zsh.stdout.startsWith("#compdef tcpsweep\n")).toBe(true);
    for (const word of ["run", "compare", "completion", "--dry-run", "--strict-env"]) expect(zsh.stdout).toContain(word);
  });
});
