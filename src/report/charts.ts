/**
 * `tcpsweep report`, the charts: one Vega-Lite spec per figure, rendered to SVG on the server
 * (vega-lite compile → vega View with no renderer → toSVG). The SVG needs no script and no
 * network: text uses the generic sans-serif family, whatever font the viewer has.
 */
import { View, Warn, logger, parse } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { SYSCALL_TARGETS, type ReportData } from "./data.js";
import {
  HEIGHT,
  OTHER_COLOR,
  PALETTE,
  WIDTH,
  axes,
  faceted,
  keyTitle,
  lineLayer,
  markLayers,
  pointOf,
  xIsLog,
  type Axes,
  type Spec,
} from "./chart-axes.js";
import { CURVE_PERCENTILES, loadCurve } from "./load-curve.js";
import { timeKindOf } from "../profile/blocking-syscalls.js";

export interface Chart {
  /** File name stem and HTML id: throughput, latency-p99, ... */
  id: string;
  title: string;
  /** One sentence under the chart: what is plotted and how it was aggregated. */
  caption: string;
  svg: string;
}

/** A chart the data could not fill, and why (listed on the page instead of an empty chart). */
export interface Omitted {
  title: string;
  reason: string;
}

/** Every chart file name the report may write (stale ones from an earlier report are removed). */
export const CHART_IDS = [
  "throughput",
  "latency-p99",
  "syscalls-per-request",
  "syscalls-top",
  "success-rate",
  "served-connections",
  "per-second",
  "latency-vs-load",
] as const;

const CONFIG = {
  background: "white",
  padding: 8,
  font: "sans-serif",
  title: { anchor: "start", fontSize: 15, subtitleFontSize: 12, subtitleColor: "#555", offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#e8e8e8", domainColor: "#888", tickColor: "#888" },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal" },
  header: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: "normal" },
  view: { stroke: "#ddd" },
  point: { size: 45, filled: true },
  line: { strokeWidth: 2 },
};

