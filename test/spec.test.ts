import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  SpecError,
  cellTemplateValues,
  formatSpecIssue,
  loadSpec,
  parseDuration,
  parseSpecText,
  type SpecIssue,
  type SpecOverrides,
} from "../src/sweep/spec.js";
import { builtinClientArgv } from "../src/client/argv.js";
import { builtinServerArgv } from "../src/server/argv.js";
import { specIssues } from "./helpers/spec-issues.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/specs/", import.meta.url));
const fixture = (name: string) => path.join(FIXTURES, name);
const CLI = "/opt/tcpsweep/dist/cli/main.js";
const OPTS = { cliEntry: CLI, cwd: "/base" };

/** Minimal valid body (builtin server + client) to append settings to. */
/** A server that reads a custom matrix key `mode` (through its env). */
const MODE_SERVER = 'server: {command: [srv, "{port}"], env: {MODE: "{mode}"}}\n';
const BASE = "matrix:\n  connections: [1, 10]\n  threads: [1, 2]\nserver:\n  builtin: true\n";

const issuesOf = (text: string, file = "sweeps/x.yaml", overrides?: SpecOverrides): SpecIssue[] => specIssues(text, file, OPTS, overrides);
const lines = (issues: SpecIssue[]) => issues.map(formatSpecIssue);
const parse = (text: string, file = "sweeps/x.yaml", overrides?: SpecOverrides) => parseSpecText(text, file, overrides, OPTS);

describe("formatSpecIssue / SpecError", () => {
  it("formats FILE:LINE PATH: MESSAGE, or FILE PATH: MESSAGE without a line", () => {
    expect(
      formatSpecIssue({ file: "sweeps/x.yaml", line: 7, path: "matrix.connections[2]", message: 'expected a positive integer, got "ten"' }),
    ).toBe('sweeps/x.yaml:7 matrix.connections[2]: expected a positive integer, got "ten"');
    expect(formatSpecIssue({ file: "sweeps/x.yaml", path: "--repeat", message: "m" })).toBe("sweeps/x.yaml --repeat: m");
  });
  it("joins all issues in the message", () => {
    const e = new SpecError([
      { file: "f", line: 1, path: "a", message: "x" },
      { file: "f", line: 2, path: "b", message: "y" },
    ]);
    expect(e.message).toBe("f:1 a: x\nf:2 b: y");
    expect(e).toBeInstanceOf(Error);
  });
});

