/** Verdicts across one matrix key of a run, on rows whose figures are known: who wins, ties, degraded runs, tallies. */
import { describe, expect, it } from "vitest";
import { verdictsBy } from "../src/compare/by-dimension.js";
import { formatVerdicts, verdictsMarkdown } from "../src/compare/by-dimension-format.js";
import type { Row } from "../src/output/columns.js";

function rows(server: string, connections: number, respPerS: number[], p99 = 1000, status = "ok", error = ""): Row[] {
  return respPerS.map((resp, i) => ({
    cell: `connections=${connections},server=${server}`,
    connections,
    server,
    repeat: i + 1,
    status,
    error,
    resp_per_s: resp,
    latency_p99_us: p99 + i,
  }));
}
const spread = (base: number) => [0, 1, 2, 3, 4, 5].map((i) => base * (1 + i / 100));

describe("verdictsBy server", () => {
  it("names the faster server with a ratio and an interval above 1 in every cell, and it wins the matrix", () => {
    const v = verdictsBy(
      [...rows("a", 1, spread(1300)), ...rows("b", 1, spread(1000)), ...rows("a", 10, spread(2600)), ...rows("b", 10, spread(2000))],
      "server",
    );
    const resp = v.pairs.filter((p) => p.metric === "resp/s");
    expect(resp.map((p) => [p.cell, p.better, p.worse, p.verdict])).toEqual([
      ["connections=1", "a", "b", "win"],
      ["connections=10", "a", "b", "win"],
    ]);
    for (const p of resp) {
      expect(p.ratio).toBeCloseTo(1.3, 2);
      expect(p.ci!.low).toBeGreaterThan(1);
    }
    // compare's engine (--test auto): Welch's t on the logs here, so a tighter interval and a smaller p than the rank test's
    // [1.26, 1.34], p=0.009 of the Mann-Whitney-only engine before.
    expect(formatVerdicts(v)).toContain("  a ran 1.30× [1.27, 1.33] the resp/s of b at connections=1 (welch p=1e-9, 6 repeats each)");
    expect(v.tallies.map((t) => [t.value, t.wins, t.losses, t.ties, t.geomean?.toFixed(2)])).toEqual([
      ["a", 2, 0, 0, "1.30"],
      ["b", 0, 2, 0, "0.77"],
    ]);
    expect(v.overall).toBe("a");
  });

  it("gives ~ and the repeats needed when the samples overlap; nobody wins the matrix", () => {
    const v = verdictsBy([...rows("a", 1, [100, 103, 101]), ...rows("b", 1, [102, 99, 104])], "server");
    expect(v.pairs.every((p) => p.verdict === "~")).toBe(true);
    // Welch (auto) can decide at 3 repeats, so the advice is its detectable change, not the rank test's floor.
    expect(formatVerdicts(v)).toMatch(
      /~ b vs a resp\/s at connections=1: 1\.01× \[.+\] \(welch p=.+, 3 repeats each\)\n {6}cannot see a 5% change with 3 repeats: run it with --repeat \d+ or more/,
    );
    // The rank test cannot reach p < 0.05 / 2 with 3 against 3: it says how many repeats any difference needs.
    expect(
      formatVerdicts(verdictsBy([...rows("a", 1, [100, 103, 101]), ...rows("b", 1, [102, 99, 104])], "server", { test: "rank" })),
    ).toMatch(
      /~ b vs a resp\/s at connections=1: 1\.01× \(rank p=.+, 3 repeats each\)\n {6}the rank test needs ≥ \d+ repeats each to show any difference/,
    );
    expect(v.overall).toBeUndefined();
    expect(formatVerdicts(v)).toContain("no server won every cell");
  });

  it("a server with runs that were not ok never wins its cell, and the verdict says why", () => {
    const v = verdictsBy(
      [
        ...rows("a", 1, spread(1000)),
        ...rows("b", 1, spread(5000), 1000, "degraded", "served 2 of 4 connections").map((r, i) =>
          i < 2 ? { ...r, status: "ok", error: "" } : r,
        ),
      ],
      "server",
    );
    const text = formatVerdicts(v);
    expect(text).toContain("  ! b at connections=1: degraded in 4 of 6 repeats (served 2 of 4 connections); it cannot win this cell");
    expect(v.pairs.filter((p) => p.better === "b").every((p) => p.verdict === "degraded")).toBe(true);
    expect(v.tallies.find((t) => t.value === "b")!.wins).toBe(0);
  });

  it("compares every server with a named baseline", () => {
    const v = verdictsBy([...rows("a", 1, spread(1000)), ...rows("b", 1, spread(2000)), ...rows("c", 1, spread(3000))], "server", {
      baseline: "a",
    });
    const resp = v.pairs.filter((p) => p.metric === "resp/s").map((p) => `${p.better}>${p.worse}`);
    expect(resp).toEqual(["b>a", "c>a"]);
  });
});

