/**
 * Issue 20, text for other tools is escaped for its target: Markdown (compare --markdown) shows
 * hostile text as text, and the terminal never receives escape sequences a server or client printed.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { escapeMarkdown } from "../src/untrusted/markdown.js";
import { stripControl } from "../src/untrusted/terminal.js";
import { makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

describe("escapeMarkdown", () => {
  it("leaves no live Markdown: code, links, images, emphasis, tables, HTML, @mentions, line breaks", () => {
    const hostile = "`code` ![img](http://x/y.png) [link](http://x) **b** _i_ ~~s~~ | col <img src=x> & @octocat #1\nnext";
    const safe = escapeMarkdown(hostile);
    expect(safe.replace(/&(#64|lt|gt|amp);/g, "")).not.toMatch(/(^|[^\\])[`[\]()*_~|!#]/);
    expect(safe).not.toMatch(/[<>@\n]/);
    expect(safe).toContain("&#64;octocat");
    expect(safe).toContain("&lt;img src=x&gt; &amp;");
    expect(escapeMarkdown("connections=100,threads=4")).toBe("connections=100,threads=4");
  });
});

describe("stripControl", () => {
  it("removes CSI, OSC (BEL or ST), DCS, single ESC forms, 8-bit CSI and control characters; keeps tab, newline and text", () => {
    const text =
      "a\u001b[31mred\u001b[0m b\u001b]0;title\u0007 c\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\ d\u001bP1$r\u001b\\ e\u001bc f\u009b2J g\u0008\u0007\r\u0000\th\ni";
    expect(stripControl(text)).toBe("ared b clink d e f g\th\ni");
  });
});

describe("a sweep whose client prints escape sequences and fails", () => {
  it("shows its error on the terminal without them", async () => {
    const dir = makeTempDir();
    writeSpec(
      dir,
      "process.stderr.write('\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mFAKE tcpsweep: all ok\\u001b[0m\\n'); process.exit(1);\n",
      "client.mjs",
    );
    const spec = writeSpec(dir, {
      name: "esc",
      duration: 1,
      warmup: 0,
      address: "127.0.0.1:9",
      matrix: { connections: [1] },
      client: { command: `${process.execPath} ${path.join(dir, "client.mjs")}`, parser: "json" },
      output: { csv: "esc.csv" },
    });
    const result = await runCli(["run", spec], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("FAKE tcpsweep: all ok");
    expect(result.stderr).not.toContain("\u001b");
  }, 60_000);
});