describe("fixtures", () => {
  it("full.yaml: every key resolves", async () => {
    const spec = await loadSpec(fixture("full.yaml"), {}, OPTS);
    expect(spec.name).toBe("full-sweep");
    expect(spec).toMatchObject({ durationS: 1.5, warmupS: 0.5, cooldownS: 0, repeat: 2, timeoutS: 120, concurrency: 1, host: "127.0.0.1" });
    expect(spec.matrix.keys).toEqual(["connections", "threads", "length"]);
    expect(spec.matrix.values).toEqual({ connections: [1, 10, 100], threads: [1, 2], length: [64, 1021] });
    expect(spec.matrix.exclude).toEqual([{ connections: 1, threads: 2 }]);
    expect(spec.matrix.include).toEqual([{ connections: 5, threads: 1, length: 64 }]);
    const server = spec.server!;
    expect(server.builtin).toBe(true);
    expect(server.argv).toEqual([
      process.execPath,
      CLI,
      "server",
      "--host",
      "{host}",
      "--port",
      "{port}",
      "--threads",
      "{threads}",
      "--reply",
      "ack",
    ]);
    expect(server.env).toEqual({ RUST_LOG: "info", WORKERS: "4" });
    expect(server.cwd).toBe(path.resolve("/base", "some/dir"));
    expect(server.cwdAsWritten).toBe("some/dir");
    expect(server.ready).toEqual({ kind: "stdout", pattern: /^listening on / });
    expect(server).toMatchObject({ readyTimeoutS: 5, stopSignal: "SIGINT", stopGraceS: 1, lifetime: "group" });
    expect(spec.client.builtin).toBe(true);
    expect(spec.client.parser).toBe("json");
    expect(spec.client.argv).toEqual([
      process.execPath,
      CLI,
      "client",
      "-a",
      "{address}",
      "-c",
      "{connections}",
      "-t",
      "{duration_s}",
      "--warmup",
      "{warmup_s}",
      "--json",
      "--announce-window",
      "--threads",
      "2",
      "-l",
      "{length}",
      "--timeout",
      "5",
    ]);
    expect(spec.output).toEqual({ csv: path.resolve("/base", "results/full.csv"), csvAsWritten: "results/full.csv", mode: "new" });
    expect(spec.profile).toEqual({
      strace: { target: "both", pass: "same", attach: "launch", args: ["-w"] },
      perf: { events: "syscalls" },
    });
  });

  it("external.example.yaml (the shape of sweeps/external.example.yaml) validates", async () => {
    const spec = await loadSpec(fixture("external.example.yaml"), {}, OPTS);
    expect(spec.name).toBe("external-example");
    expect(spec.server).toMatchObject({
      builtin: false,
      argv: ["./target/release/server", "-t", "{threads}", "-h", "{host}", "-p", "{port}"],
      ready: { kind: "port" },
      readyTimeoutS: 10,
      stopSignal: "SIGTERM",
      stopGraceS: 2,
      lifetime: "cell",
      env: {},
    });
    expect(spec.client).toMatchObject({
      builtin: false,
      parser: "seed-text",
      argv: ["./target/release/bench", "-a", "{address}", "-c", "{connections}", "-t", "{duration}", "-l", "1024"],
    });
    // default timeout = ready timeout + warmup + duration + 30s
    expect(spec.timeoutS).toBe(10 + 1 + 10 + 30);
    expect(spec.output).toEqual({
      csv: path.resolve("/base", "results/external-example.csv"),
      csvAsWritten: "results/external-example.csv",
      mode: "append",
    });
    expect(spec.profile).toBeUndefined();
  });

  it("three-mistakes.yaml reports all three problems with their lines", async () => {
    const file = fixture("three-mistakes.yaml");
    const err = await loadSpec(file, {}, OPTS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    const issues = (err as SpecError).issues;
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [2, "durtion"],
      [4, "matrix.connections[2]"],
      [7, "server.command"],
    ]);
    expect(issues[0]!.message).toBe('unknown key; did you mean "duration"?');
    expect(issues[1]!.message).toBe('expected an integer from 1 to 65000, got "ten"');
    expect(issues[2]!.message).toMatch(
      /^unknown placeholder \{thraeds\} \(did you mean \{threads\}\?\); defined: connections, threads, host, port, address/,
    );
    expect((err as SpecError).message.split("\n")[0]).toBe(`${file}:2 durtion: unknown key; did you mean "duration"?`);
  });

  it("syntax-error.yaml reports a YAML error with line and column", async () => {
    const err = (await loadSpec(fixture("syntax-error.yaml"), {}, OPTS).catch((e: unknown) => e)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    expect(err.issues.length).toBeGreaterThanOrEqual(1);
    const first = err.issues[0]!;
    expect(first.path).toBe("(yaml syntax)");
    expect(first.line).toBeGreaterThanOrEqual(4);
    expect(first.line).toBeLessThanOrEqual(5);
    expect(first.column).toBeGreaterThan(0);
    expect(formatSpecIssue(first)).toMatch(/syntax-error\.yaml:\d+ \(yaml syntax\): .+\(column \d+\)$/);
  });

  it("a missing file is a SpecError", async () => {
    await expect(loadSpec(fixture("nope.yaml"))).rejects.toThrow(/nope\.yaml \(top level\): cannot read spec: file not found/);
  });
});