describe("a ~ with enough repeats", () => {
  // Before: "were the 1.08× real, about N repeats each would show it", with N up to thousands. Now compare's detectable
  // change decides, and past 100 repeats the advice is about the noise, not the repeat count (issue 30, item 5).
  it("says the cell's noise is too large to see the threshold, and points to calibrate, when no sane repeat count would", () => {
    const v = verdictsBy([...rows("a", 1, [100, 130, 90, 120, 95, 125]), ...rows("b", 1, [105, 98, 135, 92, 118, 99])], "server");
    expect(formatVerdicts(v)).toMatch(
      /~ a vs b resp\/s at connections=1: 1\.\d\d× \[.+\] \(welch p=.+, 6 repeats each\)\n {6}the cell's noise is too large for more repeats to help; see tcpsweep calibrate, or the nightly history/,
    );
    expect(formatVerdicts(v)).not.toMatch(/--repeat \d{3,}/);
  });

  it("names a repeat count when one up to 100 would see the threshold", () => {
    const noisy = (base: number) => [0, 3, -3, 6, -6, 1].map((d) => base * (1 + d / 100));
    const v = verdictsBy([...rows("a", 1, noisy(1020)), ...rows("b", 1, noisy(1000))], "server");
    const resp = v.pairs.find((p) => p.metric === "resp/s")!;
    expect(resp.verdict).toBe("~");
    expect(resp.repeatsToSee).toBeGreaterThan(6);
    expect(resp.repeatsToSee).toBeLessThanOrEqual(100);
    expect(formatVerdicts(v)).toContain(`cannot see a 5% change with 6 repeats: run it with --repeat ${resp.repeatsToSee} or more`);
  });
});

describe("the threshold (as compare's --threshold, default 5 %)", () => {
  it("a significant difference whose interval reaches within ±5 % is ~, saying so; with --threshold 1 it wins", () => {
    // Every a above every b by about 3 %: significant with 6 repeats each, but not beyond 5 %.
    const tight = (base: number) => [0, 1, 2, 3, 4, 5].map((i) => base + i);
    const data = [...rows("a", 1, tight(1030)), ...rows("b", 1, tight(1000))];
    const v = verdictsBy(data, "server");
    const resp = v.pairs.find((p) => p.metric === "resp/s")!;
    expect(resp.pAdjusted!).toBeLessThan(0.05);
    expect(resp.verdict).toBe("~");
    expect(formatVerdicts(v)).toMatch(
      /~ a vs b resp\/s at connections=1: 1\.03× \[.+\] \(welch p=.+\)\n {6}significant, but the interval reaches within ±5%: not a difference that counts/,
    );
    expect(formatVerdicts(v)).toContain("95% intervals wholly beyond ±5%");
    expect(verdictsBy(data, "server", { thresholdPct: 1 }).pairs.find((p) => p.metric === "resp/s")!.verdict).toBe("win");
  });

  it("a lower-is-better metric wins only with its interval wholly below 1 − threshold", () => {
    const lowP99 = (server: string, p99: number) =>
      rows(server, 1, spread(1000)).map((row, i) => ({ ...row, latency_p99_us: p99 * (1 + i / 100) }));
    const near = verdictsBy([...lowP99("a", 970), ...lowP99("b", 1000)], "server").pairs.find((p) => p.metric === "p99")!;
    expect(near.ratio).toBeLessThan(1);
    expect(near.verdict).toBe("~");
    const far = verdictsBy([...lowP99("a", 500), ...lowP99("b", 1000)], "server").pairs.find((p) => p.metric === "p99")!;
    expect(far.verdict).toBe("win");
    expect(far.ci!.high).toBeLessThan(0.95);
  });
});

describe("one engine with compare", () => {
  const data = [...rows("a", 1, spread(1300)), ...rows("b", 1, spread(1000))];

  it("--test picks the test of every pair, as compare's --test does", () => {
    for (const test of ["welch", "rank"] as const) {
      const v = verdictsBy(data, "server", { test });
      expect(v.testMode).toBe(test);
      expect(v.pairs.every((p) => p.test === test)).toBe(true);
    }
    expect(formatVerdicts(verdictsBy(data, "server", { test: "rank" }))).toContain("Mann-Whitney U test (--test rank)");
  });

  it("one count of the Holm family, in the header and the JSON", () => {
    const v = verdictsBy([...rows("a", 2, [100, 101]), ...rows("b", 2, [102, 99]), ...data], "server");
    expect([v.tests, v.plannedTests]).toEqual([2, 4]);
    expect(formatVerdicts(v)).toContain("  Holm over 2 of 4 tests planned (the rest: too few repeats);");
  });

  it("a repeat written twice (a failed run that --resume ran again) counts once, the later row", () => {
    const failedThenOk = [...rows("b", 1, [1], 1000, "server_failed", "boom"), ...rows("b", 1, spread(1000))];
    const v = verdictsBy([...rows("a", 1, spread(1300)), ...failedThenOk], "server");
    expect(v.notOk).toEqual([]);
    expect(v.pairs.find((p) => p.metric === "resp/s")!.n).toEqual({ better: 6, worse: 6 });
  });

  it("markdown: one table row per pair, the winner in bold, text from the CSV escaped", () => {
    const md = verdictsMarkdown(verdictsBy([...rows("a|x", 1, spread(1300)), ...rows("b", 1, spread(1000))], "server", { test: "welch" }));
    const lines = md.split("\n");
    expect(lines).toContain("| cell | metric | better | worse | ratio [CI] | p (test) | repeats | verdict |");
    expect(md).toMatch(
      /^\| connections=1 \| resp\/s \| a\\\|x \| b \| 1\.30× \[1\.\d\d, 1\.\d\d\] \| .+ welch \| 6\/6 \| \*\*a\\\|x wins\*\* \|$/m,
    );
    expect(md).toContain("Welch's t on the logs (--test welch)");
  });
});
