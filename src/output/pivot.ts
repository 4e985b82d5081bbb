/**
 * The end-of-run pivot: rows = connections, columns = threads (or the first two matrix
 * keys), values = median resp/s over a cell's ok repeats with their spread (min–max, CV)
 * and flags (some failed, noisy, client-bound); one table per value of other keys.
 */
import type { Row } from "./columns.js";
import {
  CLIENT_BOUND_CORE_SHARE,
  NOISE_CV_THRESHOLD,
  UNEVEN_JAIN_THRESHOLD,
  median,
  repeatStats,
  unevenJain,
  type RepeatStatsOptions,
} from "./stats.js";

/**
 * Rows, columns and the keys that split tables: connections (or the offered rate) down, threads
 * across, by preference. When two or more keys vary, one with a single value among the first two
 * gives way to them (a latency sweep at one connection count reads rate × threads, in one table).
 */
function axes(matrixKeys: readonly string[], rows: readonly Row[]): { rowKey: string; columnKey?: string; rest: string[] } {
  const preferred = ["connections", "rate", "threads"].filter((key) => matrixKeys.includes(key));
  let ordered = [...preferred, ...matrixKeys.filter((key) => !preferred.includes(key))];
  const varies = (key: string) => new Set(rows.map((row) => String(row[key]))).size > 1;
  const varying = ordered.filter(varies);
  if (varying.length >= 2 && !ordered.slice(0, 2).every(varies)) ordered = [...varying, ...ordered.filter((key) => !varies(key))];
  return { rowKey: ordered[0]!, columnKey: ordered[1], rest: ordered.slice(2) };
}

const distinct = (values: string[]) => [...new Set(values)];

/** Markers a cell can carry, in the order they are printed, with their legend. */
const MARKS = {
  "*": () => "* some repeats failed: the figures are of the ok ones",
  "~": (o: RepeatStatsOptions) =>
    `~ noisy: the ok repeats' resp/s vary by more than ${percent(o.noiseThreshold ?? NOISE_CV_THRESHOLD)} (CV)`,
  "!": (o: RepeatStatsOptions) =>
    `! client-bound: the client used more than ${percent(o.clientBoundThreshold ?? CLIENT_BOUND_CORE_SHARE)} of a core per worker thread in the window, so the server may be faster than shown`,
  t: () => "t traced rate (pass: same profiling has no clean pass)",
  s: () =>
    "sN/M starved: only N of the M requested connections got a reply in the window (degraded unless validity.min_served_pct allows it; see the error)",
  p: () => "p payload mismatches: ECHO replies carried other bytes than were sent (counted as responses under verify: type; degraded)",
  z: () => "z stall: a second or more of the window without any reply (degraded)",
  j: () =>
    `jN uneven service: Jain's index of per-connection responses (fairness_jain, median of the repeats) is N, below ${UNEVEN_JAIN_THRESHOLD} with every connection served; a finding about the server, the runs stay ok`,
  a: () =>
    "aN% open loop (client.rate): the achieved request rate as a share of the target, median of the repeats (below 95 % is degraded)",
} as const;
type Mark = keyof typeof MARKS;

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

interface CellText {
  value: string;
  marks: Mark[];
  /** The served fraction after `s`, e.g. "273/4000". */
  served?: string;
  /** Jain's index after `j`, e.g. "0.64". */
  jain?: string;
  /** Open loop: achieved ÷ target rate after `a`, e.g. "98%". */
  achieved?: string;
  /** No repeat was ok: the figures are of the degraded ones. */
  fromDegraded?: boolean;
  /** "(min–max, CV%)" with two or more ok repeats. */
  spread: string;
}

const figure = (row: Row, column: string) => (row[column] === undefined || row[column] === "" ? undefined : Number(row[column]));

/** What the degraded-run markers say about these rows: the worst served fraction, mismatches, stalls. */
function validityMarks(rows: Row[]): { marks: Mark[]; served?: string; achieved?: string } {
  const marks: Mark[] = [];
  const starved = rows
    .filter((row) => (figure(row, "connections_served") ?? Infinity) < (figure(row, "connections_requested") ?? -Infinity))
    .sort((a, b) => figure(a, "connections_served")! - figure(b, "connections_served")!)[0];
  if (rows.some((row) => (figure(row, "payload_mismatches") ?? 0) > 0)) marks.push("p");
  if (rows.some((row) => (figure(row, "stall_seconds") ?? 0) >= 1)) marks.push("z");
  if (starved) marks.push("s"); // carries its served fraction
  const shares = rows.flatMap((row) => {
    const target = figure(row, "target_rate");
    const achieved = figure(row, "achieved_rate");
    return target && achieved !== undefined ? [achieved / target] : [];
  });
  if (shares.length > 0) marks.push("a"); // carries achieved ÷ target
  return {
    marks,
    ...(starved ? { served: `${starved.connections_served}/${starved.connections_requested}` } : {}),
    ...(shares.length > 0 ? { achieved: `${Math.round(100 * median(shares))}%` } : {}),
  };
}

/**
 * One cell: the median of ok repeats; with none ok, the median of the degraded ones (they ran,
 * but not as specified: the markers say how); "FAIL <status>" when neither.
 */