describe("YAML problems", () => {
  it("reports duplicate keys and bad indentation with a line", () => {
    const issues = issuesOf("name: a\nmatrix: {connections: [1]}\nname: b\n");
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 3, path: "(yaml syntax)" });
    expect(issues[0]!.message).toMatch(/unique/);
  });
  it("reports an empty document or a non-mapping", () => {
    expect(lines(issuesOf(""))).toEqual([
      "sweeps/x.yaml:1 (top level): expected a mapping of settings (name, duration, matrix, server, client, ...), got nothing (null)",
    ]);
    expect(issuesOf("- a\n- b\n")[0]!.message).toMatch(/got a list$/);
  });
});

describe("YAML features", () => {
  it("anchors, aliases and merge keys work", () => {
    const spec = parse(
      [
        "matrix: {connections: &c [1, 2], threads: *c}",
        "server:",
        "  env: &env {A: 1, B: x}",
        "  builtin: true",
        "client:",
        "  env: {<<: *env, B: y}",
      ].join("\n"),
    );
    expect(spec.matrix.values).toEqual({ connections: [1, 2], threads: [1, 2] });
    expect(spec.client.env).toEqual({ A: "1", B: "y" });
  });
  it("a spec-level anchor holder is still an unknown key", () => {
    const text =
      'x-common: &cmd {command: "./srv -p {port}", ready: port}\nmatrix: {connections: [1]}\nserver: {<<: *cmd, lifetime: group}\n';
    expect(issuesOf(text)).toMatchObject([{ line: 1, path: "x-common", message: expect.stringMatching(/^unknown key/) }]);
  });
});

describe("unknown keys", () => {
  it("are reported at every level, with did-you-mean, at the key's line", () => {
    const text = [
      "matrix:", //1
      "  connections: [1]", //2
      "server:", //3
      "  builtin: true", //4
      "  redy_timeout: 5s", //5
      "  ready: {stdot: x}", //6
      "client:", //7
      "  threds: 2", //8
      "profile:", //9
      "  strace: {targte: server}", //10
      "bogus: 1", //11
      "Duration: 3s", //12
      "readyTimeout: 1s", //13
    ].join("\n");
    expect(lines(issuesOf(text))).toEqual([
      'sweeps/x.yaml:5 server.redy_timeout: unknown key; did you mean "ready_timeout"?',
      'sweeps/x.yaml:6 server.ready.stdot: unknown key; did you mean "stdout"?',
      'sweeps/x.yaml:8 client.threds: unknown key; did you mean "threads"?',
      'sweeps/x.yaml:10 profile.strace.targte: unknown key; did you mean "target"?',
      "sweeps/x.yaml:11 bogus: unknown key; expected one of: name, description, duration, warmup, cooldown, repeat, timeout, concurrency, host, address, matrix, server, servers, baseline, client, clients, validity, output, profile, redact, ssh, hosts",
      'sweeps/x.yaml:12 Duration: unknown key; did you mean "duration"?',
      "sweeps/x.yaml:13 readyTimeout: unknown key; expected one of: name, description, duration, warmup, cooldown, repeat, timeout, concurrency, host, address, matrix, server, servers, baseline, client, clients, validity, output, profile, redact, ssh, hosts",
    ]);
  });
  it("points at the key even when its value is on the next line", () => {
    const issues = issuesOf(`${BASE}output:\n  csvv:\n    - a\n`);
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([[7, "output.csvv", 'unknown key; did you mean "csv"?']]);
  });
});

