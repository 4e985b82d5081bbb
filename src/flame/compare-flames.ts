/**
 * `tcpsweep compare A B --flame [CELL]`: NEW's flame graph of a cell with each frame coloured by
 * how its self samples per response changed against BASE, written to `<NEW csv name>.flame/`
 * (run-dir.ts names it). Without a CELL, every regressed cell that was CPU-profiled on both sides
 * gets one; compare names each file beside its cell.
 */
import { closeSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ProfileRow as Row } from "./run-profiles.js";
import { differentialFlamePath } from "../rundir/run-dir.js";
import { openForWrite } from "../untrusted/files.js";
import { renderDifferential } from "./diff.js";
import { cellCpuProfiles } from "./run-profiles.js";

export interface FlameRun {
  file: string;
  runId: string;
  rows: Row[];
}

export interface DifferentialFlame {
  cell: string;
  file?: string;
  /** Why there is no graph for the cell (a side was not CPU-profiled, or the file could not be written). */
  missing?: string;
}

/** Each asked cell's CPU profile on one side (only those cells' folded files are read: a nightly has many). */
function profilesOf(run: FlameRun, cells: ReadonlySet<string>) {
  const rows = run.rows.filter((row) => cells.has(String(row.cell ?? "")));
  return new Map(cellCpuProfiles(run.file, rows).map((p) => [p.cell, p]));
}

function missingText(base: FlameRun, next: FlameRun, cell: string, hasBase: boolean, hasNew: boolean): string {
  const ran = (run: FlameRun) => run.rows.some((row) => String(row.cell ?? "") === cell);
  const side = (name: string, run: FlameRun) =>
    `${name} (${run.runId}) has ${ran(run) ? "no CPU profile of this cell (profile.cpu in the spec)" : "no run of this cell"}`;
  if (hasBase || hasNew) return hasNew ? side("BASE", base) : side("NEW", next);
  if (ran(base) && ran(next)) return "neither run has a CPU profile of this cell (profile.cpu in the spec)";
  return `${side("BASE", base)}; ${side("NEW", next)}`;
}

export function writeDifferentialFlames(base: FlameRun, next: FlameRun, cells: readonly string[]): DifferentialFlame[] {
  const asked = new Set(cells);
  const baseProfiles = profilesOf(base, asked);
  const newProfiles = profilesOf(next, asked);
  return cells.map((cell) => {
    const before = baseProfiles.get(cell);
    const after = newProfiles.get(cell);
    if (!before || !after) return { cell, missing: missingText(base, next, cell, Boolean(before), Boolean(after)) };
    const svg = renderDifferential(
      { folded: before.folded, responses: before.responses, label: `BASE ${base.runId}` },
      { folded: after.folded, responses: after.responses, label: `NEW ${next.runId}` },
      `Differential flame graph: ${cell}`,
    );
    const file = differentialFlamePath(next.file, cell, next.runId, base.runId);
    try {
      writeSvg(file, svg);
      return { cell, file };
    } catch (error) {
      // The comparison stands without its picture: named beside the cell, never a failed compare.
      return { cell, missing: `cannot write ${file}: ${(error as Error).message}` };
    }
  });
}

/** Writes one SVG in the flame directory, never through a symbolic link (the directory is beside a CSV others may share). */
function writeSvg(file: string, svg: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openForWrite(file, "truncate");
  try {
    writeFileSync(fd, svg);
  } finally {
    closeSync(fd);
  }
}
