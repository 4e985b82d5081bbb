/**
 * The shape docs/architecture.md promises, checked on the source: data flows one way, so the
 * folders below the sweep import nothing from it (or from the CLI), with no exception: types that
 * several layers read (the resolved spec's) live in model/, below all of them, which imports
 * nothing of src/. No two top-level folders of
 * src/ import each other (directly or round a longer loop; type-only and dynamic imports count),
 * and no file in src/ is over 400 lines. Imports are read with TypeScript's own pre-processor.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO } from "./helpers/sweep.js";

const SRC = path.join(REPO, "src");

/** Folders below the sweep: they know nothing of sweeps or the command line. */
const BELOW_THE_SWEEP = [
  "model",
  "output",
  "record",
  "launch",
  "profile",
  "process",
  "protocol",
  "placement",
  "remote",
  "rundir",
  "environment",
  "compare",
  "calibrate",
  "report",
  "client",
  "server",
  "untrusted",
];
const ABOVE = ["sweep", "cli"];

/** Types that several layers read: below every other folder, so it imports none of them. */
const MODEL = "model";

interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith(".ts") ? [file] : [];
  });
}

/** Every relative import of every file of src/ (import, import type, export … from, import()), as paths relative to src/. */
function importEdges(): Edge[] {
  return sourceFiles(SRC).flatMap((file) => {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    return info.importedFiles
      .map((imported) => imported.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => ({
        from: path.relative(SRC, file),
        to: path.relative(SRC, path.resolve(path.dirname(file), name)).replace(/\.js$/, ".ts"),
      }));
  });
}

/** A top-level folder of src/ ("sweep"), or the file itself for files at the top ("version.ts"). */
const folderOf = (file: string) => file.split(path.sep)[0]!;

/** A loop in the graph as [a, b, …, a], or undefined when there is none. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

function folderGraph(edges: readonly Edge[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from === to) continue;
    graph.set(from, (graph.get(from) ?? new Set()).add(to));
  }
  return graph;
}

function fileGraph(edges: readonly Edge[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const edge of edges) graph.set(edge.from, (graph.get(edge.from) ?? new Set()).add(edge.to));
  return graph;
}

describe("architecture: imports between the folders of src/", () => {
  const edges = importEdges();

  it("the scanner sees multi-line, type-only and dynamic imports (so a clean result means something)", () => {
    const has = (from: string, to: string) => edges.some((edge) => edge.from === from && edge.to === to);
    expect(has("sweep/runner.ts", "rundir/run-dir.ts"), "a plain import").toBe(true);
    expect(has("rundir/run-dir.ts", "environment/environment.ts"), "an import type").toBe(true);
    expect(has("cli/compare-command.ts", "compare/compare.ts"), "a dynamic import()").toBe(true);
    expect(has("launch/choose.ts", "model/spec-types.ts"), "a layer below the sweep reading the spec's types from model/").toBe(true);
    expect(has("sweep/spec/types.ts", "model/spec-types.ts"), "an export type * from").toBe(true);
    expect(
      findCycle(
        new Map([
          ["a", new Set(["b"])],
          ["b", new Set(["c"])],
          ["c", new Set(["a"])],
        ]),
      ),
    ).toEqual(["a", "b", "c", "a"]);
    expect(
      findCycle(
        new Map([
          ["a", new Set(["b"])],
          ["b", new Set(["c"])],
        ]),
      ),
    ).toBeUndefined();
  });

  it("no folder below the sweep imports from sweep/ or cli/, with no exception", () => {
    const upward = edges.filter((edge) => BELOW_THE_SWEEP.includes(folderOf(edge.from)) && ABOVE.includes(folderOf(edge.to)));
    expect(upward.map((edge) => `${edge.from} imports ${edge.to}`)).toEqual([]);
  });

  it("model/ (the types several layers read) imports no other folder of src/", () => {
    const outward = edges.filter((edge) => folderOf(edge.from) === MODEL && folderOf(edge.to) !== MODEL);
    expect(outward.map((edge) => `${edge.from} imports ${edge.to}: move the type into model/ or out of it`)).toEqual([]);
  });

  it("no cycle between top-level folders", () => {
    const cycle = findCycle(folderGraph(edges));
    expect(cycle && `folders import each other: ${cycle.join(" → ")}`).toBeUndefined();
  });

  it("no cycle between files, type-only imports included", () => {
    const cycle = findCycle(fileGraph(edges));
    expect(cycle && `files import each other: ${cycle.join(" → ")}`).toBeUndefined();
  });

  it("the cycle finder finds a loop of files (so a clean result means something)", () => {
    const loop = [
      { from: "a/x.ts", to: "a/y.ts" },
      { from: "a/y.ts", to: "b/z.ts" },
      { from: "b/z.ts", to: "a/x.ts" },
    ];
    expect(findCycle(fileGraph(loop))).toEqual(["a/x.ts", "a/y.ts", "b/z.ts", "a/x.ts"]);
  });

  it("no file in src/ is over 400 lines", () => {
    const long = sourceFiles(SRC)
      .map((file) => ({ file: path.relative(REPO, file), lines: readFileSync(file, "utf8").split("\n").length - 1 }))
      .filter((entry) => entry.lines > 400);
    expect(long.map((entry) => `${entry.file}: ${entry.lines} lines, split it by concern`)).toEqual([]);
  });
});
