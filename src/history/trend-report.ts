/**
 * The trend report: index.html (offline, no script) with one chart per series over the nights:
 * each night's repeats as points, the segments' means as steps, each change point marked with its
 * change. Charts are drawn by `report`'s Vega-Lite renderer (renderSvg), so they look alike.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderSvg } from "../report/charts.js";
import { escapeHtml } from "../report/html.js";
import type { AnalysedSeries } from "./analyse.js";
import { formatP } from "./format.js";
import { HISTORY_METRICS } from "./series.js";

type Spec = Parameters<typeof renderSvg>[0];

/** The mean of each segment between change points, as [night from, night to, mean] rows. */
function segmentSteps({ series, changePoints }: AnalysedSeries): { night: string; mean: number }[] {
  const bounds = [0, ...changePoints.map((point) => point.index), series.points.length];
  const steps: { night: string; mean: number }[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const points = series.points.slice(bounds[i], bounds[i + 1]);
    const values = points.flatMap((point) => (point.value === undefined ? [] : [point.value]));
    if (values.length === 0) continue;
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    for (const point of points) steps.push({ night: point.time, mean });
  }
  return steps;
}

/** The y axis says what is counted and in which unit (an Otava-style series: its column's name). */
const axisTitle = (series: AnalysedSeries["series"]) =>
  HISTORY_METRICS.find((metric) => metric.name === series.metric)?.axis ?? series.metric ?? series.name;

function chartSpec(analysed: AnalysedSeries): Spec {
  const { series, changePoints } = analysed;
  const order = series.points.map((point) => point.time);
  const x = { field: "night", type: "ordinal", sort: order, axis: { title: null, labelAngle: -45 } };
  const repeats = series.points.flatMap((point) => point.repeats.map((value) => ({ night: point.time, value })));
  const gaps = series.points.filter((point) => point.gap !== undefined).map((point) => ({ night: point.time, gap: point.gap }));
  const marks = changePoints.map((point) => ({
    night: point.time,
    label: `${point.change_pct > 0 ? "+" : "−"}${Math.abs(point.change_pct).toFixed(1)} % (p ${formatP(point.pvalue)})`,
  }));
  const layer: unknown[] = [
    {
      data: { values: repeats },
      mark: { type: "point", opacity: 0.5, filled: true, size: 20 },
      encoding: {
        x,
        y: { field: "value", type: "quantitative", scale: { zero: false }, axis: { title: axisTitle(series), format: ",~f" } },
      },
    },
    {
      data: { values: segmentSteps(analysed) },
      mark: { type: "line", interpolate: "step-after", color: "#d62728" },
      encoding: { x, y: { field: "mean", type: "quantitative" } },
    },
  ];
  if (marks.length > 0) {
    layer.push({ data: { values: marks }, mark: { type: "rule", strokeDash: [4, 3], color: "#555" }, encoding: { x } });
    layer.push({
      data: { values: marks },
      mark: { type: "text", align: "left", dx: 3, dy: -6, baseline: "top", fontSize: 11 },
      encoding: { x, text: { field: "label" }, y: { value: 0 } },
    });
  }
  if (gaps.length > 0)
    layer.push({
      data: { values: gaps },
      mark: { type: "text", text: "gap", color: "#999", fontSize: 10 },
      encoding: { x, y: { value: 190 } },
    });
  return { title: { text: series.name }, width: 640, height: 200, layer };
}

const fileId = (i: number) => `series-${String(i + 1).padStart(3, "0")}`;

/** Writes <dir>/index.html and one SVG per series; returns index.html's path. */
export async function writeTrendReport(dir: string, analysed: readonly AnalysedSeries[]): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const figures: string[] = [];
  for (const [i, entry] of analysed.entries()) {
    const svg = await renderSvg(chartSpec(entry));
    writeFileSync(path.join(dir, `${fileId(i)}.svg`), svg);
    const gaps = entry.series.points.filter((point) => point.gap !== undefined && point.gap !== "not profiled");
    const caption = `${entry.changePoints.length} change point(s)${gaps.length > 0 ? `; gaps: ${gaps.map((point) => `${point.time} ${point.gap}`).join(", ")}` : ""}`;
    figures.push(
      `<figure id="${fileId(i)}">\n${svg}\n<figcaption>${escapeHtml(caption)} <a href="${fileId(i)}.svg">${fileId(i)}.svg</a></figcaption>\n</figure>`,
    );
  }
  const index = path.join(dir, "index.html");
  const total = analysed.reduce((sum, entry) => sum + entry.changePoints.length, 0);
  writeFileSync(
    index,
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>tcpsweep history</title>\n<style>body{font-family:sans-serif;margin:1.5em}figure{margin:1em 0}figcaption{font-size:.9em;color:#444}</style></head>\n<body><h1>tcpsweep history</h1><p>${analysed.length} series, ${total} change point(s). Points: each night's repeats; red steps: the segments' means, each starting at its first night; dashed lines: change points.</p>\n${figures.join("\n")}\n</body></html>\n`,
  );
  return index;
}
