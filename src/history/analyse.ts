/** `history`'s analysis: every series' change points, incremental through the cache when one is given. */
import { denseOf, describeChangePoints, detectDense, type FoundChangePoint, type HistoryOptions } from "./detect.js";
import { usableEntry, type HistoryCache } from "./cache.js";
import type { HistorySeries } from "./series.js";

export interface AnalysedSeries {
  series: HistorySeries;
  changePoints: (FoundChangePoint & { isNew: boolean })[];
}

/** Change points "new" without any record: those in the last few points. */
const RECENT_POINTS = 5;

export function analyse(all: readonly HistorySeries[], options: HistoryOptions, cache?: HistoryCache): AnalysedSeries[] {
  return all.map((series) => {
    const dense = denseOf(series);
    const entry = cache?.series[series.name];
    const usable = usableEntry(entry, dense.values);
    const result = detectDense(
      dense,
      options,
      usable && usable.values.length < dense.values.length ? { length: usable.values.length, weak: usable.weak } : undefined,
    );
    const found = describeChangePoints(series, dense, result.changePoints);
    const changePoints = found.map((point) => ({
      ...point,
      isNew: entry ? !entry.reported.includes(point.time) : point.index >= series.points.length - RECENT_POINTS,
    }));
    if (cache) {
      const reported = new Set([...(entry?.reported ?? []), ...found.map((point) => point.time)]);
      cache.series[series.name] = { values: dense.values, weak: result.weak, reported: [...reported] };
    }
    return { series, changePoints };
  });
}
