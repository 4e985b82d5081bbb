/** What `history` works on: one series per cell × metric (or per column of an Otava-style CSV), one point per night or run. */

export interface Builds {
  tcpsweep: string;
  server: string;
}

export interface HistoryPoint {
  /** The night (nightly layout), the run's start (CSV files) or the `time` column (--series). */
  time: string;
  /** The night's median over its ok repeats; absent for a gap. */
  value?: number;
  /** The night's ok repeats (one value for --series). */
  repeats: number[];
  /** Why the night has no value: the cell missing, failed, the spec changed … */
  gap?: string;
  builds?: Builds;
}

export interface HistorySeries {
  /** `<spec> <cell> <metric>`, or the column name of --series. */
  name: string;
  spec?: string;
  cell?: string;
  metric?: string;
  /** For naming regressions: lower is better for p99 and syscalls per request. */
  lowerIsBetter: boolean;
  points: HistoryPoint[];
}

/** The metrics followed per cell: CSV column, name shown, and which way is worse. */
export const HISTORY_METRICS = [
  { column: "resp_per_s", name: "resp/s", axis: "responses per second", lowerIsBetter: false },
  { column: "latency_p99_us", name: "p99", axis: "p99 latency (µs)", lowerIsBetter: true },
  { column: "success_rate_pct", name: "success", axis: "success rate (%)", lowerIsBetter: false },
  { column: "server_syscalls_per_request", name: "syscalls/req", axis: "server syscalls per request", lowerIsBetter: true },
] as const;

/** Whether a series can be taken on logs (every value above zero). */
export const allPositive = (values: readonly number[]) => values.every((value) => value > 0);
