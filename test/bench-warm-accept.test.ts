/** Issue 34's bench sections, their pure parts: gaps between runs (warm vs cold client) and Jain per cell by accept strategy. */
import { describe, expect, it } from "vitest";
import {
  ACCEPT_END,
  ACCEPT_START,
  acceptTable,
  availableStrategies,
  jainTable,
  renderAccept,
  unevenLine,
  type AcceptResults,
} from "../src/bench/accept-jain.js";
import type { Machine } from "../src/bench/machine.js";
import { spliceMarked } from "../src/bench/marked-section.js";
import { parseBenchOptions, parseCells } from "../src/bench/options.js";
import { overheadVariants } from "../src/bench/overhead.js";
import {
  WARM_CLIENT_END,
  WARM_CLIENT_START,
  renderWarmClient,
  runGaps,
  warmClientTable,
  warmClientVariants,
  type WarmClientResults,
} from "../src/bench/warm-client.js";

const machine: Machine = { cpu: "AMD EPYC", cores: 2, memory: "23.5 GiB", kernel: "6.1", node: "v20.20.2", cc: "cc", loadAtStart: 0.4 };
const provenance = { startedAt: "2026-12-08T10:00:00.000Z", commandLine: "node dist/bench/main.js --only x", machine, loadAtEnd: 0.6 };
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 8, 10, 0, 0) + seconds * 1000).toISOString();
const times = { warmupS: 0.5, durationS: 2, cooldownS: 0 };

describe("warm client: runGaps", () => {
  it("is consecutive rows' started_at minus warmup and window, in start order whatever the CSV order", () => {
    const rows = [{ started_at: at(0) }, { started_at: at(5.6) }, { started_at: at(2.8) }, { started_at: at(8.4) }];
    const gaps = runGaps(rows, times, 1);
    expect(gaps.map((g) => Number(g.toFixed(3)))).toEqual([0.3, 0.3, 0.3]);
  });

  it("takes twice warmup and window for a profiled row (two passes), and the cooldown the runner waits", () => {
    expect(runGaps([{ started_at: at(0) }, { started_at: at(5.5) }], times, 2).map((g) => Number(g.toFixed(3)))).toEqual([0.5]);
    expect(runGaps([{ started_at: at(0) }, { started_at: at(4) }], { ...times, cooldownS: 1 }, 1).map((g) => Number(g.toFixed(3)))).toEqual(
      [0.5],
    );
  });

  it("skips rows without a start time and gives no gap for a single row", () => {
    expect(runGaps([{ started_at: at(0) }, { started_at: "" }, {}], times, 1)).toEqual([]);
  });
});

describe("warm client: the table", () => {
  const variants = warmClientVariants(undefined);
  variants[0]!.gapsS.push([1.1, 0.9, 1.0]);
  variants[0]!.overheadS.push(1, 1.2);
  variants[1]!.gapsS.push([0.25, 0.2], [0.35]);
  variants[2]!.gapsS.push([0.7, 0.6]);

  it("has cold, warm and perf-profiled variants with their TCPSWEEP_WARM_CLIENT; no perf when perf is unavailable", () => {
    expect(variants.map((v) => [v.label, v.env.TCPSWEEP_WARM_CLIENT, v.profiled])).toEqual([
      ["cold client", "0", false],
      ["warm client", "1", false],
      ["warm client, perf-profiled", "1", true],
    ]);
    expect(warmClientVariants("no perf here").map((v) => v.label)).toEqual(["cold client", "warm client"]);
  });

  it("shows median (min–max), the goal beside it, met or not, and every gap per sweep", () => {
    const lines = warmClientTable(variants).split("\n");
    expect(lines[2]).toBe("| cold client | 3 | 1.000 (0.900–1.100) | 1.100 (1.000–1.200) | — | 1.10, 0.90, 1.00 |");
    expect(lines[3]).toBe("| warm client | 3 | 0.250 (0.200–0.350) | — | ≤ 0.300 s: met | 0.25, 0.20; 0.35 |");
    expect(lines[4]).toContain("| 0.650 (0.600–0.700) |");
    expect(lines[4]).toContain("≤ 0.500 s: **not met**");
  });

  it("renders a marked block with date, command, machine and both load averages", () => {
    const results: WarmClientResults = { spec: "sweeps/smoke.yaml", times, cells: 4, repeat: 2, rounds: 1, variants };
    const block = renderWarmClient({ ...provenance, results, failures: [] });
    expect(block.startsWith(WARM_CLIENT_START)).toBe(true);
    expect(block.endsWith(WARM_CLIENT_END)).toBe(true);
    expect(block).toContain("2026-12-08T10:00:00.000Z");
    expect(block).toContain("`node dist/bench/main.js --only x`");
    expect(block).toContain("0.40 at start, 0.60 at the end");
    expect(block).toContain("warmup 0.5 s + window 2 s");
    expect(block).toContain("saves 0.750 s a run");
  });
});

