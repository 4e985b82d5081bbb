import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ClientPoint } from "../src/bench/experiments.js";
import { nodeBinaries } from "../src/bench/nodes.js";
import { parseBenchOptions } from "../src/bench/options.js";
import { parsePhases } from "../src/bench/overhead.js";
import type { ClientRun } from "../src/bench/processes.js";
import { carriedOverFindings, nodeTable, spliceSection, withSectionProvenance, type BenchResults } from "../src/bench/report.js";
import { ratioOfMedians, spread } from "../src/bench/stats.js";
import { makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

describe("carriedOverFindings", () => {
  it("starts with the placeholder when there is no previous file or section", () => {
    expect(carriedOverFindings(undefined)).toBe("## Findings\n\n(written by hand after profiling)\n");
    expect(carriedOverFindings("# old\n\n## Goals\n\n| a |\n")).toContain("(written by hand after profiling)");
  });

  it("keeps everything from Findings to the end: its subheadings and the sections written after it", () => {
    const previous =
      "# r\n\n## Goals\n\nx\n\n## Findings\n\nThe client spends 40% in epoll.\n\n### Details\n\n- a\n\n## Later\n\ny\n\n<!-- scale: written by npm run bench -- --only scale -->\nz\n<!-- /scale -->\n";
    expect(carriedOverFindings(previous)).toBe(
      "## Findings\n\nThe client spends 40% in epoll.\n\n### Details\n\n- a\n\n## Later\n\ny\n\n<!-- scale: written by npm run bench -- --only scale -->\nz\n<!-- /scale -->\n",
    );
  });
});

describe("spread", () => {
  it("gives median, min and max; the median of an even count is the mean of the middle two", () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, runs: 3 });
    expect(spread([4, 1, 3, 2])?.median).toBe(2.5);
    expect(spread([])).toBeUndefined();
  });

  it("ratio of medians is undefined when a side has no run", () => {
    expect(ratioOfMedians(spread([2, 4, 6]), spread([2]))).toBe(2);
    expect(ratioOfMedians(spread([1]), undefined)).toBeUndefined();
  });
});

describe("--only: spliceSection", () => {
  const previous = "# r\n\n## Client comparison\n\nold clients\n\n## Sweep overhead\n\nold overhead\n\n## Goals\n\ng\n\n## Findings\n\nf\n";
  const rendered =
    "# r\n\n## Client comparison\n\nNot measured\n\n## Sweep overhead\n\nnew overhead\n\n### Overhead goals\n\nx\n\n## Goals\n\nnone\n";
  it("replaces only the section run, up to the next ## heading", () => {
    expect(spliceSection(previous, rendered, "## Sweep overhead")).toBe(
      "# r\n\n## Client comparison\n\nold clients\n\n## Sweep overhead\n\nnew overhead\n\n### Overhead goals\n\nx\n\n## Goals\n\ng\n\n## Findings\n\nf\n",
    );
  });
  it("a section the previous file lacks goes before Findings", () => {
    const older = "# r\n\n## Goals\n\ng\n\n## Findings\n\nf\n";
    expect(spliceSection(older, rendered, "## Sweep overhead")).toBe(
      "# r\n\n## Goals\n\ng\n\n## Sweep overhead\n\nnew overhead\n\n### Overhead goals\n\nx\n\n## Findings\n\nf\n",
    );
  });
});

describe("--only: withSectionProvenance", () => {
  it("puts when, how and under what load under the section's heading, since the file's header is of the last full run", () => {
    const results = {
      startedAt: "2026-12-04T20:53:29.000Z",
      commandLine: "node dist/bench/main.js --only clients",
      machine: { node: "v20.20.2", loadAtStart: 22.2 },
    } as unknown as BenchResults;
    const rendered = "# r\n\n## Client comparison: A vs B\n\ntable\n\n## Goals\n";
    expect(withSectionProvenance(rendered, "## Client comparison", results)).toBe(
      "# r\n\n## Client comparison: A vs B\n\nMeasured 2026-12-04T20:53:29.000Z by `node dist/bench/main.js --only clients` (this section only; the header above describes the last full run), Node v20.20.2, load average (1 min) at start 22.20 (busy: expect noisy numbers).\n\ntable\n\n## Goals\n",
    );
    expect(withSectionProvenance(rendered, "## Sweep overhead", results)).toBe(rendered);
  });
});

