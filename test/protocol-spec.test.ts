/** `client.protocol` and a `protocol` matrix key in a spec: validation, and the built-in command lines they make. */
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { expandCells } from "../src/sweep/matrix.js";
import { loadSpec, parseSpecText } from "../src/sweep/spec.js";
import { specIssueLines } from "./helpers/spec-issues.js";

const CLI = "/opt/tcpsweep/dist/cli/main.js";
const OPTS = { cliEntry: CLI, cwd: "/base" };
const parse = (text: string) => parseSpecText(text, "sweeps/x.yaml", {}, OPTS);
const issues = (text: string) => specIssueLines(text, "sweeps/x.yaml", OPTS);
const flag = (argv: string[], name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

describe("client.protocol", () => {
  it("echo goes to both built-in command lines; chat, the default, changes neither", () => {
    const echo = parse("matrix: {connections: [1], length: [1, 16384, 65536]}\nserver: {builtin: true}\nclient: {protocol: echo}\n");
    expect(flag(echo.client.argv, "--protocol")).toBe("echo");
    expect(flag(echo.client.argv, "-l")).toBe("{length}");
    expect(flag(echo.server!.argv, "--protocol")).toBe("echo");
    const chat = parse("matrix: {connections: [1]}\nserver: {builtin: true}\n");
    expect(chat.client.argv).not.toContain("--protocol");
    expect(chat.server!.argv).not.toContain("--protocol");
  });

  it("a length outside the protocol's range is located where it is written", () => {
    expect(issues("matrix: {connections: [1], length: [64, 16384]}\nserver: {builtin: true}\n")).toEqual([
      "sweeps/x.yaml:1 matrix.length[1]: length 16384 does not fit the chat protocol: CLIENT_CHAT payload bytes, 0…1021",
    ]);
    expect(issues("matrix: {connections: [1]}\nserver: {builtin: true}\nclient:\n  protocol: echo\n  length: 0\n")).toEqual([
      "sweeps/x.yaml:5 client.length: length 0 does not fit the echo protocol: bytes per request, echoed back, 1…65536",
    ]);
    expect(issues("matrix: {connections: [1]}\nserver: {builtin: true}\nclient: {protocol: udp}\n")).toEqual([
      'sweeps/x.yaml:3 client.protocol: expected one of "chat", "echo", got "udp"',
    ]);
  });

  it("applies to the built-in client only", () => {
    expect(issues("address: 127.0.0.1:7\nmatrix: {connections: [1]}\nclient: {command: [./c], parser: json, protocol: echo}\n")).toEqual([
      "sweeps/x.yaml:3 client.protocol: only applies to the built-in client; pass it in the command instead",
    ]);
  });
});

describe("protocol as a matrix key", () => {
  it("becomes a placeholder on both command lines, so one sweep measures the built-in server in both protocols", () => {
    const spec = parse("matrix: {connections: [100], protocol: [chat, echo]}\nserver: {builtin: true}\n");
    expect(flag(spec.client.argv, "--protocol")).toBe("{protocol}");
    expect(flag(spec.server!.argv, "--protocol")).toBe("{protocol}");
    expect(expandCells(spec).map((cell) => cell.id)).toEqual(["connections=100,protocol=chat", "connections=100,protocol=echo"]);
  });

  it("names known protocols only, and not also in client.protocol", () => {
    expect(issues("matrix: {connections: [1], protocol: [chat, ping]}\nserver: {builtin: true}\nclient: {protocol: echo}\n")).toEqual([
      'sweeps/x.yaml:1 matrix.protocol[1]: the built-in client\'s protocol must be one of chat, echo, got "ping"',
      'sweeps/x.yaml:3 client.protocol: conflicts with the matrix key "protocol"; remove one of them',
    ]);
  });

  it("checks lengths per cell: a length only echo takes is fine once the chat cells with it are excluded", () => {
    const matrix = "matrix:\n  connections: [1]\n  protocol: [chat, echo]\n  length: [64, 16384]\n";
    expect(issues(`${matrix}server: {builtin: true}\n`)).toEqual([
      "sweeps/x.yaml:4 matrix.length[1]: length 16384 does not fit the chat protocol: CLIENT_CHAT payload bytes, 0…1021 (in cells with protocol=chat: exclude them, or split the sweep)",
    ]);
    const spec = parse(`${matrix}  exclude: [{protocol: chat, length: 16384}]\nserver: {builtin: true}\n`);
    expect(expandCells(spec)).toHaveLength(3);
  });
});

describe("the shipped echo spec and the built-in server's reply", () => {
  it("sweeps/echo.example.yaml validates: echo, length as a matrix key from 64 B to 16 KiB", async () => {
    const spec = await loadSpec(fileURLToPath(new URL("../sweeps/echo.example.yaml", import.meta.url)), {}, OPTS);
    expect(flag(spec.client.argv, "--protocol")).toBe("echo");
    expect(spec.matrix.values.length).toEqual([64, 1024, 4096, 16384]);
    expect(spec.server!.argv.join(" ")).toMatch(/\{port\}/);
  });

  it("reply ack is refused when the client speaks echo (a plain echo cannot acknowledge)", () => {
    expect(issues("matrix: {connections: [1]}\nserver: {builtin: true, reply: ack}\nclient: {protocol: echo}\n")).toEqual([
      "sweeps/x.yaml:2 server.reply: reply ack applies to the chat protocol only: an echo server sends back what it got (the client speaks echo)",
    ]);
    expect(issues("matrix: {connections: [1], protocol: [chat, echo]}\nserver: {builtin: true, reply: ack}\n")).toHaveLength(1);
    expect(parse("matrix: {connections: [1]}\nserver: {builtin: true, reply: ack}\n").server!.argv).toContain("ack");
  });
});
