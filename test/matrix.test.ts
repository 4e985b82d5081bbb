import { describe, expect, it } from "vitest";
import { applyFilter, expandCells, parseOnlyFilter } from "../src/sweep/matrix.js";
import { SpecError, parseSpecText, type SweepSpec } from "../src/sweep/spec.js";

const spec = (matrix: string, server = "{builtin: true}"): SweepSpec =>
  parseSpecText(`matrix:\n${matrix}\nserver: ${server}\n`, "sweeps/m.yaml", {}, { cliEntry: "/x/main.js" });

const ids = (s: SweepSpec) => expandCells(s).map((c) => c.id);

describe("expandCells", () => {
  it("is the cartesian product, first key varying slowest, in file order", () => {
    const s = spec("  threads: [1, 2]\n  connections: [1, 10, 100]");
    const cells = expandCells(s);
    expect(cells.map((c) => c.id)).toEqual([
      "threads=1,connections=1",
      "threads=1,connections=10",
      "threads=1,connections=100",
      "threads=2,connections=1",
      "threads=2,connections=10",
      "threads=2,connections=100",
    ]);
    expect(cells.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(cells[4]!.values).toEqual({ threads: 2, connections: 10 });
  });

  it("keeps value types (numbers stay numbers, strings stay strings)", () => {
    const cells = expandCells(spec("  connections: [1]\n  mode: [fast, '2']", '{command: [srv, "{port}", "{mode}"]}'));
    expect(cells.map((c) => c.values)).toEqual([
      { connections: 1, mode: "fast" },
      { connections: 1, mode: "2" },
    ]);
  });

  it("exclude removes every cell matching all pairs of an entry", () => {
    const s = spec(
      "  connections: [1, 10]\n  threads: [1, 2]\n  length: [0, 64]\n  exclude:\n    - {connections: 1, threads: 2}\n    - {length: 0, threads: 1}",
    );
    expect(ids(s)).toEqual([
      "connections=1,threads=1,length=64",
      "connections=10,threads=1,length=64",
      "connections=10,threads=2,length=0",
      "connections=10,threads=2,length=64",
    ]);
  });

  it("include appends new cells in order, skips existing ones, and can re-add an excluded cell", () => {
    const s = spec(
      [
        "  connections: [1, 10]",
        "  threads: [1, 2]",
        "  exclude: [{connections: 1, threads: 2}]",
        "  include:",
        "    - {threads: 1, connections: 5}", // new (key order normalised)
        "    - {connections: 10, threads: 2}", // exists already
        "    - {connections: 1, threads: 2}", // excluded above → back at the end
        "    - {connections: 5, threads: 1}", // duplicate include
      ].join("\n"),
    );
    const cells = expandCells(s);
    expect(cells.map((c) => c.id)).toEqual([
      "connections=1,threads=1",
      "connections=10,threads=1",
      "connections=10,threads=2",
      "connections=5,threads=1",
      "connections=1,threads=2",
    ]);
    expect(cells.map((c) => c.index)).toEqual([0, 1, 2, 3, 4]);
    expect(Object.keys(cells[3]!.values)).toEqual(["connections", "threads"]);
  });
});

describe("--only", () => {
  const s = spec("  connections: [1, 10, 100]\n  threads: [1, 4]\n  include: [{connections: 5, threads: 1}]");
  const cells = expandCells(s);

  it("keeps the cells matching every key", () => {
    const f = parseOnlyFilter("connections=100,threads=4", s);
    expect(f.values).toEqual({ connections: [100], threads: [4] });
    expect(applyFilter(cells, f).map((c) => [c.index, c.id])).toEqual([[5, "connections=100,threads=4"]]);
  });

  it("a single key selects a slice; repeating a key means any of its values", () => {
    expect(applyFilter(cells, parseOnlyFilter("threads=4", s)).map((c) => c.id)).toEqual([
      "connections=1,threads=4",
      "connections=10,threads=4",
      "connections=100,threads=4",
    ]);
    expect(applyFilter(cells, parseOnlyFilter(" connections = 1 , connections=10 ,threads=1", s)).map((c) => c.id)).toEqual([
      "connections=1,threads=1",
      "connections=10,threads=1",
    ]);
  });

  it("accepts values that only exist through include", () => {
    expect(applyFilter(cells, parseOnlyFilter("connections=5", s)).map((c) => c.id)).toEqual(["connections=5,threads=1"]);
  });

  it("reports unknown keys and values with what exists, all at once", () => {
    let err: unknown;
    try {
      parseOnlyFilter("conections=1,threads=3,speed=2,oops", s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).message.split("\n")).toEqual([
      'sweeps/m.yaml --only: unknown key "conections" (did you mean "connections"?); matrix keys: connections, threads',
      "sweeps/m.yaml --only: threads=3 is not in the matrix; threads values: 1, 4",
      'sweeps/m.yaml --only: unknown key "speed"; matrix keys: connections, threads',
      'sweeps/m.yaml --only: expected key=value, got "oops"; matrix keys: connections, threads',
    ]);
  });

  it("rejects an empty filter", () => {
    expect(() => parseOnlyFilter(" , ", s)).toThrow(/--only: expected key=value/);
  });
});
