/** Markdown tables and cells that every section of bench/RESULTS.md writes (its own file: the sections import it, report.ts imports the sections). */
import type { Spread } from "./stats.js";

function number(value: number, digits: number): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `median (min–max)`, or just the median of a single run; "—" when no run succeeded. */
export function spreadCell(values: Spread | undefined, digits = 0): string {
  if (!values) return "—";
  const median = number(values.median, digits);
  return values.runs === 1 ? median : `${median} (${number(values.min, digits)}–${number(values.max, digits)})`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

export interface Goal {
  goal: string;
  /** A ratio (×), or seconds when `unit` is "s". */
  ratio: number | undefined;
  /** The ratio must be at least (≥) or at most (≤) this. */
  bound: { atLeast: number } | { atMost: number };
  unit?: "s";
}

export function goalsTable(rows: readonly Goal[]): string {
  return table(
    ["goal", "target", "measured", "status"],
    rows.map(({ goal, ratio, bound, unit }) => {
      const shown = (value: number) => (unit === "s" ? `${value.toFixed(3)} s` : `${value.toFixed(2)}×`);
      const target = "atLeast" in bound ? `≥ ${shown(bound.atLeast)}` : `≤ ${shown(bound.atMost)}`;
      const met = ratio !== undefined && ("atLeast" in bound ? ratio >= bound.atLeast : ratio <= bound.atMost);
      return [goal, target, ratio === undefined ? "—" : shown(ratio), ratio === undefined ? "not measured" : met ? "met" : "**not met**"];
    }),
  );
}
