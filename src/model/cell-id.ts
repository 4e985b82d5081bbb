/**
 * A cell id, `connections=100,threads=4`: the matrix values of a cell, keys in matrix order. The
 * one place that writes and reads one (the sweep names cells with it, the CSV stores it, compare
 * and the verdicts group rows by it). A part splits at its first "=": keys are identifiers, a value
 * may hold "=" (a value holding "," would be ambiguous in any reader of the CSV).
 */
import type { MatrixValue } from "./spec-types.js";

/** `connections=100,threads=4`, keys in the order given. */
export function formatCellId(keys: readonly string[], values: Readonly<Record<string, MatrixValue>>): string {
  return keys.map((key) => `${key}=${String(values[key])}`).join(",");
}

/** `connections=100,threads=4` → [["connections", "100"], ["threads", "4"]] (an empty id: none). */
export function parseCellId(id: string): [key: string, value: string][] {
  if (id === "") return [];
  return id.split(",").map((part) => {
    const eq = part.indexOf("=");
    return eq < 0 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
  });
}

/** The keys of a cell id, in its order. */
export const cellIdKeys = (id: string): string[] => parseCellId(id).map(([key]) => key);

/** The id without `key` (`connections=4,server=node` → `connections=4`): the cell a dimension's values are compared in. */
export const cellIdWithout = (id: string, key: string): string =>
  parseCellId(id)
    .filter(([k]) => k !== key)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** The same cell whatever order its keys were written in (two CSVs of one spec edited in between). */
export const sameCellKey = (id: string): string =>
  parseCellId(id)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(",");