describe("parsePhases", () => {
  it("reads the raw log's phases section (a phase named twice adds up), stopping at total", () => {
    const log =
      "### client: x\n--- stdout ---\nwindow: 9 s\n### phases (wall time of this pass)\nserver start: 0.500 s\nwindow: 1.000 s\nserver start: 0.250 s\ntotal: 1.750 s\n";
    expect(parsePhases(log)).toEqual({ "server start": 0.75, window: 1 });
  });
});

describe("the client comparison per Node version", () => {
  it("--node is repeatable and TCPSWEEP_BENCH_NODES adds more (paths separated by ':'); none by default", () => {
    expect(parseBenchOptions([], {}).nodes).toEqual([]);
    const options = parseBenchOptions(["--node", "/opt/a/node", "--node", "rel/node"], {
      TCPSWEEP_BENCH_NODES: "/opt/b/node::/opt/c/node",
    });
    expect(options.nodes).toEqual(["/opt/a/node", path.resolve("rel/node"), "/opt/b/node", "/opt/c/node"]);
  });

  it("nodeBinaries: the running node first with its version, the same file once, every unusable path named at once", () => {
    expect(nodeBinaries([process.execPath])).toEqual([{ path: process.execPath, version: process.version }]);
    const dir = makeTempDir("tcpsweep-bench-nodes-");
    const notNode = path.join(dir, "not-node");
    writeFileSync(notNode, "#!/bin/sh\necho hello\n");
    chmodSync(notNode, 0o755);
    const missing = path.join(dir, "missing");
    let message = "";
    try {
      nodeBinaries([missing, notNode]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split("\n")).toEqual([
      `--node ${missing}: not a Node binary that runs here (no such file); give the path of a node executable, e.g. /opt/node-lts/n24/package/bin/node`,
      expect.stringMatching(new RegExp(`^--node ${notNode}: not a Node binary that runs here`)),
    ]);
  });

  const run = (respPerS: number, cpuUsPerResponse: number, peakRssKb: number): ClientRun => ({
    respPerS,
    responses: respPerS * 3,
    successPct: 100,
    p99Us: 100,
    cpuS: 1,
    cpuUsPerResponse,
    peakRssKb,
  });

  it("nodeTable: one row per Node binary and the native client per point, ratios of medians to native and to the running node", () => {
    const point: ClientPoint = {
      connections: 100,
      tcpsweep: [run(50_000, 30, 80_000), run(52_000, 31, 81_000), run(48_000, 29, 79_000)],
      native: [run(60_000, 20, 3_000)],
      otherNodes: [{ version: "v24.1.0", path: "/n24/node", runs: [run(55_000, 27, 70_000), run(56_000, 27, 71_000)] }],
    };
    const text = nodeTable([point], "v20.0.0")!;
    const rows = text.split("\n").filter((line) => line.startsWith("| 100 |"));
    expect(rows).toEqual([
      "| 100 | tcpsweep, node v20.0.0 | 50,000 (48,000–52,000) | 0.83× | 1.00× | 30.00 (29.00–31.00) | 1.50× | 1.00× | 80,000 (79,000–81,000) | 26.67× |",
      "| 100 | tcpsweep, node v24.1.0 | 55,500 (55,000–56,000) | 0.93× | 1.11× | 27.00 (27.00–27.00) | 1.35× | 0.90× | 70,500 (70,000–71,000) | 23.50× |",
      "| 100 | native client | 60,000 | 1.00× | — | 20.00 | 1.00× | — | 3,000 | 1.00× |",
    ]);
    expect(nodeTable([{ ...point, otherNodes: undefined }], "v20.0.0")).toBeUndefined();
  });
});