describe("durations", () => {
  it.each([
    ["10s", 10],
    ["500ms", 0.5],
    ["2m", 120],
    ["1.5s", 1.5],
    ["1h", 3600],
    [3, 3],
    [0.25, 0.25],
    ["3", 3],
    ["ten", undefined],
    ["10 sec", undefined],
    ["", undefined],
    [true, undefined],
  ])("parseDuration(%j) = %j", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it("resolve in a spec", () => {
    const spec = parse(`duration: 500ms\nwarmup: 2m\ncooldown: 3\n${BASE}`);
    expect([spec.durationS, spec.warmupS, spec.cooldownS]).toEqual([0.5, 120, 3]);
  });
  it("use the defaults", () => {
    const spec = parse(BASE, "sweeps/My Sweep.yml");
    expect(spec).toMatchObject({ durationS: 10, warmupS: 1, cooldownS: 0, repeat: 1, concurrency: 1, host: "127.0.0.1", name: "My-Sweep" });
    expect(spec.timeoutS).toBe(10 + 1 + 10 + 30);
    expect(spec.output.csvAsWritten).toBe("results/My-Sweep.csv");
  });
  it("report bad values with line and what was expected", () => {
    const text = `name: x\nduration: ten\nwarmup: -1s\ncooldown: [1]\ntimeout: 0\n${BASE}`;
    expect(lines(issuesOf(text))).toEqual([
      'sweeps/x.yaml:2 duration: expected a duration like "10s", "500ms", "1m30s" or a number of seconds, got "ten"',
      'sweeps/x.yaml:3 warmup: expected a duration >= 0, got "-1s"',
      'sweeps/x.yaml:4 cooldown: expected a duration like "10s", "500ms", "1m30s" or a number of seconds, got a list',
      "sweeps/x.yaml:5 timeout: expected a duration > 0, got 0",
    ]);
  });
  it("a timeout not longer than warmup + duration is an error", () => {
    expect(lines(issuesOf(`duration: 10s\ntimeout: 5s\n${BASE}`))).toEqual([
      "sweeps/x.yaml:2 timeout: 5s is not longer than warmup + duration (11s); every run would time out",
    ]);
  });
});

describe("overrides", () => {
  it("replace repeat and duration; the default timeout follows", () => {
    const spec = parse(`duration: 10s\nrepeat: 3\n${BASE}`, "sweeps/x.yaml", { repeat: 5, durationS: 2 });
    expect(spec.repeat).toBe(5);
    expect(spec.durationS).toBe(2);
    expect(spec.timeoutS).toBe(10 + 1 + 2 + 30);
  });
  it("are validated like the keys and reported as flags, together with spec issues", () => {
    expect(lines(issuesOf(`repeat: 0\n${BASE}`, "sweeps/x.yaml", { repeat: 1.5, durationS: 0 }))).toEqual([
      "sweeps/x.yaml:1 repeat: expected a positive integer, got 0",
      "sweeps/x.yaml --repeat: expected a positive integer, got 1.5",
      "sweeps/x.yaml --duration: expected a duration > 0, got 0",
    ]);
  });
});

describe("top-level values", () => {
  it("report wrong types and ranges", () => {
    const text = `name: "has space"\nrepeat: 1.5\nconcurrency: "x"\nhost: "a b"\n${BASE}`;
    expect(lines(issuesOf(text))).toEqual([
      `sweeps/x.yaml:1 name: expected a name of letters, digits, '.', '_' or '-', got "has space"`,
      "sweeps/x.yaml:2 repeat: expected a positive integer, got 1.5",
      'sweeps/x.yaml:3 concurrency: expected a positive integer, got "x"',
      'sweeps/x.yaml:4 host: expected a host name or IP address, got "a b"',
    ]);
  });
});

describe("server / address", () => {
  it("address without a server measures an external server", () => {
    const spec = parse("address: 10.0.0.5:9000\nmatrix: {connections: [1]}\n");
    expect(spec.server).toBeUndefined();
    expect(spec.address).toBe("10.0.0.5:9000");
    expect(spec.host).toBe("10.0.0.5");
    expect(spec.timeoutS).toBe(0 + 1 + 10 + 30);
  });
  it("needs an address when there is no server", () => {
    expect(lines(issuesOf("matrix: {connections: [1]}\n"))).toEqual([
      'sweeps/x.yaml:1 address: required when there is no "server" section: host:port of the already-running server to measure (or add server: {builtin: true})',
    ]);
  });
  it("rejects address together with server, and malformed addresses", () => {
    expect(lines(issuesOf(`address: 1.2.3.4:80\n${BASE}`))).toEqual([
      'sweeps/x.yaml:1 address: cannot be used together with "server"; address is for measuring an already-running server',
    ]);
    expect(lines(issuesOf("address: localhost\nmatrix: {connections: [1]}\n"))).toEqual([
      'sweeps/x.yaml:1 address: expected host:port (e.g. 127.0.0.1:9000, port 1..65535), got "localhost"',
    ]);
    expect(parse("address: '[::1]:9000'\nmatrix: {connections: [1]}\n").host).toBe("::1");
  });
  it("builtin and command are mutually exclusive; one is required", () => {
    const text = "matrix: {connections: [1]}\nserver:\n  builtin: true\n  command: ./srv\n";
    expect(lines(issuesOf(text))).toEqual([
      'sweeps/x.yaml:4 server.command: cannot be combined with "builtin: true"; use one or the other',
    ]);
    expect(issuesOf("matrix: {connections: [1]}\nserver:\n  cwd: x\n")).toMatchObject([
      { line: 2, path: "server", message: expect.stringMatching(/^needs either "builtin: true" or a "command"/) },
    ]);
  });
  it("validates ready, signals, lifetime and env", () => {
    const text = [
      "matrix: {connections: [1]}",
      "server:",
      "  command: [./srv, -p, '{port}', 7]",
      "  ready: {stdout: '('}",
      "  stop_signal: TERM",
      "  lifetime: cells",
      "  env: {A: [1], B: 2, C: true}",
      "  reply: echo",
    ].join("\n");
    expect(lines(issuesOf(text))).toEqual([
      "sweeps/x.yaml:4 server.ready.stdout: invalid regular expression: /(/: Unterminated group",
      'sweeps/x.yaml:5 server.stop_signal: expected a signal name such as SIGTERM, SIGINT, SIGKILL, got "TERM"; did you mean "SIGTERM"?',
      'sweeps/x.yaml:6 server.lifetime: expected one of "cell", "warm", "group", got "cells"; did you mean "cell"?',
      "sweeps/x.yaml:7 server.env.A: expected a string or number, got a list",
      'sweeps/x.yaml:8 server.reply: only applies to the built-in server ("builtin: true")',
    ]);
    expect(issuesOf("matrix: {connections: [1]}\nserver: {command: x, ready: stdout}\n")[0]!.message).toBe(
      'expected "port" or {stdout: "regex"}, got "stdout"',
    );
  });
  it("resolves ready stdout patterns, argv lists (numbers coerced) and env", () => {
    const spec = parse(
      "matrix: {connections: [1]}\nserver:\n  command: [./srv, -n, 7, '{port}']\n  ready: {stdout: 'ready on \\d+'}\n  env: {N: 3}\n",
    );
    expect(spec.server).toMatchObject({ builtin: false, argv: ["./srv", "-n", "7", "{port}"], env: { N: "3" } });
    expect(spec.server!.ready).toEqual({ kind: "stdout", pattern: /ready on \d+/ });
  });
  it("builtin server: reply from the matrix becomes a placeholder and must be echo|ack", () => {
    const spec = parse("matrix: {connections: [1], reply: [echo, ack]}\nserver: {builtin: true}\n");
    expect(spec.server!.argv.slice(2)).toEqual(["server", "--host", "{host}", "--port", "{port}", "--reply", "{reply}"]);
    expect(lines(issuesOf("matrix: {connections: [1], reply: [echo, nak]}\nserver: {builtin: true}\n"))).toEqual([
      `sweeps/x.yaml:1 matrix.reply[1]: the built-in server's reply mode must be "echo" or "ack", got "nak"`,
    ]);
  });
});

describe("client", () => {
  it("defaults to the builtin client, which needs connections in the matrix", () => {
    expect(lines(issuesOf("matrix: {threads: [1]}\nserver: {builtin: true}\n"))).toEqual([
      'sweeps/x.yaml:1 matrix: the built-in client needs a "connections" list in the matrix, e.g. connections: [1, 10, 100]',
    ]);
  });
  it("builtin client argv uses -l N when length is not a matrix key", () => {
    const spec = parse(`${BASE}client: {length: 128}\n`);
    expect(spec.client.argv.slice(2)).toEqual([
      "client",
      "-a",
      "{address}",
      "-c",
      "{connections}",
      "-t",
      "{duration_s}",
      "--warmup",
      "{warmup_s}",
      "--json",
      "--announce-window",
      "-l",
      "128",
    ]);
  });
  it("checks parser / regex / builtin-only keys", () => {
    const text = [
      BASE.trimEnd(),
      "client:", // 6
      "  command: bench -c {connections}", // 7
      "  threads: 2", // 8
      "  regex: '(x)'", // 9
    ].join("\n");
    expect(lines(issuesOf(text))).toEqual([
      'sweeps/x.yaml:6 client.parser: required with "command": one of "json", "seed-text", "regex"',
      "sweeps/x.yaml:8 client.threads: only applies to the built-in client; pass it in the command instead",
      "sweeps/x.yaml:9 client.regex: the regex needs at least one named group, e.g. (?<resp_per_s>[0-9.]+)",
      'sweeps/x.yaml:9 client.regex: only used with "parser: regex"',
    ]);
    expect(lines(issuesOf(`${BASE}client: {command: bench, parser: regex}\n`))).toEqual([
      'sweeps/x.yaml:6 client.regex: required when parser is "regex"',
    ]);
    expect(lines(issuesOf(`${BASE}client: {command: "bench 'oops"}\n`))).toContain(
      "sweeps/x.yaml:6 client.command: cannot split command: unterminated single quote (opened at column 7)",
    );
  });
  it("resolves a regex client", () => {
    const spec = parse(`${BASE}client: {command: "bench -c {connections}", parser: regex, regex: "(?<resp_per_s>[0-9.]+) resp/s"}\n`);
    expect(spec.client).toMatchObject({ builtin: false, parser: "regex", argv: ["bench", "-c", "{connections}"] });
    expect(spec.client.regex!.exec("1234.5 resp/s")!.groups).toEqual({ resp_per_s: "1234.5" });
  });
});

describe("placeholders", () => {
  it("unknown placeholders in a command string are located at the command", () => {
    const text = "matrix: {connections: [1], threads: [1]}\nserver:\n  command: ./srv -t {thraeds} -x {zzz} -p {port}\n";
    expect(lines(issuesOf(text))).toEqual([
      "sweeps/x.yaml:3 server.command: unknown placeholder {thraeds} (did you mean {threads}?); defined: connections, threads, host, port, address, duration, duration_s, warmup, warmup_s",
      "sweeps/x.yaml:3 server.command: unknown placeholder {zzz}; defined: connections, threads, host, port, address, duration, duration_s, warmup, warmup_s",
    ]);
  });
  it("in an argv list, at the element; env values are checked too", () => {
    const text = [
      "matrix: {connections: [1]}",
      "server:",
      "  command:",
      "    - ./srv",
      "    - '{prot}'",
      "  env: {X: '{conections}'}",
    ].join("\n");
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message.split(";")[0]])).toEqual([
      [5, "server.command[1]", "unknown placeholder {prot} (did you mean {port}?)"],
      [6, "server.env.X", "unknown placeholder {conections} (did you mean {connections}?)"],
    ]);
  });
  it("an unquoted command starting with { gets a quoting hint", () => {
    expect(lines(issuesOf("matrix: {connections: [1]}\nserver:\n  command: {port}\n"))).toEqual([
      'sweeps/x.yaml:3 server.command: expected a command string or a list of arguments, got a mapping (in YAML a value starting with "{" must be quoted: "{port} ...")',
    ]);
  });
  it("malformed braces are errors; {{ }} are literal", () => {
    expect(lines(issuesOf("matrix: {connections: [1]}\nserver: {command: './srv {threads'}\n"))[0]).toMatch(
      /^sweeps\/x\.yaml:2 server\.command: malformed placeholder at column 1 in "\{threads"/,
    );
    const spec = parse('matrix: {connections: [1]}\nserver: {command: "./srv --json=\'{{\\"p\\":{port}}}\'"}\n');
    expect(spec.server!.argv).toEqual(["./srv", '--json={{"p":{port}}}']);
  });
  it("cellTemplateValues fills every built-in placeholder", () => {
    const spec = parse(`duration: 1.5s\nwarmup: 0.2s\n${BASE}`);
    expect(cellTemplateValues(spec, { values: { connections: 10, threads: 2 } }, 9000)).toEqual({
      connections: 10,
      threads: 2,
      host: "127.0.0.1",
      port: 9000,
      address: "127.0.0.1:9000",
      duration: 2,
      duration_s: 1.5,
      warmup: 1,
      warmup_s: 0.2,
    });
    const ext = parse("address: '[::1]:7000'\nduration: 0.3s\nmatrix: {connections: [1]}\n");
    expect(cellTemplateValues(ext, { values: { connections: 1 } })).toMatchObject({
      host: "::1",
      port: 7000,
      address: "[::1]:7000",
      duration: 1,
    });
  });
});

