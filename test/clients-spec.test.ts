/** `clients:` and the matrix key `client`: validation (located, did-you-mean), resolution, the rotated run order, and clients × servers. */
import { describe, expect, it } from "vitest";
import { expandCells } from "../src/sweep/matrix.js";
import { planJobs, sweepHeader } from "../src/sweep/runner.js";
import { compareByOf, specForCell } from "../src/sweep/named-runs.js";
import { formatSpecIssue, parseSpecText } from "../src/sweep/spec.js";
import { specIssues } from "./helpers/spec-issues.js";

const OPTS = { cliEntry: "/opt/tcpsweep/dist/cli/main.js", cwd: "/base", onlineCpus: [0, 1] };
const lines = (text: string) => specIssues(text, "s.yaml", OPTS).map(formatSpecIssue);
const TWO =
  'clients:\n  builtin:\n    builtin: true\n  wrk:\n    command: ["./wrk", "-a", "{address}", "-c", "{connections}"]\n    parser: json\n';
const SERVER = "server:\n  builtin: true\n";

describe("clients: spec errors, each at its line", () => {
  it("an unknown name in the matrix's client list says which, with a did-you-mean and the names defined", () => {
    expect(lines(`matrix:\n  connections: [1]\n  client: [builtin, wrl]\n${SERVER}${TWO}`)).toEqual([
      's.yaml:3 matrix.client[1]: client "wrl" is not under clients: (did you mean "wrk"?); clients: builtin, wrk',
    ]);
  });
  it("clients: with client:, and an empty clients:", () => {
    expect(lines(`matrix:\n  connections: [1]\n${SERVER}${TWO}client:\n  builtin: true\n`)).toEqual([
      's.yaml:5 clients: cannot be used together with "client"; put that client under clients: with a name, or remove clients:',
    ]);
    expect(lines(`matrix:\n  connections: [1]\n${SERVER}clients: {}\n`)).toEqual([
      "s.yaml:5 clients: is empty; name at least one client, e.g. clients: {builtin: {builtin: true}, wrk: {command: ...}}",
    ]);
  });
  it("an entry is checked as client: is (placeholders, keys, remote hosts); exclude and baseline name defined clients", () => {
    const issues = lines(
      `matrix:\n  connections: [1]\n  exclude:\n    - {client: wr}\nbaseline: bultin\n${SERVER}clients:\n  builtin: {builtin: true, hosts: [a]}\n  wrk: {command: ["./wrk", "{adress}"], parsr: json}\n`,
    );
    expect(issues).toEqual([
      's.yaml:4 matrix.exclude[0].client: client "wr" is not under clients: (did you mean "wrk"?); clients: builtin, wrk',
      's.yaml:5 baseline: baseline "bultin" is not under clients: (did you mean "builtin"?); clients: builtin, wrk',
      expect.stringMatching(/^s\.yaml:9 clients\.builtin\.hosts: remote hosts are not supported with clients: yet/),
      expect.stringMatching(/^s\.yaml:10 clients\.wrk\.command\[1\]: unknown placeholder \{adress\} \(did you mean \{address\}\?\)/),
      's.yaml:10 clients.wrk.parsr: unknown key; did you mean "parser"?',
    ]);
  });
  it("external clients only: no connections key needed (the built-in client's rule applies when one of them is built in)", () => {
    const spec = parseSpecText(
      `matrix:\n  rate: [1]\n${SERVER}clients:\n  a: {command: ["./a"], parser: json}\n  b: {command: ["./b"], parser: json}\n`,
      "s.yaml",
      {},
      OPTS,
    );
    expect(spec.matrix.keys).toEqual(["rate", "client"]);
    expect(lines(`matrix:\n  rate: [1]\n${SERVER}${TWO}`)[0]).toMatch(/^s\.yaml:1 matrix: the built-in client needs a "connections" list/);
  });
});

