/**
 * The report's flame graphs: one SVG per CPU-profiled cell of the run, from tcpsweep's own renderer
 * (src/flame/), each with the differential ones `compare --flame` wrote of the cell (the nightly's:
 * a regressed cell's picture against the night before), linked from beside the CSV.
 */
import path from "node:path";
import { differentialFlamesOf } from "../rundir/run-dir.js";
import { kernelShare, totalSamples } from "../flame/folded.js";
import { cellCpuProfiles, flameFileName } from "../flame/run-profiles.js";
import { renderFlameGraph } from "../flame/svg.js";
import type { Row } from "../output/columns.js";

export interface FlameGraphFile {
  cell: string;
  /** File name inside the report directory. */
  file: string;
  svg: string;
  samples: number;
  /** compare --flame's graphs of this cell of this run against another run, relative to the report's directory. */
  differential: { baseRun: string; href: string }[];
}

/** `run`: the run the report shows and the directory its index.html goes to. */
export function reportFlameGraphs(csvFile: string, runRows: readonly Row[], run: { runId: string; outDir: string }): FlameGraphFile[] {
  return cellCpuProfiles(csvFile, runRows).map((profile) => {
    const samples = totalSamples(profile.folded);
    const kernel = kernelShare(profile.folded);
    const subtitle =
      `${profile.target}, ${samples} on-CPU samples over ${profile.repeats} repeat${profile.repeats === 1 ? "" : "s"}` +
      (kernel !== undefined ? `, ${Math.round(100 * kernel)} % in the kernel (kernel frames orange, JavaScript green)` : "");
    return {
      cell: profile.cell,
      file: flameFileName(profile.cell),
      samples,
      svg: renderFlameGraph(profile.folded, { title: `CPU flame graph: ${profile.cell}`, subtitle }),
      differential: differentialFlamesOf(csvFile, profile.cell, run.runId).map(({ file, baseRun }) => ({
        baseRun,
        href: path.relative(run.outDir, file),
      })),
    };
  });
}
