/**
 * Clock offset estimation against channels whose true offset is known: a virtual clock with random,
 * asymmetric delays (as a property), and a real asynchronous channel on the real clock.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bestClockSample, clockSample, estimateClockOffset, preciseNowMs } from "../src/remote/clock.js";

describe("clock offset", () => {
  it("one sample: the midpoint estimate and its bound", () => {
    // Sent at 100, remote read 1_105 (offset 1000 if the remote read its clock at 105), back at 120.
    expect(clockSample(100, 1_105, 120)).toEqual({ offsetMs: 995, rttMs: 20, errorBoundMs: 10 });
    expect(() => clockSample(120, 0, 100)).toThrow(/before send time/);
  });

  it("keeps the sample with the smallest round trip", () => {
    const samples = [clockSample(0, 50, 30), clockSample(0, 40, 4), clockSample(0, 45, 10)];
    expect(bestClockSample(samples)).toBe(samples[1]);
  });

  it("with random asymmetric delays, the estimate is within half the smallest round trip of the truth", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: -1e7, max: 1e7, noNaN: true }), // true offset, ms
        fc.array(fc.tuple(fc.double({ min: 0, max: 50, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true })), {
          minLength: 1,
          maxLength: 12,
        }), // outbound, inbound delay per exchange
        async (trueOffset, delays) => {
          let clock = 0; // virtual local time, ms (small, so float rounding stays far below the tolerance)
          let exchange = 0;
          const remoteNow = async () => {
            const [out, back] = delays[exchange++]!;
            clock += out;
            const remote = clock + trueOffset;
            clock += back;
            return remote;
          };
          const estimate = await estimateClockOffset(remoteNow, { samples: delays.length, now: () => clock });
          const smallestRtt = Math.min(...delays.map(([out, back]) => out + back));
          expect(estimate.samples).toHaveLength(delays.length);
          expect(estimate.rttMs).toBeCloseTo(smallestRtt, 6);
          expect(Math.abs(estimate.offsetMs - trueOffset)).toBeLessThanOrEqual(estimate.errorBoundMs + 1e-6);
        },
      ),
    );
  });

  it("over a real asynchronous channel with an injected offset", async () => {
    const trueOffset = -3_600_000 + 123.456; // an hour behind, plus a fraction
    const remoteNow = () =>
      new Promise<number>((resolve) => {
        setTimeout(() => {
          const remote = preciseNowMs() + trueOffset;
          setTimeout(() => resolve(remote), Math.random() * 5);
        }, Math.random() * 5);
      });
    const estimate = await estimateClockOffset(remoteNow, { samples: 10 });
    expect(estimate.samples).toHaveLength(10);
    expect(estimate.rttMs).toBe(Math.min(...estimate.samples.map((sample) => sample.rttMs)));
    expect(Math.abs(estimate.offsetMs - trueOffset)).toBeLessThanOrEqual(estimate.errorBoundMs);
    expect(estimate.errorBoundMs).toBeLessThan(100); // a few ms of timers, with a generous margin
  });
});
