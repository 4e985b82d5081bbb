/** The report charts' shared axes: x and series encodings, faceting and line layers (charts.ts builds each chart on them). */
import { orderValues, type CellSummary, type ReportData } from "./data.js";
export type Spec = Record<string, unknown>;

export const WIDTH = 400;
export const HEIGHT = 240;
/** Tableau 10 without its grey, which stands for "other". */
export const PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d"];
export const OTHER_COLOR = "#bab0ac";
/** Axis titles with units for the matrix keys tcpsweep knows. */
export function keyTitle(key: string): string {
  return { connections: "concurrent connections", threads: "server threads" }[key] ?? key;
}

export interface Axes {
  data: ReportData;
  /** x encoding for a field "x". */
  x: Spec;
  /** color encoding for a field "series", when there is a series key. */
  color?: Spec;
  /** The facet's title, when cells are split by further keys. */
  facetTitle?: string;
}

export const xValuesOf = (data: ReportData) =>
  data.xKey ? orderValues(data.cells.map((cell) => cell.keys[data.xKey!] ?? "")) : data.cells.map((cell) => cell.cell);

/** A numeric x axis is logarithmic when every value is above 0. */
export const xIsLog = (data: ReportData) => data.xNumeric && xValuesOf(data).every((value) => Number(value) > 0);

export function axes(data: ReportData): Axes {
  const { xKey, seriesKey, facetKeys } = data;
  const xValues = xValuesOf(data);
  const log = xIsLog(data);
  const xTitle = xKey ? `${keyTitle(xKey)}${log ? " (log scale)" : ""}` : "cell";
  const x: Spec = data.xNumeric
    ? {
        field: "x",
        type: "quantitative",
        // The matrix's own values end the axis (no nicing to powers of ten), a little padding keeps points off the frame.
        scale: log ? { type: "log", nice: false, padding: 14 } : { zero: false, nice: false, padding: 14 },
        axis: { title: xTitle, values: xValues.map(Number), format: "~s", labelOverlap: true, grid: true },
      }
    : { field: "x", type: "ordinal", sort: xValues, axis: { title: xTitle, labelAngle: 0 } };
  const seriesValues = seriesKey ? orderValues(data.cells.map((cell) => cell.keys[seriesKey] ?? "")) : [];
  return {
    data,
    x,
    ...(seriesKey
      ? {
          color: {
            field: "series",
            type: "nominal",
            scale: { domain: seriesValues, range: PALETTE },
            // Above the plot: beside it, Vega's estimated text widths (no canvas here) waste space.
            legend: { title: keyTitle(seriesKey), orient: "top", direction: "horizontal" },
          },
        }
      : {}),
    ...(facetKeys.length > 0 ? { facetTitle: facetKeys.join(", ") } : {}),
  };
}

/** The fields every line chart point carries: x, series and facet of its cell. */
export function pointOf(data: ReportData, cell: CellSummary) {
  const x = data.xKey ? (cell.keys[data.xKey] ?? "") : cell.cell;
  return {
    x: data.xNumeric ? Number(x) : x,
    series: data.seriesKey ? (cell.keys[data.seriesKey] ?? "") : "",
    facet: data.facetKeys.map((key) => `${key}=${cell.keys[key] ?? ""}`).join(", "),
    cell: cell.cell,
    // The pivot's marks (output/marks.ts), drawn beside the point; a cell with no ok repeat is drawn hollow.
    marks: cell.marks ?? "",
    degraded: cell.fromDegraded === true,
  };
}

/**
 * The marks layers of a line chart: a hollow ring over each point whose figures are of degraded
 * repeats only, and each point's marks (e.g. "s40/100") written beside it, as in the pivot. A layer
 * with nothing to draw is left out (Vega warns about an empty extent).
 */
export function markLayers(a: Axes, y: Spec, values: readonly { marks: string; degraded: boolean }[]): Spec[] {
  const at = { x: a.x, y };
  const ring = {
    transform: [{ filter: "datum.degraded" }],
    mark: { type: "point", shape: "circle", size: 160, filled: false, strokeWidth: 2, color: "#e45756" },
    encoding: at,
  };
  const text = {
    transform: [{ filter: "datum.marks !== ''" }],
    mark: { type: "text", align: "left", dx: 7, dy: -7, fontSize: 10, color: "#b00" },
    encoding: { ...at, text: { field: "marks" } },
  };
  return [...(values.some((v) => v.degraded) ? [ring] : []), ...(values.some((v) => v.marks) ? [text] : [])];
}
/** A layered chart, faceted by the remaining matrix keys when there are any (and by `column` when given). */
export function faceted(
  a: Axes,
  values: Spec[],
  layer: Spec[],
  head: Spec,
  column?: { field: string; title: string | null; sort: string[] },
): Spec {
  const facets: Spec = {};
  if (a.facetTitle) facets.row = { field: "facet", type: "nominal", title: a.facetTitle };
  if (column) facets.column = { field: column.field, type: "nominal", title: column.title, sort: column.sort };
  const width = column ? Math.round(WIDTH * 0.75) : WIDTH;
  const height = column || a.facetTitle ? Math.round(HEIGHT * 0.85) : HEIGHT;
  if (Object.keys(facets).length === 0) return { ...head, data: { values }, width, height, layer };
  return { ...head, data: { values }, facet: facets, spec: { width, height, layer } };
}

export function lineLayer(a: Axes, y: Spec): Spec {
  return {
    // Lines only join numeric x values; categories (server=nginx, server=go) get points.
    mark: a.data.xNumeric ? { type: "line", point: true, interpolate: "linear" } : { type: "point", size: 70 },
    encoding: { x: a.x, y, ...(a.color ? { color: a.color } : {}) },
  };
}
