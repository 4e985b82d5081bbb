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

/** One `key=value` part of a cell id as written; `value` is undefined when the part has no "=". */
export interface CellIdPart {
  text: string;
  key: string;
  value?: string;
}

/** `connections=100,threads=4` → its parts as written (an empty id: none); readers that check input (`--only`) judge each part. */
export function cellIdParts(id: string): CellIdPart[] {
  if (id === "") return [];
  return id.split(",").map((text) => {
    const eq = text.indexOf("=");
    return eq < 0 ? { text, key: text } : { text, key: text.slice(0, eq), value: text.slice(eq + 1) };
  });
}

/** `connections=100,threads=4` → [["connections", "100"], ["threads", "4"]] (an empty id: none). */
export function parseCellId(id: string): [key: string, value: string][] {
  return cellIdParts(id).map(({ key, value }) => [key, value ?? ""]);
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
