/**
 * What the tests of CPU profiles and flame graphs share: the check that this machine can sample
 * stacks (perf, and a kernel that lets this user), and reading a flame graph SVG back.
 */
import { execFileSync } from "node:child_process";
import { cpuSamplingProblem } from "../../src/profile/preflight.js";
import { requireTool } from "./system-tools.js";

export function requireCpuSampling(): void {
  requireTool("perf");
  const why = cpuSamplingProblem();
  if (why) throw new Error(`this machine cannot run the CPU profile tests: ${why}`);
}

/** "ok" when python3's XML parser reads the file (a browser shows nothing of a malformed SVG). */
export const parseXml = (file: string) =>
  execFileSync(requireTool("python3"), ["-c", "import sys, xml.etree.ElementTree as t; t.parse(sys.argv[1]); print('ok')", file], {
    encoding: "utf8",
  }).trim();

export interface DrawnFrame {
  name: string;
  x: number;
  y: number;
  width: number;
  fill: string;
}

/** Every frame drawn in a flame graph SVG (src/flame/svg.ts): its name (from the tooltip), box and fill. */
export function drawnFrames(svg: string): DrawnFrame[] {
  const frame = /<g><title>([^<]*) \(\d+ samples[^<]*<\/title><rect x="([\d.]+)" y="(\d+)" width="([\d.]+)" [^>]*fill="([^"]+)"/g;
  return [...svg.matchAll(frame)].map((m) => ({ name: m[1]!, x: Number(m[2]), y: Number(m[3]), width: Number(m[4]), fill: m[5]! }));
}

/** Is `frame` drawn on top of `below` (a callee on its stack: inside its width, higher up)? */
export const calledFrom = (frame: DrawnFrame, below: DrawnFrame) =>
  frame.y < below.y && frame.x >= below.x - 0.05 && frame.x + frame.width <= below.x + below.width + 0.05;
