// Folded stacks (perf script → folded, parse, kernel share, top frames) and tcpsweep's flame graph
// renderer, plain and differential, on fixtures.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { collapsePerfScript, formatFolded, kernelShare, parseFolded, topSelfFrames, totalSamples } from "../src/flame/folded.js";
import { diffFill, renderDifferential } from "../src/flame/diff.js";
import { MAX_SVG_BYTES, renderFlameGraph } from "../src/flame/svg.js";

const fixture = readFileSync(path.join(import.meta.dirname, "fixtures/flame/perf-script.txt"), "utf8");

/** The fill of the rectangle whose tooltip starts with this frame name. */
function fillOf(svg: string, frame: string): string | undefined {
  const escaped = frame.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`<title>${escaped} \\([^<]*</title><rect [^>]*fill="([^"]+)"`).exec(svg)?.[1];
}

describe("perf script → folded stacks", () => {
  const collapsed = collapsePerfScript(fixture);

  it("roots each stack at the process name, innermost frame last, kernel frames marked _[k], offsets stripped", () => {
    expect(
      collapsed.folded.get(
        "node;uv_run;JS:*onStreamRead node:internal/stream_base_commons:168:22;__GI___libc_write;tcp_sendmsg_[k];pvm_irq_enable_[k]",
      ),
    ).toBe(2);
    expect(collapsed.folded.get("node;uv_run")).toBe(1);
    expect(totalSamples(collapsed.folded)).toBe(4);
  });

  it("names a stripped binary's frames by address and object, and counts them as unresolved", () => {
    expect(collapsed.folded.get("slow server;0x1050 (slow-server-stripped);0x1189 (slow-server-stripped)")).toBe(1);
    expect(collapsed.unresolvedFrames).toBe(2);
    expect(collapsed.frames).toBe(13);
    expect(collapsed.kernelFrames).toBe(4);
    expect(collapsed.samplesWithUnnamedCode).toBe(1);
    // Of the 2 samples taken in user space (the other 2 in the kernel), 1 was in the stripped binary.
    expect(collapsed.userLeafSamples).toBe(2);
    expect(collapsed.unnamedLeafSamples).toBe(1);
  });

  it("gives the kernel share from the innermost frames and the top frames by self time", () => {
    expect(kernelShare(collapsed.folded)).toBe(0.5);
    const top = topSelfFrames(collapsed.folded, 2);
    expect(top[0]).toEqual({ frame: "pvm_irq_enable_[k]", samples: 2, share: 0.5 });
    expect(top).toHaveLength(2);
  });

  it("round-trips through folded text, heaviest first, ignoring lines that are not `stack count`", () => {
    const text = formatFolded(collapsed.folded);
    expect(text.split("\n")[0]).toMatch(/ 2$/);
    expect(parseFolded(`${text}garbage line\nnode;half`)).toEqual(collapsed.folded);
  });
});

describe("flame graph SVG", () => {
  it("draws every frame with its name escaped and control characters removed, self-contained", () => {
    const folded = new Map([
      ["srv;main;<script>&\u0007bell", 3],
      ["srv;main;read_[k]", 1],
    ]);
    const svg = renderFlameGraph(folded, { title: "t <1>" });
    expect(svg).toContain("&lt;script&gt;&amp;bell");
    expect(svg).not.toContain("<script>");
    expect(svg).not.toContain("\u0007");
    expect(svg).toContain("t &lt;1&gt;");
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    // The kernel frame is orange (red channel high, blue 40); the widths follow the samples: main is 4/4 of the width.
    expect(fillOf(svg, "read_[k]")).toMatch(/^rgb\(\d+,\d+,40\)$/);
    expect(svg).toMatch(/<title>main \(4 samples, 100\.00 %; self 0\)<\/title><rect x="10\.0" y="\d+" width="1180\.0"/);
  });

  it("stays under 1 MB for a profile with a hundred thousand distinct stacks, saying that narrow frames were left out", () => {
    const folded = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) folded.set(`srv;main;f${i % 300};g${i};h${i};leaf${i}`, 1 + (i % 7));
    const svg = renderFlameGraph(folded, { title: "big" });
    expect(Buffer.byteLength(svg)).toBeLessThanOrEqual(MAX_SVG_BYTES);
    expect(svg).toContain("not drawn");
    expect(svg).toContain("<title>main (");
  });
});

describe("differential flame graph", () => {
  const base = {
    folded: new Map([
      ["srv;main;parse", 50],
      ["srv;main;send_[k]", 50],
    ]),
    responses: 1000,
    label: "BASE",
  };
  // NEW answered half as many responses: parse's self samples per 1k responses grew from 50 to 200, checksum's from 0 to 100, send's stayed at 50.
  const next = {
    folded: new Map([
      ["srv;main;parse", 100],
      ["srv;main;send_[k]", 25],
      ["srv;main;checksum", 50],
    ]),
    responses: 500,
    label: "NEW",
  };
  const svg = renderDifferential(base, next, "diff");

  it("colours the frames whose self samples per response grew red, the unchanged ones white", () => {
    expect(fillOf(svg, "parse")).toBe("rgb(255,0,0)"); // +150 per 1k responses: the largest change
    expect(fillOf(svg, "checksum")).toBe("rgb(255,85,85)"); // +100 of 150
    expect(fillOf(svg, "send_[k]")).toBe("rgb(255,255,255)"); // 0.05 per response on both sides
    expect(svg).toContain("self per 1k responses +150.000 vs base");
  });

  it("colours a frame that shrank blue", () => {
    const shrunk = renderDifferential(next, base, "reverse");
    expect(fillOf(shrunk, "parse")).toBe("rgb(0,0,255)"); // −150 per 1k responses
    expect(fillOf(shrunk, "checksum")).toBeUndefined(); // only in BASE: NEW's shape is the picture
    expect(diffFill(-1, 1)).toBe("rgb(0,0,255)");
    expect(diffFill(0, 0)).toBe("rgb(255,255,255)");
  });
});
