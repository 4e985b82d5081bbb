/** `tcpsweep history`: loaded only when that command runs. Exit 1 when a new change point makes a metric worse. */
import { BadInputError } from "../model/bad-input.js";
import { existsSync, statSync } from "node:fs";
import { readHistory } from "../history/nightly-series.js";
import { readOtavaCsv } from "../history/otava-csv.js";
import { analyse } from "../history/analyse.js";
import { emptyCache, readCache, writeCache } from "../history/cache.js";
import { formatMarkdown, formatSummary, formatTable, gapLines, toJson } from "../history/format.js";
import type { HistoryOptions } from "../history/detect.js";
import { failOnBadInput } from "./exit.js";

const DEFAULT_DIR = "results/nightly";

export async function historyAction(inputs: string[], flags: HistoryFlags): Promise<void> {
  const options: HistoryOptions = {
    window: flags.window,
    maxPvalue: flags.p,
    minMagnitude: (flags.minMagnitude ?? 0) / 100,
    // Otava's CSV has one value per point: nothing to pool.
    repeats: flags.series === undefined && flags.repeats,
  };
  const sources = inputs.length > 0 ? inputs : [DEFAULT_DIR];
  const dir =
    flags.series === undefined && sources.length === 1 && existsSync(sources[0]!) && statSync(sources[0]!).isDirectory()
      ? sources[0]
      : undefined;
  let analysed;
  try {
    if (flags.series !== undefined && inputs.length > 0)
      throw new BadInputError("give either --series FILE or nightly directories / CSVs, not both");
    const series = flags.series !== undefined ? readOtavaCsv(flags.series) : readHistory(sources);
    const cache = dir && flags.cache ? (readCache(dir, options) ?? emptyCache(options)) : undefined;
    analysed = analyse(series, options, cache);
    if (dir && cache) writeCache(dir, cache);
  } catch (error) {
    failOnBadInput("history", error, flags.json);
    throw error;
  }
  if (flags.report !== undefined) {
    const { writeTrendReport } = await import("../history/trend-report.js");
    await writeTrendReport(flags.report, analysed);
  }
  const gaps = gapLines(analysed);
  if (flags.json) process.stdout.write(`${JSON.stringify(toJson(analysed))}\n`);
  else if (flags.summary) process.stdout.write(formatSummary(analysed));
  else process.stdout.write(flags.markdown ? formatMarkdown(analysed, gaps) : formatTable(analysed, gaps));
  const newRegression = analysed.some(({ changePoints }) => changePoints.some((point) => point.isNew && point.regression));
  if (newRegression) process.exitCode = 1;
}

export interface HistoryFlags {
  series?: string;
  window: number;
  p: number;
  minMagnitude?: number;
  repeats: boolean;
  report?: string;
  cache: boolean;
  json?: boolean;
  markdown?: boolean;
  summary?: boolean;
}
