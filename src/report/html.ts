/**
 * `tcpsweep report`, the page: one self-contained HTML file — inline CSS, the charts' SVG inline,
 * no script, no font or stylesheet to fetch (a Content-Security-Policy forbids any), so it opens
 * the same from a laptop, a CI artifact or an air-gapped lab machine.
 */
import { verdictsBy } from "../compare/by-dimension.js";
import { formatVerdicts } from "../compare/by-dimension-format.js";
import path from "node:path";
import type { Chart, Omitted } from "./charts.js";
import { UNEVEN_JAIN_THRESHOLD } from "../output/stats.js";
import { SYSCALL_TARGETS, type CellSummary, type ReportData } from "./data.js";
import { pivotNoteLines } from "../output/pivot-notes.js";
import type { FlameGraphFile } from "./flame-graphs.js";

export interface PageInput {
  data: ReportData;
  charts: Chart[];
  omitted: Omitted[];
  /** Where index.html goes, to show paths relative to it. */
  outDir: string;
  generatedAt: Date;
  version: string;
  /** The trend report over the nights beside the CSV, relative to index.html, when there is one. */
  trend?: string;
  /** CPU-profiled cells' flame graphs, written beside index.html. */
  flames?: readonly FlameGraphFile[];
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const integer = (value: number) => Math.round(value).toLocaleString("en-US");
function decimal(value: number, digits = 2): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits });
}
const dash = "–";

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d2330; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 24px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
.sub { color: #5a6272; margin: 0; }
.runinfo { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 14px 0 0; }
.runinfo dt { color: #5a6272; }
.runinfo dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.scroll { overflow-x: auto; max-width: 100%; }
figure { margin: 0; background: white; border: 1px solid #e1e4ea; border-radius: 6px; padding: 8px 10px 8px; max-width: 100%; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #5a6272; font-size: 12.5px; margin: 4px 0 0 8px; max-width: 520px; }
figcaption a { color: inherit; }
table { border-collapse: collapse; background: white; border: 1px solid #e1e4ea; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eceef2; text-align: right; white-space: nowrap; }
th { background: #f0f2f5; font-weight: 600; white-space: normal; vertical-align: bottom; max-width: 120px; }
td.text, th.text { text-align: left; }
tr.bad td.status { color: #b3261e; font-weight: 600; }
tr.partial td.status { color: #9a6700; }
tr.degraded td { background: #fff3dc; }
tr.degraded td.status { color: #8a5300; font-weight: 600; white-space: normal; min-width: 260px; }
td.note { color: #5a6272; white-space: normal; }
/* the verdict lines run to 250+ characters: wrapped inside the page, never cut at its edge */
pre.verdicts { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 100%; background: white; border: 1px solid #e1e4ea; border-radius: 6px; padding: 8px 10px; }
td.uneven { color: #8a5300; font-weight: 600; }
tr.current td { font-weight: 600; }
.omitted { color: #5a6272; margin: 10px 0 0; padding-left: 18px; }
footer { color: #7a8291; font-size: 12px; margin-top: 32px; }
code { font-size: 12.5px; }
`;

function runInfo(data: ReportData): string {
  const { run } = data;
  const when = run.firstStarted
    ? `${run.firstStarted}${run.lastStarted && run.lastStarted !== run.firstStarted ? ` ${dash} ${run.lastStarted}` : ""}`
    : "(not recorded)";
  const windows =
    data.durationsS.length > 0
      ? `${decimal(Math.min(...data.durationsS))}${Math.max(...data.durationsS) - Math.min(...data.durationsS) >= 0.01 ? ` ${dash} ${decimal(Math.max(...data.durationsS))}` : ""} s`
      : "(not recorded)";
  const items: [string, string][] = [
    ["run", run.runId],
    ["spec", run.spec || "(not recorded)"],
    ["started", when],
    ["rows", `${run.rows} (${run.ok} ok) in ${data.cells.length} cell${data.cells.length === 1 ? "" : "s"}`],
    ["measured window", windows],
    ["hostname", data.hostnames.join(", ") || "(not recorded)"],
    ["kernel", data.kernels.join(", ") || "(not recorded)"],
    ["matrix", data.matrixKeys.join(" × ") || "(none)"],
    ["CSV", data.csvFile],
  ];
  if (data.meta?.cpu) items.push(["CPU", data.meta.cpu]);
  if (data.meta?.governor) items.push(["CPU governor", data.meta.governor]);
  if (data.meta?.node) items.push(["Node.js", data.meta.node]);
  if (data.meta?.tcpsweep) items.push(["tcpsweep", data.meta.tcpsweep]);
  if (data.syscallsFile) items.push(["syscall table", data.syscallsFile]);
  if (data.meta) items.push(["meta.json", data.meta.file]);
  return `<dl class="runinfo">${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`;
}

/** resp/s of the ok repeats: min – max, or the median's 95 % interval once there are enough repeats. */
function spread(cell: CellSummary): string {
  const figures = cell.figures;
  if (!figures || figures.runs_ok < 2 || figures.resp_per_s_low === undefined || figures.resp_per_s_high === undefined) return dash;
  const range = `${integer(figures.resp_per_s_low)} ${dash} ${integer(figures.resp_per_s_high)}`;
  return figures.resp_per_s_spread === "ci95" ? `${range} (95 % CI)` : range;
}

function cellTable(data: ReportData): string {
  const targets = SYSCALL_TARGETS.filter((target) => data.cells.some((cell) => cell.syscallsPerRequest[target] !== undefined));
  const served = data.cells.some((cell) => cell.validity.served);
  const fairness = data.cells.some((cell) => cell.validity.fairness !== undefined);
  const notes = data.cells.some((cell) => cell.validity.syscallNote);
  const head = [
    ...data.matrixKeys.map((key) => `<th>${escapeHtml(key)}</th>`),
    "<th>ok / runs</th>",
    "<th>resp/s (median)</th>",
    "<th>resp/s spread</th>",
    "<th>CV (%)</th>",
    "<th>p99 latency (µs)</th>",
    "<th>success (%)</th>",
    ...(served ? ["<th>connections served</th>"] : []),
    ...(fairness ? ["<th>fairness (Jain)</th>"] : []),
    ...targets.map((target) => `<th>${target} syscalls / req</th>`),
    ...(notes ? ['<th class="text">syscall note</th>'] : []),
    '<th class="text">status</th>',
  ];
  const row = (cell: CellSummary) => {
    // Degraded (amber): the cell ran, but not as specified; its reasons replace the bare status.
    const degraded = cell.validity.degradedReasons;
    const rowClass = degraded.length > 0 ? "degraded" : cell.ok === 0 ? "bad" : cell.ok < cell.runs ? "partial" : "";
    const servedText = cell.validity.served ? `${cell.validity.served.served} / ${cell.validity.served.requested}` : dash;
    const cells = [
      ...data.matrixKeys.map((key) => `<td>${escapeHtml(cell.keys[key] ?? "")}</td>`),
      `<td>${cell.ok} / ${cell.runs}</td>`,
      `<td>${cell.respPerS ? integer(cell.respPerS.median) : dash}</td>`,
      `<td>${spread(cell)}</td>`,
      `<td>${cell.figures?.resp_per_s_cv_pct !== undefined ? decimal(cell.figures.resp_per_s_cv_pct) : dash}</td>`,
      `<td>${cell.p99Us !== undefined ? integer(cell.p99Us) : dash}</td>`,
      `<td>${cell.successPct !== undefined ? decimal(cell.successPct) : dash}</td>`,
      ...(served ? [`<td>${servedText}</td>`] : []),
      ...(fairness ? [fairnessCell(cell)] : []),
      ...targets.map(
        (target) => `<td>${cell.syscallsPerRequest[target] !== undefined ? decimal(cell.syscallsPerRequest[target]) : dash}</td>`,
      ),
      ...(notes ? [`<td class="text note">${escapeHtml(cell.validity.syscallNote ?? "")}</td>`] : []),
      `<td class="text status">${escapeHtml(degraded.length > 0 ? `${cell.status}: ${degraded.join(" | ")}` : cell.status)}</td>`,
    ];
    return `<tr${rowClass ? ` class="${rowClass}"` : ""}>${cells.join("")}</tr>`;
  };
  const table = `<div class="scroll"><table id="cells"><thead><tr>${head.join("")}</tr></thead><tbody>${data.cells.map(row).join("\n")}</tbody></table></div>`;
  return data.cells.some((cell) => cell.validity.uneven !== undefined)
    ? `${table}\n<p class="sub" id="uneven-legend">${UNEVEN_LEGEND}</p>`
    : table;
}

const UNEVEN_LEGEND = `j uneven service: Jain's index of per-connection responses below ${UNEVEN_JAIN_THRESHOLD} with every connection served: the server answered some connections far more often than others. A finding about the server; the runs stay ok.`;

/** Jain's index; marked `j` when the cell's service was uneven (the same rule as the pivot's mark). */
function fairnessCell(cell: CellSummary): string {
  const { fairness, uneven } = cell.validity;
  if (fairness === undefined) return `<td>${dash}</td>`;
  return uneven !== undefined ? `<td class="uneven">${decimal(fairness, 3)} j</td>` : `<td>${decimal(fairness, 3)}</td>`;
}

function otherRuns(data: ReportData): string {
  if (data.runs.length < 2) return "";
  const shown = data.runs.slice(-12).reverse();
  const rows = shown.map(
    (run) =>
      `<tr${run.runId === data.run.runId ? ' class="current"' : ""}><td class="text"><code>${escapeHtml(run.runId)}</code></td><td class="text">${escapeHtml(run.spec)}</td><td class="text">${escapeHtml(run.firstStarted ?? "")}</td><td>${run.ok} / ${run.rows}</td></tr>`,
  );
  const more = data.runs.length > shown.length ? `<p class="sub">and ${data.runs.length - shown.length} older runs.</p>` : "";
  return `<h2>Runs in this CSV</h2><p class="sub">This report shows the run in bold; <code>tcpsweep report ${escapeHtml(path.basename(data.csvFile))} --run ID</code> shows another.</p>
<table id="runs"><thead><tr><th class="text">run id</th><th class="text">spec</th><th class="text">started</th><th>ok / rows</th></tr></thead><tbody>${rows.join("\n")}</tbody></table>${more}`;
}

export function renderPage(input: PageInput): string {
  const { data, charts, omitted } = input;
  const title = `tcpsweep report: ${data.run.spec || path.basename(data.csvFile)} ${dash} run ${data.run.runId}`;
  const figures = charts.map(
    (chart) =>
      `<figure id="${chart.id}">\n${chart.svg}\n<figcaption>${escapeHtml(chart.caption)} <a href="${chart.id}.svg">${chart.id}.svg</a></figcaption>\n</figure>`,
  );
  const notShown =
    omitted.length > 0
      ? `<ul class="omitted">${omitted.map((o) => `<li>${escapeHtml(o.title)}: not shown, ${escapeHtml(o.reason)}.</li>`).join("")}</ul>`
      : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml([data.hostnames.join(", "), data.kernels.join(", "), data.run.firstStarted ?? ""].filter(Boolean).join(" · "))}</p>
${runInfo(data)}
${input.trend !== undefined ? `<p class="sub" id="trend">Over the nights: <a href="${escapeHtml(input.trend)}">the trend report</a>, with its change points by cell and metric.</p>` : ""}
</header>
<h2>Charts</h2>
<section class="charts">
${figures.join("\n")}
</section>
${notShown}
${serverVerdicts(data)}
<h2>Cells</h2>
<p class="sub">Medians over the ok repeats (success: over every repeat); a cell with no ok repeat but degraded ones shows theirs, in amber with the reason. A cell with neither has no figures. Connections served: the worst repeat; fairness: Jain's index of per-connection responses (1 = even).</p>
${cellTable(data)}
${notesSection(data.runRows)}
${flameSection(input.flames ?? [])}
${otherRuns(data)}
<footer>Generated by tcpsweep ${escapeHtml(input.version)} on ${escapeHtml(input.generatedAt.toISOString())} from ${escapeHtml(data.csvFile)}. Each chart is also a standalone SVG file beside this page.</footer>
</main>
</body>
</html>
`;
}

/** A run that compared servers (a `server` matrix key with several values), else clients: the verdicts per cell, as the run printed them. */
function serverVerdicts(data: ReportData): string {
  const key = ["server", "client"].find((k) => data.matrixKeys.includes(k) && new Set(data.runRows.map((row) => row[k])).size >= 2);
  if (key === undefined) return "";
  return `<h2>Verdicts</h2>\n<pre class="verdicts">${escapeHtml(formatVerdicts(verdictsBy(data.runRows, key)))}</pre>`;
}

/** Flame graphs drawn in the page itself (the page stays self-contained); the others are linked, each is an SVG file beside it. */
const INLINE_FLAMES = 12;

/** Each CPU-profiled cell's flame graph (hover a frame for its name and figures). */
function flameSection(flames: readonly FlameGraphFile[]): string {
  if (flames.length === 0) return "";
  const items = flames.map((f, index) => {
    const link = `<a href="${escapeHtml(f.file)}">${escapeHtml(f.file)}</a>`;
    // Beside the cell's own graph: what changed in it, where compare --flame (or the nightly, for a regressed cell) drew that.
    const against = f.differential.map(
      (d) =>
        ` <span class="differential">Against run ${escapeHtml(d.baseRun)}: <a href="${escapeHtml(d.href)}">differential flame graph</a>.</span>`,
    );
    const picture = index < INLINE_FLAMES ? f.svg.replace(/^<\?xml[^>]*>\s*/, "") : "";
    return `<figure class="flame">${picture}<figcaption>${escapeHtml(f.cell)}: ${f.samples} samples. ${link}${against.join("")}</figcaption></figure>`;
  });
  const more = flames.length > INLINE_FLAMES ? ` The first ${INLINE_FLAMES} are drawn here; the rest are linked.` : "";
  return `<h2>CPU flame graphs</h2><p class="sub">On-CPU stacks of the traced pass (profile.cpu), root at the bottom; width is the share of samples; orange frames are the kernel's, green ones JavaScript. A differential flame graph (compare --flame; the nightly's, for a regressed cell) is this run's graph coloured by how each frame's self samples per response changed against the other run: red grew, blue shrank.${more}</p>\n${items.join("\n")}`;
}

/** The pivot's lines under its table (pathology notes, syscalls per request with the traced speed), as the run printed them. */
function notesSection(rows: ReportData["runRows"]): string {
  const lines = pivotNoteLines(rows);
  if (lines.length === 0) return "";
  return `<h2>Notes</h2><ul class="notes">${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`;
}
