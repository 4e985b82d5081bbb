/**
 * scripts/nightly.sh as cron runs it, on a temp results directory: one summary line on stdout
 * per night (plus the failed cells), an exit status that says whether the night was clean, the
 * report beside the CSV, and the comparison with the previous night naming a cell that a server
 * made slower on purpose (the fault server's --delay-ms) got slower; with CPU profiles, the
 * differential flame graph of that cell named in the line, the log and the report (the built-in
 * server's work_us); and the Node it runs: the user's (first on PATH), or TCPSWEEP_NODE.
 */
import { spawn } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FAULT_SERVER, NODE, REPO, makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";
import { parseXml, requireCpuSampling } from "./helpers/flame.js";

afterAll(() => removeTempDirs());

/**
 * A checkout of its own for a nightly that rebuilds: the build rewrites dist/, which the other
 * test files running in parallel must not see half-written.
 */
function tempRepo(): string {
  const repo = makeTempDir("tcpsweep-nightly-repo-");
  for (const entry of ["src", "scripts", "package.json", "tsconfig.json"])
    cpSync(path.join(REPO, entry), path.join(repo, entry), { recursive: true });
  symlinkSync(path.join(REPO, "node_modules"), path.join(repo, "node_modules"));
  return repo;
}

function nightly(
  spec: string,
  root: string,
  date: string,
  env: Record<string, string> = {},
  repo = REPO,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(repo, "scripts/nightly.sh"), spec], {
      env: { ...process.env, TCPSWEEP_NIGHTLY_DIR: root, TCPSWEEP_NIGHTLY_DATE: date, TCPSWEEP_NIGHTLY_BUILD: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 280_000); // a bound, not a wait: a loaded machine can take a minute for the build alone
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A night's spec: one cell of the fault server (normal mode), its replies held `delayMs`. */
function serverSpec(dir: string, file: string, delayMs: number, extra: Record<string, unknown> = {}): string {
  return writeSpec(
    dir,
    {
      name: "nightly-test",
      duration: "0.5s",
      warmup: "0.2s",
      repeat: 5,
      matrix: { connections: [2] },
      server: { command: [NODE, FAULT_SERVER, "--mode", "normal", "--port", "{port}", "--delay-ms", String(delayMs)], ready: "port" },
      client: { builtin: true, threads: 1 },
      ...extra,
    },
    file,
  );
}

/** A `node` in dir/name/bin that notes each call's arguments in its own log, then runs the real Node. */
function nodeWrapper(dir: string, name: string) {
  const bin = path.join(dir, name, "bin");
  mkdirSync(bin, { recursive: true });
  const log = path.join(dir, name, "calls.log");
  writeFileSync(path.join(bin, "node"), `#!/bin/sh\necho "$@" >>'${log}'\nexec '${NODE}' "$@"\n`);
  chmodSync(path.join(bin, "node"), 0o755);
  return { bin, node: path.join(bin, "node"), calls: () => (existsSync(log) ? readFileSync(log, "utf8") : "") };
}

describe("scripts/nightly.sh", () => {
  it(
    "on a fresh checkout: builds dist/, then a failing spec gives a non-zero exit and one summary line naming the failure",
    { timeout: 300_000 },
    async () => {
      const dir = makeTempDir("tcpsweep-nightly-");
      const root = path.join(dir, "nightly");
      const spec = serverSpec(dir, "broken.yaml", 0, {
        repeat: 1,
        server: { command: [NODE, FAULT_SERVER, "--mode", "crash-on-start", "--port", "{port}"], ready: "port" },
      });
      const repo = tempRepo();
      const result = await nightly(spec, root, "2026-03-01", { TCPSWEEP_NIGHTLY_BUILD: "1" }, repo);
      expect(existsSync(path.join(repo, "dist/cli/main.js")), "the nightly built its checkout").toBe(true);
      expect(result.code, result.stdout + result.stderr).not.toBe(0);
      const lines = result.stdout.trimEnd().split("\n");
      expect(lines[0], result.stderr).toMatch(/^nightly broken: 0\/1 cells ok, no earlier night to compare with, /);
      expect(lines.filter((line) => line.startsWith("nightly "))).toHaveLength(1);
      expect(lines[1]).toMatch(/^ {2}FAILED connections=2: server_\w+ in 1 of 1 repeats/);
      expect(result.stderr).toBe("");
      const log = readFileSync(path.join(root, "2026-03-01/broken.log"), "utf8");
      expect(log).toContain("npm run build");
      expect(log).toMatch(/sweep exit 1/);
      // The build's lines waited in a file of their own until the night's names were known (nightly-paths), then moved into the log.
      expect(readdirSync(root).filter((entry) => entry.startsWith(".nightly."))).toEqual([]);

      const typo = writeSpec(dir, "name: typo\nmatrix: [\n", "typo.yaml");
      const bad = await nightly(typo, root, "2026-03-01");
      expect(bad.code).toBe(2);
      expect(bad.stdout.trimEnd().split("\n")).toHaveLength(1);
      expect(bad.stdout).toMatch(/^nightly typo: sweep failed \(exit 2\): .*typo\.yaml/);
    },
  );

  it(
    "two nights, the second with a server slowed on purpose: the first is clean (exit 0), the second's line names the slower cell (exit 1); each on the chosen node",
    { timeout: 300_000 },
    async () => {
      const dir = makeTempDir("tcpsweep-nightly-");
      const root = path.join(dir, "nightly");
      // The first night runs the user's node (first on PATH, however cron's PATH is completed), the second TCPSWEEP_NODE's.
      const users = nodeWrapper(dir, "users-node");
      const chosen = nodeWrapper(dir, "chosen-node");
      const userPath = `${users.bin}:${process.env.PATH}`;
      const first = await nightly(serverSpec(dir, "pair.yaml", 0), root, "2026-03-01", { PATH: userPath });
      expect(first.code, first.stdout + first.stderr).toBe(0);
      const runsOfANight = /dist\/cli\/main\.js run [\s\S]*dist\/cli\/main\.js report [\s\S]*nightly-summary\.mjs/;
      expect(users.calls(), "the sweep, the report and the summary ran on the user's node").toMatch(runsOfANight);
      const report = path.join(root, "2026-03-01/pair.report/index.html");
      expect(first.stdout).toBe(
        `nightly pair: 1/1 cells ok, no earlier night to compare with, change points: 0 new, 0 in all, report: ${report}\n`,
      );
      expect(existsSync(report)).toBe(true);
      const trend = /<p class="sub" id="trend">Over the nights: <a href="([^"]+)">/.exec(readFileSync(report, "utf8"))?.[1];
      expect(trend, "the night's report links to the trend report").toBe("../pair.history/index.html");
      expect(existsSync(path.resolve(path.dirname(report), trend!)), "the link leads to a page").toBe(true);

      const usersFirstNight = users.calls();
      // 20 ms per reply caps 2 connections at 100 resp/s: slower beyond any noise even on a loaded machine (3 ms was not).
      const second = await nightly(serverSpec(dir, "pair.yaml", 20), root, "2026-03-02", { PATH: userPath, TCPSWEEP_NODE: chosen.node });
      expect(second.code, second.stdout + second.stderr).toBe(1);
      expect(chosen.calls()).toMatch(runsOfANight);
      expect(users.calls(), "TCPSWEEP_NODE replaces the PATH's node").toBe(usersFirstNight);
      expect(readFileSync(path.join(root, "2026-03-02/pair.log"), "utf8")).toContain(`(${chosen.node} ${process.version})`);
      const lines = second.stdout.trimEnd().split("\n");
      const p = String.raw`p=(0\.0\d+|\de-\d+)`;
      expect(lines[0]).toMatch(
        new RegExp(
          String.raw`^nightly pair: 1/1 cells ok, vs 2026-03-01: 1 slower \(connections=2 resp/s −\d+\.\d% ${p}(, p99 \+\d+\.\d% ${p})?\); detectable change [\d∞–]+% per cell \(median [\d∞]+%\), change points: \d+ new.* \d+ in all, report: `,
        ),
      );
      expect(lines[1]).toMatch(/^ {2}REGRESSED connections=2: resp\/s −/);
      const log = readFileSync(path.join(root, "2026-03-02/pair.log"), "utf8");
      expect(log).toMatch(/compare with .*2026-03-01\/pair\.csv: exit 1/);
      // No profile.cpu: the nightly's --flame draws nothing, says why in the log, and changes neither the line nor the exit status.
      expect(lines[1]).not.toContain("flame");
      expect(log).toContain("    no flame graph: neither run has a CPU profile of this cell (profile.cpu in the spec)");
      expect(existsSync(path.join(root, "2026-03-02/pair.flame"))).toBe(false);
    },
  );

  it(
    "two CPU-profiled nights, the second's built-in server spinning 2 ms per reply: the REGRESSED line, the log and the report name the differential flame graph in the night's directory",
    { timeout: 300_000 },
    async () => {
      requireCpuSampling();
      const dir = makeTempDir("tcpsweep-nightly-");
      const root = path.join(dir, "nightly");
      const spec = (workUs: number) =>
        writeSpec(
          dir,
          {
            name: "prof",
            duration: "0.3s",
            warmup: "0.2s",
            repeat: 5, // the fewest for a verdict at α = 0.05 over two metrics (docs/nightly.md)
            matrix: { connections: [2] },
            server: { builtin: true, ...(workUs > 0 ? { work_us: workUs } : {}) },
            client: { builtin: true, threads: 1 },
            profile: { cpu: { hz: 99 } },
          },
          "prof.yaml",
        );
      const first = await nightly(spec(0), root, "2026-03-01");
      expect(first.code, first.stdout + first.stderr).toBe(0);
      const second = await nightly(spec(2000), root, "2026-03-02");
      expect(second.code, second.stdout + second.stderr).toBe(1);
      const night = path.join(root, "2026-03-02");
      const lines = second.stdout.trimEnd().split("\n");
      const file = new RegExp(String.raw`^ {2}REGRESSED connections=2: resp/s −[^\n]*; flame graph: (\S+)$`).exec(lines[1] ?? "")?.[1];
      expect(file, second.stdout).toMatch(/\/prof\.flame\/flame-connections=2\.\S+-vs-\S+\.svg$/);
      expect(path.dirname(path.dirname(file!)), "inside the night's directory").toBe(night);
      expect(parseXml(file!)).toBe("ok");
      expect(JSON.parse(readFileSync(path.join(night, "prof.compare.json"), "utf8")).cells[0].flame_graph.file).toBe(file);
      expect(readFileSync(path.join(night, "prof.log"), "utf8")).toContain(`    flame graph (NEW vs BASE): ${file}\n`);
      const report = readFileSync(path.join(night, "prof.report/index.html"), "utf8");
      const href = /Against run [^:]+: <a href="([^"]+)">differential flame graph<\/a>/.exec(report)?.[1];
      expect(href, "the night's report links it beside the cell's flame graph").toBe(path.relative(path.join(night, "prof.report"), file!));
    },
  );

  it(
    "calibrate on a smoke-sized spec (built-in server, short windows) writes its file beside the nightly's directory, and the nightly line says what it can see",
    { timeout: 240_000 },
    async () => {
      const dir = makeTempDir("tcpsweep-nightly-");
      const root = path.join(dir, "nightly");
      const spec = writeSpec(
        dir,
        {
          name: "tiny",
          duration: "0.3s",
          warmup: "0.1s",
          matrix: { connections: [2, 4] },
          server: { builtin: true },
          client: { builtin: true, threads: 1 },
        },
        "tiny.yaml",
      );
      const calibrated = await runCli(
        ["calibrate", spec, "--runs", "3", "--csv", path.join(root, "tiny.csv"), "--repeats", "2-4", "--nights", "200"],
        { cwd: dir, timeoutMs: 200_000 },
      );
      expect(calibrated.code, calibrated.stdout + calibrated.stderr).toBe(0);
      const file = path.join(root, "tiny.calibration.json");
      expect(calibrated.stdout).toContain(`wrote ${file}`);
      expect(calibrated.stdout).toMatch(/^repeat +false alarms rank +welch +auto +power \(10% drop\) rank +welch +auto$/m);
      const calibration = JSON.parse(readFileSync(file, "utf8"));
      expect(calibration.run_ids).toHaveLength(3);
      expect(calibration.cells).toBe(2);
      expect(calibration.table.map((row: { repeat: number }) => row.repeat)).toEqual([2, 3, 4]);
      for (const row of calibration.table)
        for (const mode of ["rank", "welch", "auto"]) expect(row[mode].false_alarm_rate).toBeLessThanOrEqual(1);
      expect(calibration.detectable_pct.max).toBeGreaterThan(0);
      expect(existsSync(path.join(root, "tiny.calibrate.csv")), "the runs went to their own CSV").toBe(true);
      expect(existsSync(path.join(root, "tiny.csv")), "the nightly's CSV is left alone").toBe(false);

      const night = await nightly(spec, root, "2026-03-01");
      expect(night.stdout.split("\n")[0]).toMatch(
        /^nightly tiny: 2\/2 cells ok, no earlier night to compare with, calibrated: can detect ≥ \d+% per cell at repeat \d+[ ,]/,
      );
    },
  );

  it("TCPSWEEP_NODE naming no executable: one line saying so, exit 2", async () => {
    const dir = makeTempDir("tcpsweep-nightly-");
    const wrong = await nightly(path.join(dir, "any.yaml"), path.join(dir, "nightly"), "2026-03-01", {
      TCPSWEEP_NODE: path.join(dir, "no-such-node"),
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toMatch(/^nightly: TCPSWEEP_NODE=.*no-such-node is not an executable file; set it to a node binary .*\n$/);
  });
});