describe("clients: resolved and run", () => {
  it("without a client matrix key every client runs, in definition order, as the last key; each cell gets its own client", () => {
    const spec = parseSpecText(`matrix:\n  connections: [1, 10]\n${SERVER}${TWO}`, "s.yaml", {}, OPTS);
    expect(spec.matrix.keys).toEqual(["connections", "client"]);
    const cells = expandCells(spec);
    expect(cells.map((c) => c.id)).toEqual([
      "connections=1,client=builtin",
      "connections=1,client=wrk",
      "connections=10,client=builtin",
      "connections=10,client=wrk",
    ]);
    expect(specForCell(spec, cells[1]!).client.argv).toEqual(["./wrk", "-a", "{address}", "-c", "{connections}"]);
    expect(specForCell(spec, cells[0]!).client.builtin).toBe(true);
    expect(compareByOf(spec)).toEqual({ key: "client" });
  });
  it("runs a cell's clients back to back, the order rotating per repeat", () => {
    const spec = parseSpecText(`repeat: 2\nmatrix:\n  client: [wrk, builtin]\n  connections: [1, 10]\n${SERVER}${TWO}`, "s.yaml", {}, OPTS);
    expect(planJobs(spec, expandCells(spec)).map((j) => `${j.cell.id}#${j.repeat}`)).toEqual([
      "client=wrk,connections=1#1",
      "client=builtin,connections=1#1",
      "client=wrk,connections=10#1",
      "client=builtin,connections=10#1",
      "client=builtin,connections=1#2",
      "client=wrk,connections=1#2",
      "client=builtin,connections=10#2",
      "client=wrk,connections=10#2",
    ]);
  });
  it("servers × clients: every pair of a cell back to back, rotated; verdicts compare servers (within each client), baseline names a server", () => {
    const spec = parseSpecText(
      `repeat: 2\nbaseline: node\nmatrix:\n  connections: [1]\nservers:\n  node: {builtin: true}\n  epoll: {command: ["./e", "{port}"]}\n${TWO}`,
      "s.yaml",
      {},
      OPTS,
    );
    expect(spec.matrix.keys).toEqual(["connections", "server", "client"]);
    expect(planJobs(spec, expandCells(spec)).map((j) => `${j.cell.id}#${j.repeat}`)).toEqual([
      "connections=1,server=node,client=builtin#1",
      "connections=1,server=node,client=wrk#1",
      "connections=1,server=epoll,client=builtin#1",
      "connections=1,server=epoll,client=wrk#1",
      "connections=1,server=node,client=wrk#2",
      "connections=1,server=epoll,client=builtin#2",
      "connections=1,server=epoll,client=wrk#2",
      "connections=1,server=node,client=builtin#2",
    ]);
    const cell = expandCells(spec)[3]!;
    expect([specForCell(spec, cell).server!.argv[0], specForCell(spec, cell).client.argv[0]]).toEqual(["./e", "./wrk"]);
    expect(compareByOf(spec)).toEqual({ key: "server", baseline: "node" });
  });
  it("the CSV header holds the regex groups of every client", () => {
    const spec = parseSpecText(
      `matrix:\n  connections: [1]\n${SERVER}clients:\n  a: {command: ["./a"], parser: regex, regex: "(?<resp_per_s>\\\\d+) (?<a_extra>\\\\d+)"}\n  b: {command: ["./b"], parser: regex, regex: "(?<resp_per_s>\\\\d+) (?<b_extra>\\\\d+)"}\n`,
      "s.yaml",
      {},
      OPTS,
    );
    const header = sweepHeader(spec);
    expect(header).toContain("client");
    expect(header.slice(-2)).toEqual(["a_extra", "b_extra"]);
  });
  it("meta.json redacts secret-looking env values of every named client", async () => {
    const { jsonSafeSpec } = await import("../src/sweep/run-meta.js");
    const spec = parseSpecText(
      `matrix:\n  connections: [1]\n${SERVER}${TWO}    env: {API_TOKEN: hunter2, MODE: fast}\n`,
      "s.yaml",
      {},
      OPTS,
    );
    const json = JSON.stringify(jsonSafeSpec(spec));
    expect(json).not.toContain("hunter2");
    expect(json).toContain('"MODE":"fast"');
  });
});

describe("clients: and the built-in server's protocol", () => {
  it("named built-in clients that speak different protocols cannot share the built-in server; with a protocol matrix key, a client's own protocol conflicts", () => {
    expect(
      lines(`matrix:\n  connections: [1]\n${SERVER}clients:\n  chat: {builtin: true}\n  echo: {builtin: true, protocol: echo}\n`),
    ).toEqual([
      "s.yaml:5 clients: the built-in server speaks one protocol, but these clients speak chat, echo; give them one protocol, or make protocol a matrix key",
    ]);
    expect(
      lines(
        `matrix:\n  connections: [1]\n  protocol: [chat, echo]\n${SERVER}clients:\n  a: {builtin: true}\n  b: {builtin: true, protocol: echo}\n`,
      ),
    ).toEqual(['s.yaml:8 clients.b.protocol: conflicts with the matrix key "protocol"; remove one of them']);
    const both = parseSpecText(
      `matrix:\n  connections: [1]\n${SERVER}clients:\n  a: {builtin: true, protocol: echo}\n  b: {builtin: true, protocol: echo, threads: 1}\n`,
      "s.yaml",
      {},
      OPTS,
    );
    expect(both.server!.argv.slice(-2)).toEqual(["--protocol", "echo"]); // the server speaks what the clients speak
  });
});
