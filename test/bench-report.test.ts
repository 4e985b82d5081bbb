import { describe, expect, it } from "vitest";
import { carriedOverFindings } from "../src/bench/report.js";
import { ratioOfMedians, spread } from "../src/bench/stats.js";

describe("carriedOverFindings", () => {
  it("starts with the placeholder when there is no previous file or section", () => {
    expect(carriedOverFindings(undefined)).toBe("## Findings\n\n(written by hand after profiling)\n");
    expect(carriedOverFindings("# old\n\n## Goals\n\n| a |\n")).toContain("(written by hand after profiling)");
  });

  it("keeps the hand-written section, subheadings included, up to the next ## heading", () => {
    const previous = "# r\n\n## Goals\n\nx\n\n## Findings\n\nThe client spends 40% in epoll.\n\n### Details\n\n- a\n\n## Later\n\ny\n";
    expect(carriedOverFindings(previous)).toBe("## Findings\n\nThe client spends 40% in epoll.\n\n### Details\n\n- a\n");
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