describe("a night that can judge nothing does not look green", () => {
  // The summary script alone, on the JSON that `run --json` and `compare --json` wrote: the decision is pure logic.
  it("every cell too few repeats: the line starts NOTHING JUDGED and the exit status is 4; one judged cell makes it 0", async () => {
    const dir = makeTempDir("tcpsweep-nightly-judged-");
    const run = path.join(dir, "n.run.json");
    writeFileSync(
      run,
      JSON.stringify({ csv: path.join(dir, "n.csv"), cells: [{ cell: "connections=2", status: "ok", repeats: 1, ok: 1, errors: [] }] }),
    );
    const comparison = (tests: number, tooFew: number) => {
      const file = path.join(dir, `n.compare.${tests}.json`);
      const summary = { faster: 0, too_few_repeats: tooFew, detectable_pct: null };
      writeFileSync(
        file,
        JSON.stringify({
          tests,
          repeats_needed: 5,
          summary,
          cells: [{ cell: "connections=2", verdict: tooFew ? "too few repeats" : "~", regressions: [], metrics: {} }],
        }),
      );
      return file;
    };
    const summarize = (compareJson: string) =>
      new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const args = [
          "n",
          run,
          "0",
          path.join(dir, "r/index.html"),
          "0",
          compareJson,
          "0",
          path.join(dir, "2026-01-01/n.csv"),
          path.join(dir, "n.log"),
        ];
        const child = spawn(NODE, [path.join(REPO, "scripts/nightly-summary.mjs"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
        let stdout = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout }));
      });
    const blind = await summarize(comparison(0, 1));
    expect(blind.stdout).toMatch(
      /^nightly n: NOTHING JUDGED: too few repeats in every cell to call any change; 1\/1 cells ok, vs 2026-01-01: 0 slower, 1 too few repeats/,
    );
    expect(blind.code).toBe(4);
    const judged = await summarize(comparison(2, 0));
    expect(judged.stdout).toMatch(/^nightly n: 1\/1 cells ok, vs 2026-01-01: 0 slower/);
    expect(judged.code).toBe(0);
  });
});