describe("overhead section: cold and warm client side by side", () => {
  it("runs this build cold then warm (the goals judge the last), after the baseline when given", () => {
    expect(overheadVariants(undefined).map((v) => [v.label, v.env.TCPSWEEP_WARM_CLIENT])).toEqual([
      ["this build, cold client", "0"],
      ["this build, warm client", "1"],
    ]);
    expect(overheadVariants("/tmp/before").map((v) => v.label)).toEqual(["before", "after, cold client", "after, warm client"]);
  });
});

describe("accept: Jain per cell", () => {
  const row = (connections: number, threads: number, accept: string, jain: string, status: string, rate: string) => ({
    connections: String(connections),
    threads: String(threads),
    accept,
    fairness_jain: jain,
    status,
    resp_per_s: rate,
  });
  const rows = [
    row(10, 2, "shared-descriptors", "0.99", "ok", "1300"),
    row(10, 2, "shared-descriptors", "0.95", "ok", "1100"),
    row(10, 2, "shared-descriptors", "0.97", "ok", "1200"),
    row(10, 2, "balanced", "0.80", "ok", "1000"),
    row(10, 2, "balanced", "", "server_not_ready", ""),
    row(100, 2, "shared-descriptors", "0.91", "ok", "4000"),
  ];
  const cells = [
    { connections: 10, threads: 2 },
    { connections: 100, threads: 2 },
  ];
  const strategies = ["shared-descriptors", "balanced"];
  const jain = jainTable(rows, cells, strategies);

  it("takes the lowest Jain, each status once and the median resp/s per cell and strategy", () => {
    expect(jain[0]!.byStrategy["shared-descriptors"]).toEqual({ runs: 3, lowestJain: 0.95, statuses: ["ok"], medianRespPerS: 1200 });
    expect(jain[0]!.byStrategy.balanced).toEqual({ runs: 2, lowestJain: 0.8, statuses: ["ok", "server_not_ready"], medianRespPerS: 1000 });
    expect(jain[1]!.byStrategy.balanced).toEqual({ runs: 0, statuses: [] });
  });

  it("writes one row per cell, strategies side by side, n/a where there is no figure", () => {
    const lines = acceptTable(jain, strategies, 3).split("\n");
    expect(lines[0]).toBe(
      "| connections × threads | shared-descriptors: lowest Jain of 3 (status) | balanced: lowest Jain of 3 (status) | shared-descriptors resp/s median | balanced resp/s median |",
    );
    expect(lines[2]).toBe("| 10 × 2 | 0.950 (ok) | 0.800 (ok,server_not_ready) | 1200 | 1000 |");
    expect(lines[3]).toBe("| 100 × 2 | 0.910 (ok) | n/a (no row) | 4000 | n/a |");
  });

  it("names the cells below 0.9, or says there are none", () => {
    expect(unevenLine(jain, strategies)).toBe("Cells with a lowest Jain below 0.9: 10 × 2 (balanced 0.800).");
    expect(unevenLine(jain, ["shared-descriptors"])).toBe("No cell has a lowest Jain below 0.9 under any strategy.");
  });

  it("compares reuse-port only on a Node that has it", () => {
    expect(availableStrategies("v20.20.2")).toEqual(["shared-descriptors", "balanced"]);
    expect(availableStrategies("v22.12.0")).toEqual(["shared-descriptors", "balanced", "reuse-port"]);
  });

  it("says in the table heading that the window was shortened", () => {
    const results: AcceptResults = {
      spec: "sweeps/full.yaml",
      cells,
      cellsOverridden: false,
      strategies,
      warmupS: 1,
      durationS: 3,
      specDurationS: 10,
      cooldownS: 1,
      repeat: 3,
      jain,
    };
    const block = renderAccept({ ...provenance, results, failures: [] });
    expect(block.startsWith(ACCEPT_START) && block.endsWith(ACCEPT_END)).toBe(true);
    expect(block).toContain("1 s warmup, 3 s windows: shortened from the spec's 10 s");
    expect(block).toContain("0.40 at start, 0.60 at the end");
    expect(renderAccept({ ...provenance, failures: ["accept: boom"] })).toContain("- accept: boom");
  });
});

describe("bench options and marked blocks", () => {
  it("--accept-cells: connections × threads lists", () => {
    expect(parseCells("10,100x2,4")).toEqual({ connections: [10, 100], threads: [2, 4] });
    expect(parseBenchOptions(["--only", "accept", "--accept-cells", "10x2"], {}).acceptCells).toEqual({ connections: [10], threads: [2] });
    expect(() => parseCells("10")).toThrow(/CONNECTIONSxTHREADS/);
  });

  it("replaces a marked block in place, or appends it", () => {
    const block = "<!-- a -->\nnew\n<!-- /a -->";
    expect(spliceMarked("x\n<!-- a -->\nold\n<!-- /a -->\ny\n", "<!-- a -->", "<!-- /a -->", block)).toBe(`x\n${block}\ny\n`);
    expect(spliceMarked("x\n", "<!-- a -->", "<!-- /a -->", block)).toBe(`x\n\n${block}\n`);
  });
});
