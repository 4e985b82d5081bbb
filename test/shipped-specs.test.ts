/**
 * The specs shipped in sweeps/: each one loads, the README lists each one, and the nightly has the
 * repeats `compare` needs to call a change significant with the rank test and Holm's correction.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_ALPHA, METRICS } from "../src/compare/compare.js";
import { repeatsNeeded } from "../src/compare/significance.js";
import { expandCells } from "../src/sweep/matrix.js";
import { loadSpec } from "../src/sweep/spec.js";
import { REPO } from "./helpers/sweep.js";

const SWEEPS = path.join(REPO, "sweeps");
const shipped = readdirSync(SWEEPS).filter((name) => name.endsWith(".yaml"));

describe("the shipped specs", () => {
  it.each(shipped)("%s loads and the README lists it", async (name) => {
    const spec = await loadSpec(path.join(SWEEPS, name));
    expect(expandCells(spec).length).toBeGreaterThan(0);
    expect(readFileSync(path.join(REPO, "README.md"), "utf8")).toContain(`sweeps/${name}`);
  });

  it("sweeps/nightly.yaml has enough repeats for a significant verdict in every cell, even with syscalls counted", async () => {
    const spec = await loadSpec(path.join(SWEEPS, "nightly.yaml"));
    const tests = expandCells(spec).length * METRICS.length;
    expect(spec.repeat).toBeGreaterThanOrEqual(repeatsNeeded(DEFAULT_ALPHA, tests));
  });

  it("sweeps/latency.yaml says its rates come from one machine and how to derive yours", () => {
    const text = readFileSync(path.join(SWEEPS, "latency.yaml"), "utf8");
    expect(text).toContain("148,000");
    expect(text).toMatch(/To derive yours/);
  });
});

describe("sweeps/servers.yaml", () => {
  it("compares two named servers with enough repeats for a verdict in every cell", async () => {
    const spec = await loadSpec(path.join(SWEEPS, "servers.yaml"));
    expect(Object.keys(spec.servers ?? {})).toEqual(["node", "epoll"]);
    const cells = expandCells(spec).length / 2; // a cell's two servers are compared with each other
    expect(spec.repeat).toBeGreaterThanOrEqual(repeatsNeeded(DEFAULT_ALPHA, cells * 2)); // resp/s and p99
  });
});