describe("matrix validation", () => {
  it("reports bad lists, values, keys", () => {
    const text = [
      "matrix:", // 1
      "  connections: 5", // 2
      "  threads: []", // 3
      "  length: [64, 70000]", // 4
      "  mode: [a, a, 'x,y', true]", // 5
      "  port: [1]", // 6
      "server: {builtin: true}", // 7
    ].join("\n");
    expect(lines(issuesOf(text))).toEqual([
      "sweeps/x.yaml:2 matrix.connections: expected a non-empty list of values, got 5 (write [5] for a single value)",
      "sweeps/x.yaml:3 matrix.threads: expected a non-empty list of values, got an empty list",
      "sweeps/x.yaml:4 matrix.length[1]: expected an integer from 0 to 65536, got 70000",
      'sweeps/x.yaml:5 matrix.mode[1]: duplicate value "a"',
      'sweeps/x.yaml:5 matrix.mode[2]: matrix values must be non-empty and cannot contain "," or "=" (they appear in cell ids like connections=10,threads=2), got "x,y"',
      "sweeps/x.yaml:5 matrix.mode[3]: expected a string or number, got true",
      'sweeps/x.yaml:6 matrix.port: "port" is a built-in placeholder and cannot be a matrix key',
    ]);
  });
  it("requires a matrix with at least one key", () => {
    expect(lines(issuesOf("server: {builtin: true}\n"))).toContain(
      "sweeps/x.yaml:1 matrix: required; expected a mapping of matrix keys to lists of values",
    );
    expect(lines(issuesOf("matrix: {}\nserver: {builtin: true}\n"))).toContain(
      "sweeps/x.yaml:1 matrix: the matrix needs at least one key, e.g. connections: [1, 10, 100]",
    );
  });
  it("keeps matrix keys in file order, with custom keys", () => {
    // A custom key is read by something (here the server's env): one nothing reads is refused (unused-matrix-keys.test.ts).
    const spec = parse(`matrix:\n  threads: [1]\n  mode: [fast, slow]\n  connections: [1, 2]\n${MODE_SERVER}`);
    expect(spec.matrix.keys).toEqual(["threads", "mode", "connections"]);
    expect(spec.matrix.values.mode).toEqual(["fast", "slow"]);
  });
  it("checks include / exclude entries against the matrix", () => {
    const text = [
      "matrix:", // 1
      "  connections: [1, 10]", // 2
      "  threads: [1, 2]", // 3
      "  exclude:", // 4
      "    - {conections: 1}", // 5
      "    - {threads: 9}", // 6
      "    - {}", // 7
      "  include:", // 8
      "    - {connections: 5}", // 9
      "    - {connections: 0, threads: 1}", // 10
      "server: {builtin: true}",
    ].join("\n");
    expect(lines(issuesOf(text))).toEqual([
      'sweeps/x.yaml:5 matrix.exclude[0].conections: "conections" is not a matrix key (did you mean "connections"?); matrix keys: connections, threads',
      "sweeps/x.yaml:6 matrix.exclude[1].threads: 9 is not one of the threads values (1, 2)",
      "sweeps/x.yaml:7 matrix.exclude[2]: an empty entry would exclude every cell; name at least one matrix key",
      "sweeps/x.yaml:9 matrix.include[0]: must name every matrix key; missing: threads",
      "sweeps/x.yaml:10 matrix.include[1].connections: expected an integer from 1 to 65000, got 0",
    ]);
  });
  it("an exclude that removes every cell is an error", () => {
    expect(lines(issuesOf("matrix: {connections: [1], exclude: [{connections: 1}]}\nserver: {builtin: true}\n"))).toEqual([
      "sweeps/x.yaml:1 matrix.exclude: excludes every cell of the matrix; nothing would run",
    ]);
  });
  it("include/exclude values are normalised to the matrix's values", () => {
    const spec = parse(`matrix: {connections: [1, 10], mode: ['1', b], exclude: [{connections: 10, mode: 1}]}\n${MODE_SERVER}`);
    expect(spec.matrix.exclude).toEqual([{ connections: 10, mode: "1" }]);
  });
});

