/** Splitting a cell's connections over load hosts: exact sums, even shares, remainders first. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitConnections } from "../src/remote/split.js";

describe("splitConnections", () => {
  it("examples", () => {
    expect(splitConnections(4000, 2)).toEqual([2000, 2000]);
    expect(splitConnections(4000, 3)).toEqual([1334, 1333, 1333]);
    expect(splitConnections(5, 3)).toEqual([2, 2, 1]);
    expect(splitConnections(1, 3)).toEqual([1, 0, 0]);
    expect(splitConnections(100, 1)).toEqual([100]);
  });

  it("sums to the total, shares differ by at most one, larger shares come first", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 64 }), (total, hosts) => {
        const split = splitConnections(total, hosts);
        expect(split).toHaveLength(hosts);
        expect(split.reduce((a, b) => a + b, 0)).toBe(total);
        expect(Math.max(...split) - Math.min(...split)).toBeLessThanOrEqual(1);
        expect([...split].sort((a, b) => b - a)).toEqual(split);
      }),
    );
  });

  it("rejects what cannot be split", () => {
    expect(() => splitConnections(10, 0)).toThrow(/over 0 hosts/);
    expect(() => splitConnections(2.5, 2)).toThrow(/whole number/);
  });
});
