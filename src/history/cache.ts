/**
 * What `history` remembers between runs, in <nightly dir>/.history.json: per series, the values it
 * saw, its weak change points (so the next night recomputes only the tail, as Otava's incremental
 * mode does) and the change points it reported (so a change point is "new" once). Recomputed from
 * scratch when the options changed or an old value differs (a night rerun, a CSV edited).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ChangePoint } from "./e-divisive.js";
import type { HistoryOptions } from "./detect.js";
import { allPositive } from "./series.js";

// 2: splits judged with the night as the unit (nights-test.ts); 3: with the repeats, splits placed on
// the logs (detect.ts). Weak points of an older version are stale.
const CACHE_VERSION = 3;

export interface CachedSeries {
  values: number[];
  weak: ChangePoint[];
  /** Times of the change points reported so far. */
  reported: string[];
}

export interface HistoryCache {
  version: number;
  options: string;
  series: Record<string, CachedSeries>;
}

export const cachePath = (dir: string) => path.join(dir, ".history.json");
const optionsKey = (options: HistoryOptions) => JSON.stringify(options);

/** The cache of `dir` made with the same options, or undefined (none, unreadable, other options). */
export function readCache(dir: string, options: HistoryOptions): HistoryCache | undefined {
  const file = cachePath(dir);
  if (!existsSync(file)) return undefined;
  try {
    const cache = JSON.parse(readFileSync(file, "utf8")) as HistoryCache;
    return cache.version === CACHE_VERSION && cache.options === optionsKey(options) ? cache : undefined;
  } catch {
    return undefined;
  }
}

export const emptyCache = (options: HistoryOptions): HistoryCache => ({ version: CACHE_VERSION, options: optionsKey(options), series: {} });

/** Written whole, then renamed: a reader never sees half a file. */
export function writeCache(dir: string, cache: HistoryCache): void {
  const file = cachePath(dir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(cache)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * The cached state usable for `values`: its old values must be a prefix of them, placed on the same
 * scale (with the repeats, splits are placed on logs only while every value is positive: detect.ts).
 */
export function usableEntry(entry: CachedSeries | undefined, values: readonly number[]): CachedSeries | undefined {
  if (!entry || entry.values.length === 0 || entry.values.length > values.length) return undefined;
  if (allPositive(entry.values) !== allPositive(values)) return undefined;
  return entry.values.every((value, i) => value === values[i]) ? entry : undefined;
}
