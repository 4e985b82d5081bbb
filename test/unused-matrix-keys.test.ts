/**
 * A matrix key nothing reads would run one cell under several names (a typo like `thread:`): the
 * spec check refuses it with its line and a did-you-mean, and the CLI exits 2 before anything runs.
 * Keys read only by the built-in programs, by `servers:`/`clients:` or only in an env value pass.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatSpecIssue, parseSpecText } from "../src/sweep/spec.js";
import { specIssues } from "./helpers/spec-issues.js";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

const OPTS = { cliEntry: "/opt/tcpsweep/dist/cli/main.js", cwd: "/base" };
const FILE = "sweeps/x.yaml";
const lines = (text: string) => specIssues(text, FILE, OPTS).map(formatSpecIssue);
const parses = (text: string) => expect(() => parseSpecText(text, FILE, {}, OPTS)).not.toThrow();

describe("a matrix key nothing uses", () => {
  it("`thread:` with the built-in server: refused at its line, with threads suggested", () => {
    const text = "matrix:\n  connections: [10, 100]\n  thread: [1, 2]\nserver:\n  builtin: true\n";
    const [line, ...rest] = lines(text);
    expect(rest).toEqual([]);
    expect(line).toMatch(/^sweeps\/x\.yaml:3 matrix\.thread: is used by no command/);
    expect(line).toContain('(did you mean "threads"?)');
    expect(line).toContain("2 values would run the same cell");
  });

  it("a key an external server's command does not name is refused, one it names passes", () => {
    const server = (arg: string) => `server:\n  command: ["my-server", "--port", "{port}"${arg}]\n`;
    const matrix = "matrix:\n  connections: [10]\n  workers: [1, 4]\n";
    expect(lines(matrix + server(""))).toEqual([expect.stringMatching(/^sweeps\/x\.yaml:3 matrix\.workers: is used by no command/)]);
    parses(matrix + server(', "--workers", "{workers}"'));
  });

  it("keys read by the built-in programs, named dimensions, env values or a rate setting pass", () => {
    parses(
      "matrix:\n  connections: [1, 10]\n  threads: [1, 2]\n  reply: [echo, ack]\n  accept: [shared, balanced]\nserver:\n  builtin: true\n",
    );
    parses("matrix:\n  connections: [1, 10]\n  length: [64, 512]\n  protocol: [echo, chat]\nserver:\n  builtin: true\n");
    parses("matrix:\n  connections: [10]\n  rate: [100, 200]\nserver:\n  builtin: true\n");
    parses("matrix:\n  connections: [10]\n  load: [100, 200]\nserver:\n  builtin: true\nclient:\n  rate: '{load}'\n");
    parses(
      'matrix:\n  connections: [10]\n  mode: [a, b]\nserver:\n  command: ["my-server", "--port", "{port}"]\n  env: {MODE: "{mode}"}\n',
    );
    parses('matrix:\n  connections: [10]\nservers:\n  a: {builtin: true}\n  b: {command: ["my-server", "-p", "{port}"]}\n');
  });

  it("a key with one value changes no cell and is left alone", () => {
    parses("matrix:\n  connections: [10, 100]\n  label: [x]\nserver:\n  builtin: true\n");
  });

  it("the CLI exits 2 naming the key before anything runs", async () => {
    const dir = makeTempDir();
    const spec = writeSpec(dir, "name: t\nduration: 1s\nmatrix:\n  connections: [10]\n  thread: [1, 2]\nserver:\n  builtin: true\n");
    const result = await runCli(["run", spec], { cwd: dir, timeoutMs: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${path.basename(spec)}:5 matrix.thread: is used by no command`);
    expect(result.stderr).toContain('did you mean "threads"?');
  });
});
