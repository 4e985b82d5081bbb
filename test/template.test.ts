import { describe, expect, it } from "vitest";
import { TemplateError, expandTemplate, placeholdersOf, splitCommand } from "../src/sweep/template.js";

describe("splitCommand", () => {
  it.each([
    ["./srv -t 4 -p 9000", ["./srv", "-t", "4", "-p", "9000"]],
    ["  a \t b\n c  ", ["a", "b", "c"]],
    ["", []],
    ["   ", []],
    ["echo 'hello world'", ["echo", "hello world"]],
    ['echo "hello world"', ["echo", "hello world"]],
    ["a'b c'd", ["ab cd"]],
    ["x '' y", ["x", "", "y"]],
    ['x "" y', ["x", "", "y"]],
    [`'it'\\''s'`, ["it's"]],
    [`"say \\"hi\\""`, ['say "hi"']],
    [`"a\\\\b"`, ["a\\b"]],
    [`"keep \\n as is"`, ["keep \\n as is"]],
    [`'no \\escapes "here"'`, [`no \\escapes "here"`]],
    [`a\\ b`, ["a b"]],
    [`\\'quoted\\'`, ["'quoted'"]],
    ["a \\\n b", ["a", "b"]],
    [`"multi\\\nline"`, ["multiline"]],
    ["echo $HOME *.txt | wc > out", ["echo", "$HOME", "*.txt", "|", "wc", ">", "out"]],
    ["-t {threads} --x={{y}}", ["-t", "{threads}", "--x={{y}}"]],
  ])("%j", (input, expected) => {
    expect(splitCommand(input)).toEqual(expected);
  });

  it("rejects an unterminated single quote with its column", () => {
    expect(() => splitCommand("bench 'oops")).toThrow(/unterminated single quote \(opened at column 7\)/);
  });
  it("rejects an unterminated double quote", () => {
    expect(() => splitCommand('a "b c')).toThrow(TemplateError);
    expect(() => splitCommand('a "b \\"')).toThrow(/unterminated double quote/);
  });
  it("rejects a trailing backslash", () => {
    expect(() => splitCommand("a b\\")).toThrow(/trailing backslash/);
  });
});

describe("placeholdersOf", () => {
  it("lists distinct names in order of appearance", () => {
    expect(placeholdersOf(["./srv", "-t", "{threads}", "{host}:{port}", "--t2={threads}", "{_x9}"])).toEqual([
      "threads",
      "host",
      "port",
      "_x9",
    ]);
  });
  it("treats {{ and }} as literal braces", () => {
    expect(placeholdersOf(["{{threads}}", '{{"a":1}}', "{{{port}}}"])).toEqual(["port"]);
  });
  it.each(["{", "{threads", "{1x}", "{a-b}", "}", "a}b", "{}"])("rejects malformed %j", (arg) => {
    expect(() => placeholdersOf([arg])).toThrow(TemplateError);
  });
});

describe("expandTemplate", () => {
  it("substitutes values inside arguments without re-splitting", () => {
    expect(
      expandTemplate(["./srv", "-t", "{threads}", "--addr={host}:{port}", "{name}"], {
        threads: 4,
        host: "127.0.0.1",
        port: 9000,
        name: "a b",
      }),
    ).toEqual(["./srv", "-t", "4", "--addr=127.0.0.1:9000", "a b"]);
  });
  it("unescapes braces", () => {
    expect(expandTemplate(['{{"n":{n}}}'], { n: 3 })).toEqual(['{"n":3}']);
  });
  it("throws on a placeholder without a value", () => {
    expect(() => expandTemplate(["{nope}"], { host: "h" })).toThrow(/unknown placeholder \{nope\}; defined: host/);
  });
});
