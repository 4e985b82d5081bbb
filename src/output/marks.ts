/**
 * The marks a cell of a run carries (the pivot's `*`, `~`, `s40/100`, `j0.64` …): one computation,
 * read by the pivot, the summary and the report's charts, so a degraded cell looks degraded
 * wherever it is shown. The figures they qualify are the median of the ok repeats, or of the
 * degraded ones when none was ok ({@link measuredRows}).
 */
import type { Row } from "./columns.js";
import {
  CLIENT_BOUND_CORE_SHARE,
  NOISE_CV_THRESHOLD,
  UNEVEN_JAIN_THRESHOLD,
  median,
  repeatStats,
  unevenJain,
  type RepeatStats,
  type RepeatStatsOptions,
} from "./stats.js";

/** Markers a cell can carry, in the order they are printed, with their legend. */
export const MARKS = {
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
export type Mark = keyof typeof MARKS;

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/** A cell's marks, and the figures some of them carry. */
export interface CellMarks {
  marks: Mark[];
  /** The served fraction after `s`, e.g. "273/4000". */
  served?: string;
  /** Jain's index after `j`, e.g. "0.64". */
  jain?: string;
  /** Open loop: achieved ÷ target rate after `a`, e.g. "98%". */
  achieved?: string;
  /** No repeat was ok: the figures are of the degraded ones. */
  fromDegraded?: boolean;
}

/**
 * The rows a cell's figures are of: its rows, or, when none was ok, its degraded ones (they ran,
 * but not as specified: the marks say how), relabelled ok for the statistics.
 */
export function measuredRows(rows: readonly Row[]): { measured: Row[]; fromDegraded: boolean } {
  const degraded = rows.filter((row) => row.status === "degraded");
  const fromDegraded = !rows.some((row) => row.status === "ok") && degraded.length > 0;
  return { measured: fromDegraded ? degraded.map((row) => ({ ...row, status: "ok" })) : [...rows], fromDegraded };
}

const figure = (row: Row, column: string) => (row[column] === undefined || row[column] === "" ? undefined : Number(row[column]));

/** What the degraded-run markers say about these rows: the worst served fraction, mismatches, stalls. */
function validityMarks(rows: readonly Row[]): { marks: Mark[]; served?: string; achieved?: string } {
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
 * One cell's marks, with the statistics of the rows its figures are of: the ok repeats; with none
 * ok, the degraded ones; with neither ok nor resp/s (`pass: same` profiling), the traced rate (`t`).
 * No marks when there is no median (the cell failed).
 */
export function cellMarks(rows: readonly Row[], options: RepeatStatsOptions = {}): { stats: RepeatStats; marks: CellMarks } {
  const { measured, fromDegraded } = measuredRows(rows);
  let stats = repeatStats(measured, options);
  const marks: Mark[] = [];
  if (stats.ok === 0 && stats.failedStatus === undefined) {
    // Ok rows without resp/s: `pass: same` profiling, whose only rate is the traced one.
    stats = repeatStats(measured, { ...options, metric: "traced_resp_per_s" });
    if (stats.ok > 0) marks.push("t");
  }
  if (stats.median === undefined) return { stats, marks: { marks: [] } };
  if (stats.someFailed || measured.length < rows.length) marks.push("*");
  if (stats.noisy) marks.push("~");
  if (stats.clientBound) marks.push("!");
  const validity = validityMarks(rows);
  marks.push(...validity.marks);
  // Of the repeats the figures are of, like the median: uneven service is about the served runs.
  const jain = unevenJain(measured.filter((row) => row.status === "ok"));
  if (jain !== undefined) marks.push("j");
  return {
    stats,
    marks: {
      marks,
      ...(validity.served ? { served: validity.served } : {}),
      ...(validity.achieved ? { achieved: validity.achieved } : {}),
      ...(jain !== undefined ? { jain: jain.toFixed(2) } : {}),
      ...(fromDegraded ? { fromDegraded } : {}),
    },
  };
}

/** The legend lines of the marks used, in the order they are printed. */
export function markLegend(used: ReadonlySet<Mark>, options: RepeatStatsOptions = {}): string[] {
  return (Object.keys(MARKS) as Mark[]).filter((mark) => used.has(mark)).map((mark) => MARKS[mark](options));
}

/** The markers as printed: `s`, `j` and `a` carry their figure after a space, e.g. "57797 s273/4000 j0.64". */
export function markText(cell: CellMarks): string {
  const carried: Partial<Record<Mark, string | undefined>> = { s: cell.served, j: cell.jain, a: cell.achieved };
  return cell.marks.map((mark) => (mark in carried ? ` ${mark}${carried[mark]}` : mark)).join("");
}
