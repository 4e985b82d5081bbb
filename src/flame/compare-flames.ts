/**
 * `tcpsweep compare A B --flame [CELL]`: NEW's flame graph of a cell with each frame coloured by
 * how its self samples per response changed against BASE, written to `<NEW csv name>.flame/`.
 * Without a CELL, every regressed cell that was CPU-profiled on both sides gets one.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ProfileRow as Row } from "./run-profiles.js";
import { flameDirPath } from "../rundir/run-dir.js";
import { renderDifferential } from "./diff.js";
import { cellCpuProfiles, flameFileName } from "./run-profiles.js";

export interface FlameRun {
  file: string;
  runId: string;
  rows: Row[];
}

export interface DifferentialFlame {
  cell: string;
  file?: string;
  /** Why there is no graph for the cell (a side was not CPU-profiled). */
  missing?: string;
}

export function writeDifferentialFlames(base: FlameRun, next: FlameRun, cells: readonly string[]): DifferentialFlame[] {
  const baseProfiles = new Map(cellCpuProfiles(base.file, base.rows).map((p) => [p.cell, p]));
  const newProfiles = new Map(cellCpuProfiles(next.file, next.rows).map((p) => [p.cell, p]));
  const outDir = flameDirPath(next.file);
  return cells.map((cell) => {
    const before = baseProfiles.get(cell);
    const after = newProfiles.get(cell);
    if (!before || !after) {
      const side = !after ? `NEW (${next.runId})` : `BASE (${base.runId})`;
      return { cell, missing: `${side} has no CPU profile of this cell (profile.cpu in the spec)` };
    }
    mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, flameFileName(cell, `.${next.runId}-vs-${base.runId}`));
    const svg = renderDifferential(
      { folded: before.folded, responses: before.responses, label: `BASE ${base.runId}` },
      { folded: after.folded, responses: after.responses, label: `NEW ${next.runId}` },
      `Differential flame graph: ${cell}`,
    );
    writeFileSync(file, svg);
    return { cell, file };
  });
}

/** The lines compare prints after its table. */
export function differentialFlameLines(flames: readonly DifferentialFlame[]): string[] {
  return flames.map((f) => (f.file ? `flame graph of ${f.cell} (NEW vs BASE): ${f.file}` : `no flame graph of ${f.cell}: ${f.missing}`));
}
