/**
 * `<csv dir>/<name>.<run_id>.meta.json`: written by a real run (server `node fault-server.mjs`,
 * found through PATH and hashed), and collectRunMeta on specs whose server is a script in a git
 * repository, a missing program, or has RegExps to serialise.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  accessSync,
  chmodSync,
  constants as fsConstants,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { metaPath, type RunMeta } from "../src/rundir/run-dir.js";
import { collectRunMeta, writeRunMeta } from "../src/sweep/run-meta.js";
import { readOpenFileLimit } from "../src/process/limits.js";
import { expandCells } from "../src/sweep/matrix.js";
import { parseSpecText } from "../src/sweep/spec.js";
import { requireTool } from "./helpers/system-tools.js";
import { FAULT_SERVER, REPO, killRunningClis, makeTempDir, readCsv, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** What `git describe --always --dirty` says in `dir`, or null (not a repository). The global setup installs git. */
function gitDescribe(dir: string): string | null {
  const result = spawnSync(requireTool("git"), ["describe", "--always", "--dirty"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" },
  });
  if (result.error) throw result.error;
  return result.status === 0 ? result.stdout.trim() : null;
}
const withoutDirty = (describe: string | null | undefined) => describe?.replace(/-dirty$/, "") ?? null;

/** The first executable `name` on PATH, as the kernel would find it. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const file = path.resolve(dir || ".", name);
    try {
      accessSync(file, fsConstants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

const readProc = (file: string) => readFileSync(file, "utf8").trim();

describe("a run writes <name>.<run_id>.meta.json beside its CSV", () => {
  it("with the resolved spec, versions, host, limits, and the server binary's sha256", async () => {
    const dir = makeTempDir("tcpsweep-meta-");
    const specFile = writeSpec(dir, {
      name: "meta",
      duration: "1s",
      warmup: "0.2s",
      matrix: { connections: [1] },
      server: { command: ["node", FAULT_SERVER, "--mode", "normal", "--port", "{port}"], ready: "port" },
      output: { csv: "out/meta.csv" },
    });
    const result = await runCli(["run", specFile], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const [row] = readCsv(path.join(dir, "out/meta.csv")).rows;
    const file = path.join(dir, "out", `meta.${row!.run_id}.meta.json`);
    expect(existsSync(file), file).toBe(true);
    expect(metaPath(path.join(dir, "out/meta.csv"), "meta", row!.run_id!)).toBe(file);
    const meta = JSON.parse(readFileSync(file, "utf8")) as RunMeta;

    expect(meta.run_id).toBe(row!.run_id);
    expect(meta.spec_name).toBe("meta");
    expect(Date.parse(meta.written_at)).toBeLessThanOrEqual(Date.parse(row!.started_at!)); // at the start of the run
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string };
    expect(meta.tcpsweep.package_version).toBe(pkg.version);
    // The whole build string, as --version prints it: what compare --strict-env and the remote preflight compare.
    expect(meta.tcpsweep.version).toBe(`tcpsweep ${pkg.version} (git ${meta.tcpsweep.git_describe}, node ${process.version})`);
    // The checkout is a git repository and git is installed: null on both sides would hide a broken probe.
    const repoDescribe = gitDescribe(REPO);
    expect(repoDescribe, `git describe in ${REPO}`).toEqual(expect.any(String));
    expect(withoutDirty(meta.tcpsweep.git_describe)).toBe(withoutDirty(repoDescribe));
    expect(meta.node).toBe(process.version);

    expect(meta.host.kernel).toBe(os.release());
    expect(meta.host.cpu_model).toBe(os.cpus()[0]!.model.trim());
    expect(meta.host.cpu_count).toBe(os.cpus().length);
    expect(meta.host.total_memory_bytes).toBe(os.totalmem());

    const nofile = readOpenFileLimit(); // the CLI inherits this process's limits
    const asLimit = (value: number) => (Number.isFinite(value) ? value : "unlimited");
    expect(meta.limits.nofile).toEqual({ soft: asLimit(nofile.soft), hard: asLimit(nofile.hard) });
    expect(meta.limits.somaxconn).toBe(Number(readProc("/proc/sys/net/core/somaxconn")));
    expect(meta.limits.ip_local_port_range).toEqual(readProc("/proc/sys/net/ipv4/ip_local_port_range").split(/\s+/).map(Number));
    expect(meta.limits.tcp_tw_reuse).toBe(Number(readProc("/proc/sys/net/ipv4/tcp_tw_reuse")));
    const governor = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor";
    expect(meta.cpu_governor).toBe(existsSync(governor) ? readProc(governor) : null);

    // The server command's argv[0] "node", found through PATH, hashed.
    const node = onPath("node")!;
    expect(meta.server).toMatchObject({ builtin: false, argv: ["node", FAULT_SERVER, "--mode", "normal", "--port", "{port}"] });
    const server = meta.server as Extract<RunMeta["server"], { builtin: false }>;
    expect(server.binaries).toHaveLength(1);
    expect(server.binaries[0]).toMatchObject({ argv0: "node", path: node, realpath: realpathSync(node) });
    expect(server.binaries[0]!.sha256).toBe(sha256(realpathSync(node)));
    expect(server.binaries[0]!.git_describe).toBe(gitDescribe(path.dirname(realpathSync(node))));
    expect(meta.client).toMatchObject({ builtin: true, tcpsweep_version: meta.tcpsweep.version });

    // The resolved spec.
    const spec = meta.spec as Record<string, any>;
    expect(spec.name).toBe("meta");
    expect(spec.durationS).toBe(1);
    expect(spec.server.ready).toEqual({ kind: "port" });
    expect(spec.output.csv).toBe(path.join(dir, "out/meta.csv"));
  });
});

describe("secrets stay out of meta.json", () => {
  it("server.env / client.env values whose names contain TOKEN, SECRET, PASSWORD or KEY (any case) are <redacted>", async () => {
    const dir = makeTempDir("tcpsweep-meta-secret-");
    const secrets = {
      API_TOKEN: "tok-1111",
      db_password: "pw-2222",
      Client_Secret: "sec-3333",
      SSH_KEY_FILE: "key-4444",
      apikey: "key-5555",
    };
    const specFile = writeSpec(dir, {
      name: "secret",
      duration: "0.5s",
      warmup: 0,
      matrix: { connections: [1] },
      server: {
        command: ["node", FAULT_SERVER, "--mode", "normal", "--port", "{port}"],
        ready: "port",
        env: { API_TOKEN: secrets.API_TOKEN, db_password: secrets.db_password, PLAIN_SETTING: "visible-1" },
      },
      client: {
        builtin: true,
        env: { Client_Secret: secrets.Client_Secret, SSH_KEY_FILE: secrets.SSH_KEY_FILE, apikey: secrets.apikey, MONKEY_LEVEL: "9" },
      },
      output: { csv: "secret.csv" },
    });
    const result = await runCli(["run", specFile], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const [row] = readCsv(path.join(dir, "secret.csv")).rows;
    const text = readFileSync(metaPath(path.join(dir, "secret.csv"), "secret", row!.run_id!), "utf8");
    for (const value of Object.values(secrets)) expect(text, `secret ${value} written`).not.toContain(value);
    const meta = JSON.parse(text) as { spec: { server: { env: Record<string, string> }; client: { env: Record<string, string> } } };
    // Names are kept (they say what was set); only the values go. MONKEY contains KEY: redacted too (names, not meanings).
    expect(meta.spec.server.env).toEqual({ API_TOKEN: "<redacted>", db_password: "<redacted>", PLAIN_SETTING: "visible-1" });
    expect(meta.spec.client.env).toEqual({
      Client_Secret: "<redacted>",
      SSH_KEY_FILE: "<redacted>",
      apikey: "<redacted>",
      MONKEY_LEVEL: "<redacted>",
    });
  });
});

describe("collectRunMeta", () => {
  const parse = (yaml: string, cwd: string) => parseSpecText(yaml, path.join(cwd, "spec.yaml"), {}, { cwd });

  it("a server script in a git repository: its sha256 and git describe (dirty once edited), also through PATH and a symlink", async () => {
    const dir = makeTempDir("tcpsweep-meta-git-");
    const repo = path.join(dir, "repo");
    mkdirSync(path.join(repo, "bin"), { recursive: true });
    const script = path.join(repo, "bin/srv.sh");
    writeFileSync(script, "#!/bin/sh\necho listening\nsleep 60\n");
    chmodSync(script, 0o755);
    const git = (...args: string[]) => {
      const result = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" });
      expect(result.status, result.stderr).toBe(0);
      return result.stdout.trim();
    };
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "server");
    const commit = git("rev-parse", "--short", "HEAD");
    const matrix = "matrix: {connections: [1, 2]}\n";

    // Relative to the server's cwd.
    const relative = parse(`name: g\n${matrix}server: {command: "./bin/srv.sh --port {port}", cwd: ${repo}}\n`, dir);
    let meta = await collectRunMeta(relative, expandCells(relative), "r1");
    let server = meta.server as Extract<RunMeta["server"], { builtin: false }>;
    expect(server.binaries).toEqual([
      {
        argv0: "./bin/srv.sh",
        path: script,
        realpath: realpathSync(script),
        sha256: sha256(script),
        git_describe: commit,
        git_toplevel: realpathSync(repo),
      },
    ]);

    // Through the server's PATH, after an edit: dirty.
    writeFileSync(script, "#!/bin/sh\necho listening on\nsleep 60\n");
    const viaPath = parse(`name: g\n${matrix}server: {command: "srv.sh --port {port}", env: {PATH: "${path.join(repo, "bin")}"}}\n`, dir);
    meta = await collectRunMeta(viaPath, expandCells(viaPath), "r2");
    server = meta.server as Extract<RunMeta["server"], { builtin: false }>;
    expect(server.binaries[0]).toMatchObject({ path: script, sha256: sha256(script), git_describe: `${commit}-dirty` });

    // A symlink outside the repository: the file it points to is hashed, its repository described.
    const link = path.join(dir, "srv-link");
    symlinkSync(script, link);
    const viaLink = parse(`name: g\n${matrix}server: {command: "${link} --port {port}"}\n`, dir);
    meta = await collectRunMeta(viaLink, expandCells(viaLink), "r3");
    server = meta.server as Extract<RunMeta["server"], { builtin: false }>;
    expect(server.binaries[0]).toMatchObject({
      path: link,
      realpath: realpathSync(script),
      sha256: sha256(script),
      git_describe: `${commit}-dirty`,
    });
  });

  it("a program that is not found, and RegExps in the spec, do not break it", async () => {
    const dir = makeTempDir("tcpsweep-meta-unit-");
    const spec = parse(
      [
        "name: odd",
        "matrix: {connections: [1]}",
        'server: {command: "no-such-program-tcpsweep --port {port}", ready: {stdout: "^up on (\\\\d+)"}}',
        'client: {command: "no-such-client -c {connections} {address}", parser: regex, regex: "(?<resp_per_s>[0-9.]+) resp/s"}',
        "",
      ].join("\n"),
      dir,
    );
    const meta = await collectRunMeta(spec, expandCells(spec), "r1");
    expect(meta.server).toMatchObject({
      builtin: false,
      binaries: [{ argv0: "no-such-program-tcpsweep", path: null, realpath: null, sha256: null, git_describe: null, git_toplevel: null }],
    });
    expect(meta.client).toMatchObject({ builtin: false, binaries: [{ argv0: "no-such-client", path: null }] });
    const resolved = meta.spec as Record<string, any>;
    expect(resolved.server.ready).toEqual({ kind: "stdout", pattern: "^up on (\\d+)" });
    expect(resolved.client.regex).toBe(new RegExp("(?<resp_per_s>[0-9.]+) resp/s").source); // RegExp source: "/" escaped
  });

  it("writeRunMeta never fails the run: an unwritable place is one warning line", async () => {
    const dir = makeTempDir("tcpsweep-meta-unit-");
    const spec = parse(
      `name: w\nmatrix: {connections: [1]}\nserver: {builtin: true}\noutput: {csv: ${path.join(dir, "missing-dir/w.csv")}}\n`,
      dir,
    );
    let written = "";
    const out = { write: (text: string) => ((written += text), true) } as unknown as NodeJS.WritableStream;
    expect(await writeRunMeta(spec, expandCells(spec), "r1", out)).toBeUndefined();
    expect(written).toMatch(/^warning: could not write .*w\.r1\.meta\.json: .*\n$/);
  });
});
