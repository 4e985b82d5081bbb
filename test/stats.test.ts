/**
 * Repeat statistics and the end-of-run pivot built from constructed rows: median, range, CV,
 * the noisy flag (CV above 5 %) and the client-bound flag (client CPU per worker thread above 90 %).
 */
import { describe, expect, it } from "vitest";
import type { Row } from "../src/output/columns.js";
import { formatPivot } from "../src/output/pivot.js";
import {
  CLIENT_BOUND_CORE_SHARE,
  NOISE_CV_THRESHOLD,
  clientCoreShare,
  cv,
  isClientBound,
  max,
  median,
  min,
  numeric,
  repeatStats,
  stdev,
  unevenJain,
} from "../src/output/stats.js";

/** One ok run of a cell; client at 30 % of a core per thread unless said otherwise. */
function row(connections: number, threads: number, respPerS: number, extra: Partial<Row> = {}): Row {
  return {
    cell: `connections=${connections},threads=${threads}`,
    connections,
    threads,
    status: "ok",
    resp_per_s: respPerS,
    duration_s: 1,
    client_cpu_s: 0.6,
    client_threads: 2,
    ...extra,
  };
}

/** The pivot line of the row whose first column is `first`. */
const lineOf = (pivot: string, first: string) => pivot.split("\n").find((line) => line.split(/\s+/)[0] === first);

describe("stats helpers", () => {
  it("median, min, max; NaN for no values", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(min([3, 1, 2])).toBe(1);
    expect(max([3, 1, 2])).toBe(3);
    expect(min([])).toBeNaN();
  });

  it("sample stdev and CV = stdev / mean, as a fraction; undefined below 2 values or for a zero mean", () => {
    expect(stdev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(cv([100, 100, 100])).toBe(0);
    expect(cv([90, 100, 110])).toBeCloseTo(0.1, 10);
    expect(cv([100])).toBeUndefined();
    expect(cv([])).toBeUndefined();
    expect(cv([-1, 1])).toBeUndefined();
    expect(NOISE_CV_THRESHOLD).toBe(0.05);
    expect(CLIENT_BOUND_CORE_SHARE).toBe(0.9);
  });

  it("numeric treats empty CSV values as missing, not 0", () => {
    expect(numeric("")).toBeUndefined();
    expect(numeric(" ")).toBeUndefined();
    expect(numeric(undefined)).toBeUndefined();
    expect(numeric("abc")).toBeUndefined();
    expect(numeric("12.5")).toBe(12.5);
    expect(numeric(0)).toBe(0);
  });

  it("client-bound: client_cpu_s / duration_s / client_threads above 0.9", () => {
    expect(clientCoreShare(row(1, 1, 100, { client_cpu_s: 1.9, duration_s: 1, client_threads: 2 }))).toBeCloseTo(0.95);
    expect(isClientBound(row(1, 1, 100, { client_cpu_s: 1.9, duration_s: 1, client_threads: 2 }))).toBe(true);
    expect(isClientBound(row(1, 1, 100, { client_cpu_s: 1.8, duration_s: 1, client_threads: 2 }))).toBe(false); // exactly 0.9 is not above
    expect(isClientBound(row(1, 1, 100, { client_cpu_s: "4.6", duration_s: "5", client_threads: "1" }))).toBe(true); // CSV strings
    // Older CSVs have no client_threads, external clients report none: no judgement.
    expect(clientCoreShare(row(1, 1, 100, { client_threads: "" }))).toBeUndefined();
    expect(isClientBound(row(1, 1, 100, { client_cpu_s: 5, client_threads: undefined }))).toBe(false);
  });

  it("client-bound with the client pinned: the share is of the CPUs it could use, not of its threads", () => {
    // 2 worker threads pinned to one CPU: 0.95 s of CPU per second is 95 % of what it could get.
    expect(clientCoreShare(row(1, 1, 100, { client_cpu_s: 0.95, duration_s: 1, client_threads: 2, client_cpus: "1" }))).toBeCloseTo(0.95);
    expect(isClientBound(row(1, 1, 100, { client_cpu_s: 0.95, duration_s: 1, client_threads: 2, client_cpus: "1" }))).toBe(true);
    expect(isClientBound(row(1, 1, 100, { client_cpu_s: 0.95, duration_s: 1, client_threads: 2, client_cpus: "0-1" }))).toBe(false);
    // More CPUs than threads: the threads are the limit.
    expect(clientCoreShare(row(1, 1, 100, { client_cpu_s: 0.9, duration_s: 1, client_threads: 1, client_cpus: "0-3" }))).toBeCloseTo(0.9);
  });

  it("repeatStats summarises the ok repeats and flags noise, client-bound runs and failures", () => {
    const stats = repeatStats([row(1, 1, 90), row(1, 1, 100), row(1, 1, 110), row(1, 1, 0, { status: "timeout", resp_per_s: "" })]);
    expect(stats).toMatchObject({ runs: 4, ok: 3, median: 100, min: 90, max: 110, noisy: true, clientBound: false, someFailed: true });
    expect(stats.cv).toBeCloseTo(0.1, 10);
    expect(repeatStats([row(1, 1, 90), row(1, 1, 110)], { noiseThreshold: 0.2 }).noisy).toBe(false);
    expect(repeatStats([row(1, 1, 100), row(1, 1, 101, { client_cpu_s: 1.95 })]).clientBound).toBe(true);
    const failed = repeatStats([row(1, 1, 0, { status: "server_exited", resp_per_s: "" })]);
    expect(failed).toMatchObject({ ok: 0, failedStatus: "server_exited", noisy: false, clientBound: false });
    expect(failed.median).toBeUndefined();
  });
});

