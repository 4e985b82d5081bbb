/** Merging several load hosts' client reports: exact sums, histograms merged (not percentiles averaged), per-host client-bound. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newLatencyHistogram } from "../src/client/histogram.js";
import { encodeHistogram } from "../src/remote/histogram-wire.js";
import { mergeHostRuns, type HostClientRun } from "../src/remote/merge.js";
import { splitConnections } from "../src/remote/split.js";

function hostRun(host: string, samples: number[], extra: Partial<HostClientRun> = {}, elapsedS = 2): HostClientRun {
  const histogram = newLatencyHistogram();
  for (const sample of samples) histogram.recordValue(sample);
  const requests = samples.length + 3;
  return {
    host,
    connections: 10,
    report: {
      address: "10.77.0.2:5000",
      mode: "closed-loop",
      requests,
      responses: samples.length,
      req_per_s: requests / elapsedS,
      resp_per_s: samples.length / elapsedS,
      success_rate_pct: 0,
      latency_us: null,
      errors: { connect_failed: 1, timed_out: 2, closed_by_server: 0, bad_frame: 0, total: 3 },
      connections: { requested: 10, established: 10, in_window: 9, served: 9, starved: 1 },
      threads: 2,
      length: 1021,
      warmup_s: 1,
      elapsed_s: elapsedS,
      cpu: { user_s: 0.5, sys_s: 0.25 },
      peak_rss_kb: 1000,
      latency_histogram: encodeHistogram(histogram),
    },
    windowStartMs: 1000,
    windowEndMs: 1000 + elapsedS * 1000,
    cpuS: 0.4,
    cpus: 2,
    clock: { offsetMs: 0, errorBoundMs: 0.2 },
    ...extra,
  };
}

describe("mergeHostRuns", () => {
  it("percentiles of the merge equal those of all samples; counts are sums", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 4 }),
        (perHost) => {
          const merged = mergeHostRuns(perHost.map((samples, i) => hostRun(`h${i}`, samples)));
          const all = newLatencyHistogram();
          for (const sample of perHost.flat()) all.recordValue(sample);
          expect(merged.responses).toBe(perHost.flat().length);
          expect(merged.requests).toBe(perHost.flat().length + 3 * perHost.length);
          expect(merged.errors.total).toBe(3 * perHost.length);
          expect(merged.latency_us!.p50).toBe(all.getValueAtPercentile(50));
          expect(merged.latency_us!.p99).toBe(all.getValueAtPercentile(99));
          expect(merged.latency_us!.p999).toBe(all.getValueAtPercentile(99.9));
          expect(merged.latency_us!.max).toBe(all.highestEquivalentValue(all.maxValue)); // the wire carries buckets: the top of the max's bucket
          expect(merged.remote.client_hosts).toBe(perHost.length);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("client turnaround: the hosts' histograms added, exactly; left out when a host sent none", () => {
    const turnaround = (samples: number[]) => {
      const histogram = newLatencyHistogram();
      for (const sample of samples) histogram.recordValue(sample);
      return encodeHistogram(histogram);
    };
    const a = hostRun("a", [100], {});
    const b = hostRun("b", [100], {});
    a.report.turnaround_histogram = turnaround([500, 500, 500]);
    b.report.turnaround_histogram = turnaround([9000, 9000, 9000, 9000]);
    const merged = mergeHostRuns([a, b]);
    // 7 samples: the median is one of b's 9 µs (within the histogram's 0.1 %), which a median of the hosts' medians would not say.
    const all = newLatencyHistogram();
    for (const sample of [500, 500, 500, 9000, 9000, 9000, 9000]) all.recordValue(sample);
    expect(merged.client_turnaround_us).toEqual({ p50: all.getValueAtPercentile(50) / 1000, p99: all.getValueAtPercentile(99) / 1000 });
    expect(merged.client_turnaround_us!.p50).toBeCloseTo(9, 1);
    expect(typeof merged.turnaround_histogram).toBe("string");
    const older = hostRun("c", [100], {});
    expect(mergeHostRuns([a, older]).client_turnaround_us).toBeNull();
  });

  it("rates: each host's count over its own window, summed; duration: the time all were in the window", () => {
    const a = hostRun("a", new Array(1000).fill(100), { windowStartMs: 1000, windowEndMs: 3000 }, 2);
    const b = hostRun(
      "b",
      new Array(3000).fill(100),
      { windowStartMs: 1100, windowEndMs: 3100, clock: { offsetMs: -40, errorBoundMs: 0.5 } },
      2,
    );
    const merged = mergeHostRuns([a, b]);
    expect(merged.resp_per_s).toBe(2000); // 1000/2 + 3000/2
    expect(merged.elapsed_s).toBe(1.9); // [1100, 3000]
    expect(merged.remote.clock_offset_max_ms).toBe(40);
    expect(merged.remote.clock_error_max_ms).toBe(0.5);
    expect(merged.connections).toEqual({ requested: 20, established: 20, in_window: 18, served: 18, starved: 2 });
    expect(merged.remote.client_cpu_s).toBeCloseTo(0.8);
  });

  it("a host whose client used more than 90 % of its usable CPUs is named client-bound", () => {
    // b: 1.9 s of CPU over a 1 s window with 2 threads on 2 CPUs = 95 %.
    const merged = mergeHostRuns([hostRun("a", [5], { cpuS: 0.2 }, 1), hostRun("b", [5], { cpuS: 1.9 }, 1)]);
    expect(merged.remote.client_bound_hosts).toEqual(["b"]);
    expect(merged.remote.hosts.map((h) => h.cpu_share)).toEqual([0.1, 0.95]);
  });

  it("connections split over hosts sum to the total", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65000 }), fc.integer({ min: 1, max: 16 }), (total, hosts) => {
        expect(splitConnections(total, hosts).reduce((a, b) => a + b, 0)).toBe(total);
      }),
    );
  });
});

describe("mergeHostRuns: per-connection figures", () => {
  const withCounts = (host: string, counts: number[], series: number[]) => {
    const run = hostRun(host, [100, 200]);
    return {
      ...run,
      report: {
        ...run.report,
        connections: { ...run.report.connections, established: counts.length },
        conn_resp_counts: counts,
        resp_per_s_series: series,
      },
    };
  };

  it("served, starved, Jain and the spread are of all hosts' connections side by side", () => {
    // Host a: 3 connections (one starved); host b: 2 connections. Jain by hand: Σx = 20, Σx² = 25+25+100 = 150, n = 5 → 400 / 750.
    const merged = mergeHostRuns([withCounts("a", [0, 5, 5], [4, 6]), withCounts("b", [10, 0], [3, 0])]);
    expect(merged.connections.served).toBe(3);
    expect(merged.connections.starved).toBe(2);
    expect(merged.fairness_jain).toBeCloseTo(400 / 750, 4);
    expect(merged.conn_resp).toEqual({ min: 0, p50: 5, max: 10 });
    // Seconds add up across hosts; a second with no reply from any host is a stall.
    expect(merged.resp_per_s_series).toEqual([7, 6]);
    expect(merged.stall_seconds).toBe(0);
  });

  it("without every host's counts, fairness is left out rather than estimated", () => {
    const merged = mergeHostRuns([withCounts("a", [1, 1], [1]), hostRun("b", [100])]);
    expect(merged.fairness_jain).toBeUndefined();
  });
});
