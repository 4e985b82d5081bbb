/**
 * `tcpsweep report <results.csv>`: loaded only when that command runs (vega is heavy), so the
 * other commands start lean. Writes index.html and one SVG per chart into the output directory.
 */
import { dropXmlForbidden } from "../untrusted/xml.js";
import { closeSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CHART_IDS, buildCharts, type Chart, type Omitted } from "./charts.js";
import { loadReportData, type ReportData } from "./data.js";
import { historyDirPath, reportDirPath } from "../rundir/run-dir.js";
import { BadInputError } from "../model/bad-input.js";
import { isSymlink, openForWrite } from "../untrusted/files.js";
import { tcpsweepVersion } from "../version.js";
import { renderPage } from "./html.js";
import { reportFlameGraphs } from "./flame-graphs.js";

export interface ReportOptions {
  /** Output directory; default `<csv dir>/<csv name>.report/`. */
  out?: string;
  /** run_id to show; default the latest run. */
  run?: string;
  /** Cells whose per-second series to chart, besides the degraded ones. */
  series?: string[];
}

export interface ReportResult {
  outDir: string;
  indexFile: string;
  data: ReportData;
  charts: Chart[];
  omitted: Omitted[];
  /** Vega / Vega-Lite warnings while rendering. */
  warnings: string[];
}

/** Loads, renders and writes the report; input problems throw BadInputError. */
export async function writeReport(csvFile: string, options: ReportOptions = {}): Promise<ReportResult> {
  const data = loadReportData(csvFile, {
    ...(options.run !== undefined ? { runId: options.run } : {}),
    ...(options.series ? { seriesCells: options.series } : {}),
  });
  const warnings: string[] = [];
  const { charts, omitted } = await buildCharts(data, warnings);
  const outDir = options.out ?? reportDirPath(csvFile);
  prepareOutDir(outDir, options.out === undefined);
  for (const id of CHART_IDS) {
    const file = path.join(outDir, `${id}.svg`);
    const chart = charts.find((c) => c.id === id);
    if (chart) writeInside(file, `<?xml version="1.0" encoding="utf-8"?>\n${dropXmlForbidden(chart.svg)}\n`);
    else if (existsSync(file)) rmSync(file); // a chart an earlier report drew but this run cannot
  }
  const flames = reportFlameGraphs(csvFile, data.runRows, { runId: data.run.runId, outDir });
  for (const flame of flames) writeInside(path.join(outDir, flame.file), flame.svg);
  const indexFile = path.join(outDir, "index.html");
  writeInside(
    indexFile,
    renderPage({
      data,
      charts,
      omitted,
      outDir,
      generatedAt: new Date(),
      version: tcpsweepVersion() ?? "(unknown version)",
      flames,
      ...trendLink(csvFile, outDir),
    }),
  );
  return { outDir, indexFile, data, charts, omitted, warnings };
}

/** The trend report the nightly wrote beside the CSV (`<name>.history/index.html`), as a link from the report's directory. */
function trendLink(csvFile: string, outDir: string): { trend?: string } {
  const index = path.join(historyDirPath(csvFile), "index.html");
  return existsSync(index) ? { trend: path.relative(outDir, index) } : {};
}

/** The file that says a directory is a report tcpsweep made (and may overwrite). */
export const REPORT_MARKER = ".tcpsweep-report";

/**
 * The report writes (and deletes its old charts) only in a directory that is new, empty or marked as
 * its own: `report --out ~/site` must not overwrite someone's index.html. The default directory
 * of an older report (index.html and charts only, no marker yet) is taken over.
 */
function prepareOutDir(outDir: string, isDefault: boolean): void {
  if (existsSync(outDir) || isSymlink(outDir)) {
    if (isSymlink(outDir) || !statSync(outDir).isDirectory())
      throw new BadInputError(`${outDir} is not a directory (or is a symbolic link); choose a new or empty directory for the report`);
    const entries = readdirSync(outDir);
    const ours = entries.includes(REPORT_MARKER) || (isDefault && entries.every((name) => name === "index.html" || name.endsWith(".svg")));
    if (entries.length > 0 && !ours) {
      throw new BadInputError(
        `${outDir} is not empty and was not made by tcpsweep report (no ${REPORT_MARKER} in it); choose a new or empty directory`,
      );
    }
  }
  mkdirSync(outDir, { recursive: true });
  writeInside(path.join(outDir, REPORT_MARKER), "written by tcpsweep report; the report may replace the files in this directory\n");
}

/** Writes a file of the report, never through a symbolic link. */
function writeInside(file: string, text: string): void {
  const fd = openForWrite(file, "truncate");
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