/** Renders a Vega-Lite spec to an SVG string; Vega's warnings are returned, not printed. */
export async function renderSvg(spec: Spec, warnings: string[] = []): Promise<string> {
  const log = logger(Warn, undefined, (_method, level, args) => warnings.push(`${level} ${args.map(String).join(" ")}`));
  const vega = compile({ config: CONFIG, ...spec } as TopLevelSpec, { logger: log }).spec;
  const view = new View(parse(vega), { renderer: "none", logger: log });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** How the throughput and latency charts show a cell that did not run as specified (said only when one is shown). */
function marksNote(values: readonly { marks: string; degraded: boolean }[]): string {
  const ring = values.some((value) => value.degraded) ? "; red ring: no repeat was ok, the point is the degraded ones' median" : "";
  return `${ring}${values.some((value) => value.marks) ? "; red text: the pivot's marks" : ""}`;
}

function throughputChart(a: Axes): Spec | Omitted {
  const values = a.data.cells.filter((cell) => cell.respPerS).map((cell) => ({ ...pointOf(a.data, cell), ...cell.respPerS! }));
  const ranged = values.some((value) => value.max > value.min);
  const y = { field: "median", type: "quantitative", axis: { title: "responses per second (resp/s)", format: ",d" } };
  const layer = [lineLayer(a, y), ...markLayers(a, y, values)];
  if (ranged) {
    layer.unshift({
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: { x: a.x, y: { field: "min", type: "quantitative" }, y2: { field: "max" }, ...(a.color ? { color: a.color } : {}) },
    });
  }
  const subtitle = `median of the ok repeats${ranged ? "; vertical bars span min–max" : ""}${marksNote(values)}`;
  return faceted(a, values, layer, { title: { text: "Throughput", subtitle } });
}

function latencyChart(a: Axes): Spec | Omitted {
  const values = a.data.cells
    .filter((cell) => cell.p99Us !== undefined && cell.p99Us > 0)
    .map((cell) => ({ ...pointOf(a.data, cell), p99: cell.p99Us! }));
  if (values.length === 0) return { title: "p99 latency", reason: "no ok run reported a p99 latency" };
  const y = { field: "p99", type: "quantitative", scale: { type: "log" }, axis: { title: "p99 latency (µs, log scale)", format: "~s" } };
  const subtitle = `median of the ok repeats' 99th percentile${marksNote(values)}`;
  return faceted(a, values, [lineLayer(a, y), ...markLayers(a, y, values)], { title: { text: "p99 latency", subtitle } });
}

function syscallsPerRequestChart(a: Axes): Spec | Omitted {
  const values = a.data.cells.flatMap((cell) =>
    SYSCALL_TARGETS.filter((target) => cell.syscallsPerRequest[target] !== undefined).map((target) => ({
      ...pointOf(a.data, cell),
      target,
      perRequest: cell.syscallsPerRequest[target]!,
    })),
  );
  if (values.length === 0)
    return { title: "Syscalls per request", reason: "server/client_syscalls_per_request are empty (run without syscall profiling)" };
  const targets = SYSCALL_TARGETS.filter((target) => values.some((value) => value.target === target));
  const y = { field: "perRequest", type: "quantitative", axis: { title: "syscalls per request" } };
  return faceted(
    a,
    values,
    [lineLayer(a, y)],
    { title: { text: "Syscalls per request", subtitle: "traced pass; median of the ok repeats" } },
    { field: "target", title: null, sort: targets },
  );
}

/** Legend labels that mark the waiting calls: their time is time blocked, not work (profile/blocking-syscalls.ts). */
function blockedLabel(domain: readonly string[]): string {
  const waits = domain.filter((syscall) => timeKindOf(syscall) === "blocked");
  return `indexof(${JSON.stringify(waits)}, datum.label) >= 0 ? datum.label + " (blocked wait)" : datum.label`;
}

function topSyscallsChart(a: Axes): Spec | Omitted {
  const { data } = a;
  if (!data.syscallsFile) return { title: "Top syscalls per cell", reason: "no .syscalls.csv beside the CSV" };
  if (data.syscallShares.length === 0)
    return { title: "Top syscalls per cell", reason: data.syscallsNote ?? "the syscall table has no rows for this run" };
  const labelOf = new Map(
    data.cells.map((cell) => [
      cell.cell,
      data.matrixKeys.length > 0 ? data.matrixKeys.map((key) => cell.keys[key]).join(" / ") : cell.cell,
    ]),
  );
  const cellOrder = data.cells.map((cell) => labelOf.get(cell.cell) ?? cell.cell);
  const domain = [...data.topSyscalls, ...(data.syscallShares.some((share) => share.syscall === "other") ? ["other"] : [])];
  const range = domain.map((syscall, i) => (syscall === "other" ? OTHER_COLOR : PALETTE[i % PALETTE.length]!));
  const values = data.syscallShares.map((share) => ({
    ...share,
    label: labelOf.get(share.cell) ?? share.cell,
    rank: domain.indexOf(share.syscall),
  }));
  const targets = SYSCALL_TARGETS.filter((target) => values.some((value) => value.target === target));
  const step = Math.max(18, Math.min(40, Math.round(360 / Math.max(1, cellOrder.length))));
  const longLabels = cellOrder.some((label) => label.length > 6) || cellOrder.length > 8;
  return {
    title: {
      text: "Top syscalls per request, by cell",
      subtitle: `top ${data.topSyscalls.length} by calls per request, the rest as "other"; median of the ok repeats`,
    },
    data: { values },
    facet: { column: { field: "target", type: "nominal", title: null, sort: targets } },
    spec: {
      width: { step },
      height: HEIGHT,
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "label",
          type: "ordinal",
          sort: cellOrder,
          axis: { title: data.matrixKeys.length > 0 ? data.matrixKeys.join(" / ") : "cell", labelAngle: longLabels ? -40 : 0 },
        },
        y: { field: "perRequest", type: "quantitative", aggregate: "sum", stack: "zero", axis: { title: "calls per request" } },
        color: {
          field: "syscall",
          type: "nominal",
          scale: { domain, range },
          legend: { title: "syscall", labelExpr: blockedLabel(domain), labelLimit: 260 },
        },
        order: { field: "rank", type: "quantitative", sort: "ascending" },
      },
    },
  };
}

