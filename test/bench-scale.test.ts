import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "../src/bench/options.js";
import { SCALE_END, SCALE_START, renderScale, scaleServerThreads, spliceScale, type ScaleRun } from "../src/bench/scale.js";

const run: ScaleRun = {
  rows: [
    {
      connections: 10000,
      serverThreads: 2,
      accept: "balanced",
      status: "ok",
      error: "",
      served: "10000",
      jain: "0.97",
      connectS: "6.3",
      respPerS: "10000",
      clientPeakRssKb: 128000,
      clientProcesses: 1,
      sourceAddresses: 2,
      serverMaxRssKb: "150000",
      loadBefore: 3.2,
      timeWaitBefore: 12,
    },
  ],
  startedAt: "2026-12-04T22:00:00.000Z",
  commandLine: "node dist/bench/main.js --only scale",
  machine: { cpu: "test cpu", cores: 2, memory: "1 GiB", kernel: "6", node: "v20", cc: "cc", loadAtStart: 3.2 },
  loadAtEnd: 4.1,
  openFileLimit: 20000,
  failures: [],
};

describe("scale section", () => {
  it("gives the server as many workers as their descriptor limits need, at least 2", () => {
    expect(scaleServerThreads(10000, 20000)).toBe(2);
    expect(scaleServerThreads(19000, 20000)).toBe(2);
    expect(scaleServerThreads(50000, 20000)).toBe(3);
    expect(scaleServerThreads(50000, 1024)).toBe(58);
  });

  it("renders the row with its accept strategy, client memory per connection, machine, command and load", () => {
    const block = renderScale(run);
    expect(block.startsWith(SCALE_START)).toBe(true);
    expect(block.endsWith(SCALE_END)).toBe(true);
    expect(block).toContain("| 10,000 | 2 | balanced | ok | 10000 | 0.97 | 6.3 | 10000 | 1 × 2 | 125 MB | 12.8 KiB | 146 MB | 3.2 | 12 |");
    expect(block).toContain("fewer than 1000 TCP sockets are in TIME_WAIT");
    expect(block).toContain("once per accept strategy (`--accept` shared-descriptors, balanced), taking turns");
    expect(block).toContain("`node dist/bench/main.js --only scale`");
    expect(block).toContain("3.20 at start, 4.10 at the end");
  });

  it("replaces its own block and keeps everything around it, or appends one", () => {
    const first = spliceScale("# results\n\n## other\ntext\n", renderScale(run));
    expect(first).toMatch(/^# results\n\n## other\ntext\n\n<!-- scale/);
    const again = spliceScale(`${first}\n## after\n`, renderScale({ ...run, loadAtEnd: 9 }));
    expect(again.split(SCALE_START)).toHaveLength(2);
    expect(again).toContain("9.00 at the end");
    expect(again).toContain("## other\ntext");
    expect(again).toContain("## after");
  });

  it("takes --scale counts and refuses a count out of range", () => {
    expect(parseBenchOptions(["--only", "scale"], {}).scaleConnections).toEqual([10000, 19000]);
    expect(parseBenchOptions(["--only", "scale", "--scale", "10000,50000"], {}).scaleConnections).toEqual([10000, 50000]);
  });
});
