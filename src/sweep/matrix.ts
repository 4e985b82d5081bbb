/**
 * Matrix expansion: spec → ordered list of cells, and the `--only` filter.
 */
import { cellIdParts, formatCellId } from "../model/cell-id.js";
import { SpecError, didYouMean, type SpecIssue } from "./errors.js";
import type { Cell, MatrixValue, SweepSpec } from "../model/spec-types.js";

/** `--only` filter: for each named key, the allowed values (a cell must match every key). */
export interface CellFilter {
  text: string;
  values: Record<string, MatrixValue[]>;
}

const same = (a: MatrixValue | undefined, b: MatrixValue | undefined) => a !== undefined && b !== undefined && String(a) === String(b);

/** `connections=100,threads=4`, keys in matrix order (model/cell-id.ts writes and reads every cell id). */
const cellId = formatCellId;

/** Whether `values` matches every key=value pair of `pattern`. */
export function matchesPattern(values: Readonly<Record<string, MatrixValue>>, pattern: Readonly<Record<string, MatrixValue>>): boolean {
  return Object.entries(pattern).every(([k, v]) => same(values[k], v));
}

/**
 * The most cells a matrix may expand to (docs/spec.md): above it a spec is refused before any
 * expansion (each cell is a run of seconds; 20,000 is days of sweeping, and --dry-run of them all
 * still prints in seconds).
 */
export const MAX_CELLS = 20_000;

/** How many cells the matrix's product has (before exclude, plus every include), without expanding it. */
export function matrixCellCount(spec: Pick<SweepSpec, "matrix">): number {
  const { keys, values, include } = spec.matrix;
  return keys.reduce((product, key) => product * (values[key]?.length ?? 0), 1) + include.length;
}

/**
 * Cartesian product of the matrix lists (first key varies slowest, values in the
 * order written), minus every cell matching an `exclude` entry, plus each
 * `include` entry not already present, appended in order. Includes are applied
 * after excludes, so an include can bring back an excluded cell.
 */
export function expandCells(spec: Pick<SweepSpec, "matrix">): Cell[] {
  const { keys, values, include, exclude } = spec.matrix;
  let combos: Record<string, MatrixValue>[] = [{}];
  for (const k of keys) {
    const next: Record<string, MatrixValue>[] = [];
    for (const c of combos) for (const v of values[k] ?? []) next.push({ ...c, [k]: v });
    combos = next;
  }
  const patterns = exclude.map((p) => Object.entries(p));
  const kept = patterns.length === 0 ? combos : combos.filter((c) => !patterns.some((p) => p.every(([k, v]) => same(c[k], v))));
  // Each id written once: it names the cell and tells an include already present.
  const cells = kept.map((values, index): Cell => ({ index, id: cellId(keys, values), values }));
  const ids = new Set(cells.map((cell) => cell.id));
  for (const inc of include) {
    const values: Record<string, MatrixValue> = {};
    for (const k of keys) {
      const v = inc[k];
      if (v !== undefined) values[k] = v;
    }
    const id = cellId(keys, values);
    if (!ids.has(id)) {
      ids.add(id);
      cells.push({ index: cells.length, id, values });
    }
  }
  return cells;
}

/** Every value a key can take in some cell: its list plus values added by `include`. */
export function knownValues(spec: Pick<SweepSpec, "matrix">, key: string): MatrixValue[] {
  const out = [...(spec.matrix.values[key] ?? [])];
  for (const inc of spec.matrix.include) {
    const v = inc[key];
    if (v !== undefined && !out.some((x) => same(x, v))) out.push(v);
  }
  return out;
}

/**
 * Parse `--only connections=100,threads=4`. Repeating a key allows any of its
 * values (`connections=1,connections=10`). Unknown keys and values that no cell
 * has are reported (all at once) as a {@link SpecError} with path `--only`.
 */
export function parseOnlyFilter(text: string, spec: Pick<SweepSpec, "file" | "matrix">): CellFilter {
  const keys = spec.matrix.keys;
  const problems: string[] = [];
  const values: Record<string, MatrixValue[]> = {};
  // Spaces around a part, its key or its value are the user's layout, not part of a cell id.
  const parts = cellIdParts(text).map((part) => ({ text: part.text.trim(), key: part.key.trim(), value: part.value?.trim() }));
  if (parts.every((p) => p.text === ""))
    problems.push(`expected key=value[,key=value...], got ${JSON.stringify(text)}; matrix keys: ${keys.join(", ")}`);
  else {
    for (const { text: part, key, value: raw } of parts) {
      if (part === "") continue;
      if (raw === undefined || key === "") {
        problems.push(`expected key=value, got ${JSON.stringify(part)}; matrix keys: ${keys.join(", ")}`);
        continue;
      }
      if (!keys.includes(key)) {
        const hint = didYouMean(key, keys);
        problems.push(`unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; matrix keys: ${keys.join(", ")}`);
        continue;
      }
      const known = knownValues(spec, key);
      const match = known.find((v) => String(v) === raw);
      if (match === undefined) {
        problems.push(`${key}=${raw} is not in the matrix; ${key} values: ${known.map(String).join(", ")}`);
        continue;
      }
      const list = (values[key] ??= []);
      if (!list.some((v) => same(v, match))) list.push(match);
    }
  }
  if (problems.length) {
    throw new SpecError(problems.map((message): SpecIssue => ({ file: spec.file, path: "--only", message })));
  }
  return { text, values };
}

/** Cells matching the filter (indices and ids unchanged). */
export function applyFilter(cells: readonly Cell[], filter: CellFilter): Cell[] {
  return cells.filter((c) => Object.entries(filter.values).every(([k, vs]) => vs.some((v) => same(c.values[k], v))));
}