function successChart(a: Axes): Spec | Omitted {
  const cells = a.data.cells.filter((cell) => cell.successPct !== undefined);
  if (!cells.some((cell) => cell.successPct! < 100)) return { title: "Success rate", reason: "100 % in every cell" };
  const values = cells.map((cell) => ({ ...pointOf(a.data, cell), success: cell.successPct! }));
  const lowest = Math.min(...values.map((value) => value.success));
  const floor = lowest >= 90 ? Math.floor(lowest) : 0;
  const y = { field: "success", type: "quantitative", scale: { domain: [floor, 100], zero: false }, axis: { title: "success rate (%)" } };
  return faceted(a, values, [lineLayer(a, y)], {
    title: { text: "Success rate", subtitle: "median over every repeat, failed ones included" },
  });
}

function servedChart(a: Axes): Spec | Omitted {
  const cells = a.data.cells.filter((cell) => cell.validity.served);
  if (!cells.some((cell) => cell.validity.served!.served < cell.validity.served!.requested)) {
    return {
      title: "Served connections",
      reason: cells.length > 0 ? "every requested connection was served in every cell" : "no row reports connections_served",
    };
  }
  const values = cells.map((cell) => ({
    ...pointOf(a.data, cell),
    served: (100 * cell.validity.served!.served) / cell.validity.served!.requested,
  }));
  const y = { field: "served", type: "quantitative", scale: { domain: [0, 100] }, axis: { title: "connections served (% of requested)" } };
  return faceted(a, values, [lineLayer(a, y)], {
    title: { text: "Served connections", subtitle: "connections with at least one reply in the window ÷ requested; worst repeat" },
  });
}

function perSecondChart(a: Axes): Spec | Omitted {
  const { seconds, secondsMissing } = a.data;
  if (seconds.length === 0) {
    const reason =
      secondsMissing.length > 0
        ? `the raw output of ${secondsMissing.slice(0, 3).join(", ")} has no per-second series`
        : "no cell was degraded or asked for with --series";
    return { title: "Responses per second in the window", reason };
  }
  const values = seconds.flatMap((run) =>
    run.series.map((responses, i) => ({ second: i + 1, responses, run: `${run.cell} #${run.repeat}` })),
  );
  return {
    title: {
      text: "Responses per second in the window",
      subtitle: "each whole second of the measured window, all connections; one line per cell run",
    },
    data: { values },
    width: WIDTH,
    height: HEIGHT,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "second", type: "quantitative", axis: { title: "second of the window", tickMinStep: 1 } },
      y: { field: "responses", type: "quantitative", axis: { title: "responses in that second", format: ",d" } },
      color: {
        field: "run",
        type: "nominal",
        scale: { range: PALETTE },
        legend: { title: "cell run", orient: "bottom", direction: "vertical" },
      },
    },
  };
}

/** Open loop (a rate dimension): p50 / p99 / p99.9 against the target rate, each line's saturation point marked. */
function latencyVsLoadChart(a: Axes): Spec | Omitted {
  const curve = loadCurve(a.data.runRows, a.data.matrixKeys);
  if (!curve)
    return { title: "Latency against offered load", reason: "no ok or degraded row has a target_rate (no client.rate or rate matrix key)" };
  const x = {
    field: "rate",
    type: "quantitative",
    scale: { zero: false, nice: false, padding: 14 },
    axis: { title: "offered load: target rate (req/s)", format: "~s", grid: true },
  };
  const color = {
    field: "series",
    type: "nominal",
    scale: { domain: curve.series, range: PALETTE },
    legend: { title: "line", orient: "top", direction: "horizontal" },
  };
  const percentiles = CURVE_PERCENTILES.map((p) => p.label);
  const dash = {
    field: "percentile",
    type: "nominal",
    scale: {
      domain: percentiles,
      range: [
        [1, 0],
        [6, 3],
        [2, 2],
      ],
    },
    legend: { title: "percentile", orient: "top", direction: "horizontal" },
  };
  const y = {
    field: "latencyUs",
    type: "quantitative",
    scale: { type: "log" },
    axis: { title: "latency from the scheduled send (µs, log scale)", format: "~s" },
  };
  const saturation = curve.saturation.map((point) => ({
    ...point,
    label: `saturation ${Math.round(point.rate).toLocaleString("en-US")} req/s`,
  }));
  return {
    title: {
      text: "Latency against offered load",
      subtitle:
        "open loop; median of the ok and degraded repeats; dotted rule: saturation (the last rate of the first stretch achieved within 5 % of target)",
    },
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: curve.points },
        mark: { type: "line", point: true },
        encoding: {
          x,
          y,
          color,
          strokeDash: dash,
          detail: { field: "percentile" },
          tooltip: [
            { field: "series" },
            { field: "percentile" },
            { field: "rate" },
            { field: "latencyUs" },
            { field: "achievedShare", format: ".0%" },
          ],
        },
      },
      { data: { values: saturation }, mark: { type: "rule", strokeDash: [2, 3], strokeWidth: 1.5 }, encoding: { x, color } },
      {
        data: { values: saturation },
        mark: { type: "text", angle: 270, align: "right", baseline: "bottom", dx: -4, dy: -4, y: 0, fontSize: 10 },
        encoding: { x, text: { field: "label" }, color },
      },
    ],
  };
}

