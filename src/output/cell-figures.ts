/**
 * One row per cell of a run, over its repeats: the table a spreadsheet pivot wants. The summary
 * CSV (`<csv name>.summary.csv`), `run --json` and the report's cell table all take their figures
 * from {@link cellFigures}, so they never disagree.
 *
 * The figures are medians over the ok repeats (a repeat that did not run as specified measured
 * something else), except the success rate, over every repeat that reported one; `runs_ok` and
 * `worst_status` say how many were ok and what the others were.
 */
import { binomialDistribution } from "simple-statistics";
import type { Row } from "./columns.js";
import { cellMarks, markText } from "./marks.js";
import { columnMedian, cv, max, median, min, numeric } from "./stats.js";
import { groupByCell } from "../rundir/runs.js";

/** Statuses from best to worst: ok, then a run that finished but not as specified, then a run that failed (its cause before its effects). */
const STATUS_ORDER = [
  "ok",
  "degraded",
  "no_responses",
  "parse_error",
  "client_exit",
  "client_failed",
  "timeout",
  "profile_failed",
  "server_exited",
  "server_not_ready",
  "server_failed",
] as const;

/** The worse of the statuses (one tcpsweep does not know, from a newer version, counts as worst). */
export function worstStatus(statuses: readonly string[]): string {
  const rank = (status: string) => {
    const index = (STATUS_ORDER as readonly string[]).indexOf(status);
    return index === -1 ? STATUS_ORDER.length : index;
  };
  return statuses.reduce((worst, status) => (rank(status) > rank(worst) ? status : worst), statuses[0] ?? "");
}

/** Coverage of the resp/s interval once there are enough repeats for one narrower than min–max. */
export const INTERVAL_LEVEL = 0.95;

/**
 * The distribution-free confidence interval of a median from order statistics: the widest-inward
 * pair (x(k), x(n+1−k)) whose coverage, 1 − 2·P(Binomial(n, ½) < k), is still at least `level`.
 * undefined when even (min, max) would be it (k = 1): the spread is then reported as min–max.
 * With 95 % that needs 9 repeats or more.
 */
export function medianInterval(values: readonly number[], level = INTERVAL_LEVEL): { low: number; high: number } | undefined {
  const n = values.length;
  if (n < 2) return undefined;
  const probabilities = binomialDistribution(n, 0.5) ?? [];
  let k = 0;
  let below = 0; // P(Binomial < k + 1)
  while (k + 1 <= n / 2 && 1 - 2 * (below + (probabilities[k] ?? 0)) >= level) below += probabilities[k++] ?? 0;
  if (k <= 1) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { low: sorted[k - 1]!, high: sorted[n - k]! };
}

/** A cell of a run summarised over its repeats (the summary CSV's row, less the cell id). */
export interface CellFigures {
  cell: string;
  /** Matrix key → value, typed as in the spec (numbers stay numbers). */
  values: Record<string, string | number>;
  /** Repeats run (a cell × repeat run twice, a failed one rerun by --resume, counts once: the later). */
  runs: number;
  runs_ok: number;
  /** The worst status of its repeats (ok when all were). */
  worst_status: string;
  /** Median resp/s of the ok repeats and its spread: min–max, or the 95 % interval of the median once there are enough repeats. */
  resp_per_s_median?: number;
  resp_per_s_low?: number;
  resp_per_s_high?: number;
  resp_per_s_spread?: "min-max" | "ci95";
  /** Coefficient of variation of the ok repeats' resp/s, percent (2 ok repeats or more). */
  resp_per_s_cv_pct?: number;
  success_rate_pct?: number;
  latency_p99_us?: number;
  /** Connections with a response in the window, percent of those requested. */
  served_pct?: number;
  server_syscalls_per_request?: number;
  /** The pivot's marks of the cell (marks.ts), e.g. "*~ s1/10"; absent when it has none. */
  marks?: string;
}

/** The summary CSV's columns after the matrix keys, in order. */
export const CELL_FIGURE_COLUMNS = [
  "runs",
  "runs_ok",
  "worst_status",
  "resp_per_s_median",
  "resp_per_s_low",
  "resp_per_s_high",
  "resp_per_s_spread",
  "resp_per_s_cv_pct",
  "success_rate_pct",
  "latency_p99_us",
  "served_pct",
  "server_syscalls_per_request",
  "marks",
] as const satisfies readonly Exclude<keyof CellFigures, "cell" | "values">[];

const typed = (text: string | number | undefined) => numeric(text) ?? text ?? "";

const round = (value: number | undefined, digits: number) => (value === undefined ? undefined : Number(value.toFixed(digits)));

function servedPct(row: Row): number | undefined {
  const served = numeric(row.connections_served);
  const requested = numeric(row.connections_requested);
  return served === undefined || !requested ? undefined : (100 * served) / requested;
}

/** One cell's repeats (rows of one run) summarised. */
export function figuresOfCell(cell: string, rows: readonly Row[], matrixKeys: readonly string[]): CellFigures {
  const ok = rows.filter((row) => row.status === "ok");
  const resp = ok.flatMap((row) => numeric(row.resp_per_s) ?? []);
  const interval = medianInterval(resp);
  const variation = cv(resp);
  const served = ok.flatMap((row) => servedPct(row) ?? []);
  const figures: CellFigures = {
    cell,
    values: Object.fromEntries(matrixKeys.map((key) => [key, typed(rows[0]?.[key])])),
    runs: rows.length,
    runs_ok: ok.length,
    worst_status: worstStatus(rows.map((row) => String(row.status ?? ""))),
  };
  const optional: Partial<CellFigures> = {
    ...(resp.length > 0
      ? {
          resp_per_s_median: round(median(resp), 1),
          resp_per_s_low: round(interval?.low ?? min(resp), 1),
          resp_per_s_high: round(interval?.high ?? max(resp), 1),
          resp_per_s_spread: interval ? "ci95" : "min-max",
        }
      : {}),
    resp_per_s_cv_pct: round(variation === undefined ? undefined : 100 * variation, 2),
    // Over every repeat that reported one, as the report does: a failed repeat's lost requests count.
    success_rate_pct: round(columnMedian(rows, "success_rate_pct"), 3),
    latency_p99_us: round(columnMedian(ok, "latency_p99_us"), 1),
    served_pct: round(served.length > 0 ? median(served) : undefined, 2),
    server_syscalls_per_request: round(columnMedian(ok, "server_syscalls_per_request"), 3),
    marks: markText(cellMarks(rows).marks).trim() || undefined,
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) (figures as unknown as Record<string, unknown>)[key] = value;
  return figures;
}

/** Every cell of one run's rows, in the order their first rows were written. */
export function cellFigures(rows: readonly Row[], matrixKeys: readonly string[]): CellFigures[] {
  return [...groupByCell(rows).values()].map(({ cell, rows: cellRows }) => figuresOfCell(cell, cellRows, matrixKeys));
}

/** The summary CSV's header for these matrix keys. */
export const summaryHeader = (matrixKeys: readonly string[]): string[] => ["run_id", "cell", ...matrixKeys, ...CELL_FIGURE_COLUMNS];

/** A cell's figures as a summary CSV row of run `runId`. */
export function summaryRow(runId: string, figures: CellFigures): Row {
  const { cell, values, ...rest } = figures;
  return { run_id: runId, cell, ...values, ...rest };
}
