/** `servers:` and the matrix key `server`: validation (located, did-you-mean), resolution and the rotated run order. */
import { describe, expect, it } from "vitest";
import { expandCells } from "../src/sweep/matrix.js";
import { planJobs } from "../src/sweep/runner.js";
import { specForCell } from "../src/sweep/named-runs.js";
import { formatSpecIssue, parseSpecText } from "../src/sweep/spec.js";
import { specIssues } from "./helpers/spec-issues.js";

const OPTS = { cliEntry: "/opt/tcpsweep/dist/cli/main.js", cwd: "/base", onlineCpus: [0, 1] };
const lines = (text: string) => specIssues(text, "s.yaml", OPTS).map(formatSpecIssue);
const TWO = 'servers:\n  node:\n    builtin: true\n  epoll:\n    command: ["./epoll", "-p", "{port}"]\n';

describe("servers: spec errors, each at its line", () => {
  it("an unknown name in the matrix's server list says which, with a did-you-mean and the names defined", () => {
    expect(lines(`matrix:\n  connections: [1]\n  server: [node, epol]\n${TWO}`)).toEqual([
      's.yaml:3 matrix.server[1]: server "epol" is not under servers: (did you mean "epoll"?); servers: node, epoll',
    ]);
  });
  it("servers: with server:, and an empty servers:", () => {
    expect(lines(`matrix:\n  connections: [1]\n${TWO}server:\n  builtin: true\n`)).toEqual([
      's.yaml:3 servers: cannot be used together with "server"; put that server under servers: with a name, or remove servers:',
    ]);
    expect(lines(`matrix:\n  connections: [1]\nservers: {}\n`)).toEqual([
      "s.yaml:3 servers: is empty; name at least one server, e.g. servers: {node: {builtin: true}, epoll: {command: ...}}",
    ]);
  });
  it("an entry is checked as server: is (placeholders, keys); baseline and include name defined servers", () => {
    const issues = lines(
      `matrix:\n  connections: [1]\n  include:\n    - {connections: 2, server: nod}\nbaseline: epolll\nservers:\n  node: {builtin: true}\n  epoll: {command: ["./e", "{prot}"], redy: port}\n`,
    );
    expect(issues).toEqual([
      's.yaml:4 matrix.include[0].server: server "nod" is not under servers: (did you mean "node"?); servers: node, epoll',
      's.yaml:5 baseline: baseline "epolll" is not under servers: (did you mean "epoll"?); servers: node, epoll',
      expect.stringMatching(/^s\.yaml:8 servers\.epoll\.command\[1\]: unknown placeholder \{prot\} \(did you mean \{port\}\?\)/),
      's.yaml:8 servers.epoll.redy: unknown key; did you mean "ready"?',
    ]);
  });
});

describe("servers: resolved", () => {
  it("without a server matrix key every server runs, in definition order, as the last key; each cell gets its own server", () => {
    const spec = parseSpecText(`matrix:\n  connections: [1, 10]\n${TWO}`, "s.yaml", {}, OPTS);
    expect(spec.matrix.keys).toEqual(["connections", "server"]);
    const cells = expandCells(spec);
    expect(cells.map((c) => c.id)).toEqual([
      "connections=1,server=node",
      "connections=1,server=epoll",
      "connections=10,server=node",
      "connections=10,server=epoll",
    ]);
    expect(specForCell(spec, cells[1]!).server!.argv).toEqual(["./epoll", "-p", "{port}"]);
    expect(specForCell(spec, cells[0]!).server!.builtin).toBe(true);
  });
  it("a single server: works as before (no server key)", () => {
    const spec = parseSpecText("matrix:\n  connections: [1]\nserver:\n  builtin: true\n", "s.yaml", {}, OPTS);
    expect(spec.matrix.keys).toEqual(["connections"]);
    expect(spec.servers).toBeUndefined();
  });
  it("runs a cell's servers back to back, the order rotating per repeat", () => {
    const spec = parseSpecText(`repeat: 3\nmatrix:\n  server: [epoll, node]\n  connections: [1, 10]\n${TWO}`, "s.yaml", {}, OPTS);
    const order = planJobs(spec, expandCells(spec)).map((j) => `${j.cell.id}#${j.repeat}`);
    expect(order).toEqual([
      "server=epoll,connections=1#1",
      "server=node,connections=1#1",
      "server=epoll,connections=10#1",
      "server=node,connections=10#1",
      "server=node,connections=1#2",
      "server=epoll,connections=1#2",
      "server=node,connections=10#2",
      "server=epoll,connections=10#2",
      "server=epoll,connections=1#3",
      "server=node,connections=1#3",
      "server=epoll,connections=10#3",
      "server=node,connections=10#3",
    ]);
  });
});

describe("servers: in meta.json", () => {
  it("redacts secret-looking env values of every named server", async () => {
    const { jsonSafeSpec } = await import("../src/sweep/run-meta.js");
    const spec = parseSpecText(`matrix:\n  connections: [1]\n${TWO}    env: {API_TOKEN: hunter2, MODE: fast}\n`, "s.yaml", {}, OPTS);
    const json = JSON.stringify(jsonSafeSpec(spec));
    expect(json).not.toContain("hunter2");
    expect(json).toContain('"MODE":"fast"');
  });
});