describe("output / profile", () => {
  it("validates enums with did-you-mean", () => {
    const text = `${BASE}output: {csv: "", mode: appendd}\nprofile:\n  strace: {target: sever}\n  perf: {events: x}\n`;
    expect(lines(issuesOf(text))).toEqual([
      'sweeps/x.yaml:6 output.csv: expected a file path, got ""',
      'sweeps/x.yaml:6 output.mode: expected one of "append", "new", got "appendd"; did you mean "append"?',
      'sweeps/x.yaml:8 profile.strace.target: expected one of "server", "client", "both", got "sever"; did you mean "server"?',
      'sweeps/x.yaml:9 profile.perf.events: expected "syscalls", got "x"',
    ]);
  });
  it("fills strace defaults", () => {
    expect(parse(`${BASE}profile: {strace: {}}\n`).profile).toEqual({
      strace: { target: "server", pass: "separate", attach: "window", args: [] },
    });
  });
});

describe("built-in command lines", () => {
  it("server: threads/reply placeholders only when they are matrix keys", () => {
    expect(builtinServerArgv("/x/main.js", { matrixKeys: ["connections"] })).toEqual([
      process.execPath,
      "/x/main.js",
      "server",
      "--host",
      "{host}",
      "--port",
      "{port}",
      "--reply",
      "echo",
    ]);
    expect(builtinServerArgv("/x/main.js", { matrixKeys: ["threads", "reply"], reply: "ack" }).slice(5)).toEqual([
      "--port",
      "{port}",
      "--threads",
      "{threads}",
      "--reply",
      "{reply}",
    ]);
  });
  it("server: an `accept` matrix key becomes --accept {accept} (the accept strategies measured side by side)", () => {
    expect(builtinServerArgv("/x/main.js", { matrixKeys: ["connections", "threads", "accept"] }).slice(7)).toEqual([
      "--threads",
      "{threads}",
      "--reply",
      "echo",
      "--accept",
      "{accept}",
    ]);
  });
  it("client: fixed options", () => {
    expect(builtinClientArgv("/x/main.js", { matrixKeys: ["connections"], threads: 3, length: 10, timeoutS: 1.5 }).slice(13)).toEqual([
      "--threads",
      "3",
      "-l",
      "10",
      "--timeout",
      "1.5",
    ]);
  });
});

describe("YAML syntax error cascades", () => {
  it("shows the first five errors and a count of the rest", () => {
    const issues = issuesOf("server: {command: ./srv -p {port}, ready: port, a: {b}, c: d}\nmatrix: {connections: [1]}\n");
    expect(issues.length).toBeLessThanOrEqual(6);
    expect(issues[0]).toMatchObject({ line: 1, path: "(yaml syntax)" });
    expect(issues[0]!.message).toMatch(/hint: quote strings containing \{placeholders\}/);
    expect(issues.at(-1)!.message).toMatch(/^\d+ more YAML errors? not shown$/);
  });
});