/** " Missing: connections=1000,threads=4 (server_failed)." for cells no repeat of which was ok. */
function missingCells(data: ReportData): string {
  const failed = data.cells.filter((cell) => cell.ok === 0 && !cell.fromDegraded);
  if (failed.length === 0) return "";
  const listed = failed.slice(0, 4).map((cell) => `${cell.cell} (${cell.status})`);
  return ` Not plotted, no ok repeat: ${listed.join(", ")}${failed.length > listed.length ? ` and ${failed.length - listed.length} more` : ""}.`;
}

const CAPTIONS: Record<(typeof CHART_IDS)[number], (data: ReportData) => string> = {
  throughput: (d) =>
    `Responses per second against ${keyTitle(d.xKey ?? "cell")}${d.seriesKey ? `, one line per value of ${d.seriesKey}` : ""}.${missingCells(d)}`,
  "latency-p99": (d) =>
    `99th-percentile request latency against ${keyTitle(d.xKey ?? "cell")}, ${xIsLog(d) ? "both axes" : "y axis"} logarithmic.`,
  "syscalls-per-request": () => "System calls per answered request in the traced pass, for each profiled process.",
  "syscalls-top": (d) =>
    `Calls per request of the busiest system calls in each cell, from ${d.syscallsFile ? d.syscallsFile.split("/").pop() : "the syscall table"}. Calls marked "(blocked wait)" exist to wait (futex, epoll_wait, poll, nanosleep …): their time in the table is time blocked, not work.`,
  "success-rate": () => "Share of requests answered correctly; shown because some cell fell below 100 %.",
  "served-connections": () =>
    "Share of the requested connections that got any reply in the window; shown because some cell left connections starved (degraded).",
  "latency-vs-load": () =>
    "p50, p99 and p99.9 latency (from each request's scheduled send) against the offered load, y axis logarithmic; a dotted rule marks each line's saturation point: the highest rate before the first one whose achieved rate is more than 5 % off its target (short of it: the client could not keep up, the row is degraded; above it: it fell behind in the warmup and caught up with a burst).",
  "per-second": (d) =>
    `Responses in each second of the window, for ${d.seconds.some((run) => d.cells.find((cell) => cell.cell === run.cell)?.validity.degradedReasons.length) ? "the degraded cells and " : ""}the cells asked for with --series; a dip to 0 is a stall.`,
};

/** Builds and renders every chart the data can fill; the others come back as omitted, with a reason. */
export async function buildCharts(data: ReportData, warnings: string[] = []): Promise<{ charts: Chart[]; omitted: Omitted[] }> {
  const a = axes(data);
  const specs: [(typeof CHART_IDS)[number], Spec | Omitted][] = [
    ["throughput", throughputChart(a)],
    ["latency-p99", latencyChart(a)],
    ["syscalls-per-request", syscallsPerRequestChart(a)],
    ["syscalls-top", topSyscallsChart(a)],
    ["success-rate", successChart(a)],
    ["served-connections", servedChart(a)],
    ["per-second", perSecondChart(a)],
    ["latency-vs-load", latencyVsLoadChart(a)],
  ];
  const charts: Chart[] = [];
  const omitted: Omitted[] = [];
  for (const [id, spec] of specs) {
    if ("reason" in spec) {
      omitted.push(spec as Omitted);
      continue;
    }
    const title = (spec.title as { text: string }).text;
    charts.push({ id, title, caption: CAPTIONS[id](data), svg: await renderSvg(spec, warnings) });
  }
  return { charts, omitted };
}
