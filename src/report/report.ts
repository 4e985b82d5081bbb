/**
 * `tcpsweep report <results.csv>`: loaded only when that command runs (vega is heavy), so the
 * other commands start lean. Writes index.html and one SVG per chart into the output directory.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CHART_IDS, buildCharts, type Chart, type Omitted } from "./charts.js";
import { loadReportData, type ReportData } from "./data.js";
import { reportDirPath } from "../rundir/run-dir.js";
import { tcpsweepVersion } from "../version.js";
import { renderPage } from "./html.js";

export { ResultsInputError as ReportInputError } from "../rundir/results-csv.js";

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

/** Loads, renders and writes the report; input problems throw ReportInputError. */
export async function writeReport(csvFile: string, options: ReportOptions = {}): Promise<ReportResult> {
  const data = loadReportData(csvFile, { ...(options.run !== undefined ? { runId: options.run } : {}), ...(options.series ? { seriesCells: options.series } : {}) });
  const warnings: string[] = [];
  const { charts, omitted } = await buildCharts(data, warnings);
  const outDir = options.out ?? reportDirPath(csvFile);
  mkdirSync(outDir, { recursive: true });
  for (const id of CHART_IDS) {
    const file = path.join(outDir, `${id}.svg`);
    const chart = charts.find((c) => c.id === id);
    if (chart) writeFileSync(file, `<?xml version="1.0" encoding="utf-8"?>\n${chart.svg}\n`);
    else if (existsSync(file)) rmSync(file); // a chart an earlier report drew but this run cannot
  }
  const indexFile = path.join(outDir, "index.html");
  writeFileSync(indexFile, renderPage({ data, charts, omitted, outDir, generatedAt: new Date(), version: tcpsweepVersion() ?? "(unknown version)" }));
  return { outDir, indexFile, data, charts, omitted, warnings };
}