function cellText(rows: Row[], options: RepeatStatsOptions): CellText {
  if (rows.length === 0) return { value: "", marks: [], spread: "" };
  let measured = rows;
  let stats = repeatStats(rows, options);
  const degraded = rows.filter((row) => row.status === "degraded");
  if (stats.ok === 0 && degraded.length > 0) {
    measured = degraded.map((row) => ({ ...row, status: "ok" }));
    stats = repeatStats(measured, options);
  }
  const marks: Mark[] = [];
  if (stats.ok === 0 && stats.failedStatus === undefined) {
    // Ok rows without resp/s: `pass: same` profiling, whose only rate is the traced one.
    stats = repeatStats(measured, { ...options, metric: "traced_resp_per_s" });
    if (stats.ok > 0) marks.push("t");
  }
  if (stats.median === undefined) return { value: stats.failedStatus ? `FAIL ${stats.failedStatus}` : "-", marks: [], spread: "" };
  if (stats.someFailed || measured.length < rows.length) marks.push("*");
  if (stats.noisy) marks.push("~");
  if (stats.clientBound) marks.push("!");
  const validity = validityMarks(rows);
  marks.push(...validity.marks);
  // Of the repeats the figures are of, like the median: uneven service is about the served runs.
  const jain = unevenJain(measured.filter((row) => row.status === "ok"));
  if (jain !== undefined) marks.push("j");
  const spread =
    stats.ok >= 2
      ? `(${Math.round(stats.min!)}–${Math.round(stats.max!)}${stats.cv === undefined ? "" : `, ${(stats.cv * 100).toFixed(1)}%`})`
      : "";
  return {
    value: String(Math.round(stats.median)),
    marks,
    spread,
    ...(validity.served ? { served: validity.served } : {}),
    ...(validity.achieved ? { achieved: validity.achieved } : {}),
    ...(marks.includes("j") ? { jain: jain!.toFixed(2) } : {}),
    ...(measured !== rows ? { fromDegraded: true } : {}),
  };
}

/** The markers as printed: `s`, `j` and `a` carry their figure after a space, e.g. "57797 s273/4000 j0.64". */
function markText(cell: CellText): string {
  const carried: Partial<Record<Mark, string | undefined>> = { s: cell.served, j: cell.jain, a: cell.achieved };
  return cell.marks.map((mark) => (mark in carried ? ` ${mark}${carried[mark]}` : mark)).join("");
}

/**
 * The pivot of a run's rows. `options` sets the noisy and client-bound thresholds
 * (defaults {@link NOISE_CV_THRESHOLD}, {@link CLIENT_BOUND_CORE_SHARE}).
 */
export function formatPivot(rows: readonly Row[], matrixKeys: readonly string[], options: RepeatStatsOptions = {}): string {
  if (rows.length === 0 || matrixKeys.length === 0) return "";
  const { rowKey, columnKey, rest } = axes(matrixKeys, rows);
  const key = (row: Row, k: string) => String(row[k]);
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = rest.map((k) => `${k}=${key(row, k)}`).join(",");
    const members = groups.get(group);
    if (members)
      members.push(row); // pushed, not copied: a copy per row was quadratic
    else groups.set(group, [row]);
  }
  const used = new Set<Mark>();
  const tables: string[] = [];
  for (const [group, groupRows] of groups) {
    const rowValues = distinct(groupRows.map((row) => key(row, rowKey)));
    const columnValues = columnKey ? distinct(groupRows.map((row) => key(row, columnKey))) : [""];
    const header = [`${rowKey} \\ ${columnKey ?? ""}`.trim(), ...columnValues.map((v) => (columnKey ? `${columnKey}=${v}` : "resp/s"))];
    const cells = rowValues.map((r) =>
      columnValues.map((c) =>
        cellText(
          groupRows.filter((row) => key(row, rowKey) === r && (!columnKey || key(row, columnKey) === c)),
          options,
        ),
      ),
    );
    for (const cell of cells.flat()) for (const mark of cell.marks) used.add(mark);
    // Each column aligns its medians, markers and spreads separately.
    const texts = columnValues.map((_, ci) => {
      const column = cells.map((line) => line[ci]!);
      const wValue = Math.max(...column.map((cell) => cell.value.length));
      const wMarks = Math.max(...column.map((cell) => markText(cell).length));
      const wSpread = Math.max(...column.map((cell) => cell.spread.length));
      return column.map(
        (cell) => cell.value.padStart(wValue) + markText(cell).padEnd(wMarks) + (wSpread > 0 ? ` ${cell.spread.padEnd(wSpread)}` : ""),
      );
    });
    const lines = rowValues.map((r, ri) => [r, ...texts.map((column) => column[ri]!)]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
    const format = (parts: string[]) =>
      parts
        .map((part, i) => (i === 0 ? part.padEnd(widths[i]!) : part.padStart(widths[i]!)))
        .join("  ")
        .trimEnd();
    const spreadShown = cells.flat().some((cell) => cell.spread !== "");
    const degradedShown = cells.flat().some((cell) => cell.fromDegraded);
    const title = `resp/s: median of ok repeats${degradedShown ? " (of the degraded ones where none was ok)" : ""}${spreadShown ? " (min–max, CV)" : ""}${group ? ` for ${group}` : ""}`;
    tables.push([title, format(header), ...lines.map(format)].join("\n"));
  }
  const legend = (Object.keys(MARKS) as Mark[]).filter((mark) => used.has(mark)).map((mark) => MARKS[mark](options));
  return [tables.join("\n\n"), ...(legend.length > 0 ? ["", ...legend] : [])].join("\n");
}
