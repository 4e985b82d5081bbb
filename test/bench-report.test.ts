import { describe, expect, it } from "vitest";
import { parsePhases } from "../src/bench/overhead.js";
import { carriedOverFindings, spliceSection } from "../src/bench/report.js";
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

describe("--only: spliceSection", () => {
  const previous = "# r\n\n## Client comparison\n\nold clients\n\n## Sweep overhead\n\nold overhead\n\n## Goals\n\ng\n\n## Findings\n\nf\n";
  const rendered = "# r\n\n## Client comparison\n\nNot measured\n\n## Sweep overhead\n\nnew overhead\n\n### Overhead goals\n\nx\n\n## Goals\n\nnone\n";
  it("replaces only the section run, up to the next ## heading", () => {
    expect(spliceSection(previous, rendered, "## Sweep overhead")).toBe(
      "# r\n\n## Client comparison\n\nold clients\n\n## Sweep overhead\n\nnew overhead\n\n### Overhead goals\n\nx\n\n## Goals\n\ng\n\n## Findings\n\nf\n",
    );
  });
  it("a section the previous file lacks goes before Findings", () => {
    const older = "# r\n\n## Goals\n\ng\n\n## Findings\n\nf\n";
    expect(spliceSection(older, rendered, "## Sweep overhead")).toBe("# r\n\n## Goals\n\ng\n\n## Sweep overhead\n\nnew overhead\n\n### Overhead goals\n\nx\n\n## Findings\n\nf\n");
  });
});

describe("parsePhases", () => {
  it("reads the raw log's phases section (a phase named twice adds up), stopping at total", () => {
    const log = "### client: x\n--- stdout ---\nwindow: 9 s\n### phases (wall time of this pass)\nserver start: 0.500 s\nwindow: 1.000 s\nserver start: 0.250 s\ntotal: 1.750 s\n";
    expect(parsePhases(log)).toEqual({ "server start": 0.75, window: 1 });
  });
});