describe("formatPivot", () => {
  it("one repeat per cell: the plain median, no spread, no legend", () => {
    const pivot = formatPivot([row(5, 1, 1000.4), row(5, 2, 2000.6), row(20, 1, 3000), row(20, 2, 4000)], ["connections", "threads"]);
    expect(pivot.split("\n")[0]).toBe("resp/s: median of ok repeats");
    expect(pivot).toMatch(/^connections \\ threads\s+threads=1\s+threads=2$/m);
    expect(lineOf(pivot, "5")).toMatch(/^5\s+1000\s+2001$/);
    expect(lineOf(pivot, "20")).toMatch(/^20\s+3000\s+4000$/);
    expect(pivot).not.toMatch(/noisy|client-bound/);
  });

  it("a key with one value gives way to one that varies: a latency sweep reads rate × threads in one table", () => {
    const rows = [1000, 2000].flatMap((rate) => [1, 2].map((threads) => ({ ...row(100, threads, rate + threads), rate })));
    const pivot = formatPivot(rows, ["connections", "rate", "threads"]);
    expect(pivot.split("\n")[0]).toBe("resp/s: median of ok repeats for connections=100");
    expect(pivot).toMatch(/^rate \\ threads\s+threads=1\s+threads=2$/m);
    expect(lineOf(pivot, "2000")).toMatch(/^2000\s+2001\s+2002$/);
    // Both first keys varying: the usual layout, the rest split tables.
    expect(formatPivot([row(5, 1, 10), row(20, 2, 20)], ["connections", "threads"])).toMatch(/^connections \\ threads/m);
  });

  it("repeats: median with (min–max, CV%); a CV above 5% is marked ~ with a legend line", () => {
    const rows = [
      // steady: CV 1 %
      row(5, 1, 990),
      row(5, 1, 1000),
      row(5, 1, 1010),
      // noisy: CV 10 %
      row(5, 2, 1800),
      row(5, 2, 2000),
      row(5, 2, 2200),
    ];
    const pivot = formatPivot(rows, ["connections", "threads"]);
    expect(pivot.split("\n")[0]).toBe("resp/s: median of ok repeats (min–max, CV)");
    const line = lineOf(pivot, "5")!;
    expect(line).toMatch(/^5\s+1000 \(990–1010, 1\.0%\)\s+2000~ \(1800–2200, 10\.0%\)$/);
    expect(pivot).toContain("~ noisy: the ok repeats' resp/s vary by more than 5% (CV)");
    expect(pivot).not.toContain("client-bound");
    // The threshold is an option (not a spec key).
    expect(formatPivot(rows, ["connections", "threads"], { noiseThreshold: 0.2 })).not.toContain("~");
  });

  it("marks a client-bound cell ! with a legend line", () => {
    const pivot = formatPivot(
      [row(5, 1, 1000), row(5, 2, 2000, { client_cpu_s: 1.9, duration_s: 1, client_threads: 2 }), row(20, 1, 3000), row(20, 2, 4000)],
      ["connections", "threads"],
    );
    expect(lineOf(pivot, "5")).toMatch(/^5\s+1000\s+2000!$/);
    expect(lineOf(pivot, "20")).toMatch(/^20\s+3000\s+4000$/);
    expect(pivot).toContain("! client-bound: the client used more than 90% of a core per worker thread");
    expect(pivot).not.toContain("noisy");
  });

  it("failed cells and partly failed cells; markers combine; medians stay aligned", () => {
    const pivot = formatPivot(
      [
        row(5, 1, 0, { status: "server_exited", resp_per_s: "" }),
        row(5, 2, 2000, { client_cpu_s: 2, client_threads: 2 }),
        row(5, 2, 1000, { client_cpu_s: 0.2 }),
        row(5, 2, 0, { status: "timeout", resp_per_s: "" }),
        row(20, 1, 3000),
        row(20, 2, 4000),
      ],
      ["connections", "threads"],
    );
    expect(lineOf(pivot, "5")).toMatch(/^5\s+FAIL server_exited\s+1500\*~! \(1000–2000, 47\.1%\)$/);
    expect(lineOf(pivot, "20")).toMatch(/^20\s+3000\s+4000\s*$/);
    // The medians of a column end at the same position.
    const end = (line: string, value: string) => line.indexOf(value) + value.length;
    expect(end(lineOf(pivot, "5")!, "1500")).toBe(end(lineOf(pivot, "20")!, "4000"));
    const legend = pivot.split("\n\n").at(-1)!.split("\n");
    expect(legend.map((line) => line[0])).toEqual(["*", "~", "!"]);
  });

  it("a third matrix key gives one table per value; the legend comes once at the end", () => {
    const pivot = formatPivot(
      [row(5, 1, 100, { length: 64 }), row(5, 1, 200, { length: 64, client_cpu_s: 3 }), row(5, 1, 300, { length: 512 })],
      ["connections", "threads", "length"],
    );
    expect(pivot).toContain("for length=64");
    expect(pivot).toContain("for length=512");
    expect(pivot.match(/client-bound/g)).toHaveLength(1);
    expect(pivot.trimEnd().split("\n").at(-1)).toMatch(/^! client-bound/);
  });

  it("marks a cell whose median Jain is below 0.9 jN, with a legend line; the runs stay ok and other cells unmarked", () => {
    const served = (jain: number) => ({ fairness_jain: jain, connections_requested: 10, connections_served: 10 });
    const pivot = formatPivot(
      [
        row(10, 2, 5000, served(0.64)),
        row(10, 2, 5100, served(0.95)),
        row(10, 2, 4900, served(0.7)),
        row(10, 4, 6000, served(0.9)), // at the threshold: even enough
        row(100, 2, 7000, served(0.99)),
        row(100, 4, 7000, { fairness_jain: 0.59 }),
      ],
      ["connections", "threads"],
    );
    expect(lineOf(pivot, "10")).toMatch(/^10\s+5000 j0\.70 \(4900–5100, 2\.0%\)\s+6000$/);
    expect(lineOf(pivot, "100")).toMatch(/^100\s+7000\s+7000 j0\.59$/);
    const legend = pivot.split("\n\n").at(-1)!.split("\n");
    expect(legend).toEqual([
      "jN uneven service: Jain's index of per-connection responses (fairness_jain, median of the repeats) is N, below 0.9 with every connection served; a finding about the server, the runs stay ok",
    ]);
  });

  it("no j mark without a fairness_jain, or where connections starved (the s mark says it), or from failed repeats", () => {
    const starved = { fairness_jain: 0.2, connections_requested: 500, connections_served: 100, status: "degraded" };
    const pivot = formatPivot(
      [
        row(5, 1, 1000),
        row(500, 1, 800, starved),
        row(20, 1, 900),
        row(20, 1, 0, { status: "timeout", resp_per_s: "", fairness_jain: 0.1 }),
      ],
      ["connections", "threads"],
    );
    expect(lineOf(pivot, "5")).toMatch(/^5\s+1000$/);
    expect(lineOf(pivot, "500")).toMatch(/^500\s+800 s100\/500$/);
    expect(lineOf(pivot, "20")).toMatch(/^20\s+900\*$/);
    expect(pivot).not.toContain("uneven");
    expect(unevenJain([row(5, 1, 1, { fairness_jain: "0.5" }), row(5, 1, 1, { fairness_jain: "" })])).toBe(0.5);
    expect(unevenJain([row(5, 1, 1, { fairness_jain: "0.9" })])).toBeUndefined();
  });
});
