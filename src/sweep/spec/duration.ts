/**
 * Durations, one parser for the spec (durationSchema), `run --duration/--lock-wait` and the client's
 * `--duration/--warmup/--timeout`: a number of seconds (`3`, `0.5`), or one or more number+unit
 * parts with units from largest to smallest (`500ms`, `2s`, `1m30s`, `1h 5m`, `1.5h`). No imports
 * beyond errors.ts, so the client's command line can use it without loading zod or YAML.
 */
import { describeValue } from "../errors.js";

export const DURATION_SYNTAX = `a duration like "10s", "500ms", "1m30s" or a number of seconds`;
const UNIT_S = { h: 3600, m: 60, s: 1, ms: 0.001 } as const;
const ORDER = ["h", "m", "s", "ms"];
const PART = /(\d+(?:\.\d*)?|\.\d+)\s*(ms|h|m|s)\s*/y;

/** Seconds for "10s", "500ms", "1m30s", "1.5h", "3" or 3 (sign allowed, range is checked by the caller); undefined if not a duration. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string") return undefined;
  const text = v.trim();
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return Number(text);
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^[-+]\s*/, "");
  let total = 0;
  let lastUnit = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < body.length) {
    const at = PART.lastIndex;
    const part = PART.exec(body);
    if (!part || part.index !== at) return undefined;
    const unit = ORDER.indexOf(part[2]!);
    if (unit <= lastUnit) return undefined; // "30s1m", "1m1m": not a duration anyone means
    lastUnit = unit;
    total += Number(part[1]) * UNIT_S[part[2] as keyof typeof UNIT_S];
  }
  return body === "" || !Number.isFinite(total) ? undefined : sign * total;
}

/** Node's timers hold at most 2^31 - 1 ms (about 24.8 days); a longer one fires after 1 ms instead. */
export const MAX_DURATION_S = (2 ** 31 - 1) / 1000;

/** Seconds, or the message saying why `v` is not a duration (`positive`: above 0, else 0 or more). */
export function checkDuration(v: unknown, positive: boolean): number | { message: string } {
  const s = parseDuration(v);
  if (s === undefined) return { message: `expected ${DURATION_SYNTAX}, got ${describeValue(v)}` };
  if (positive ? s <= 0 : s < 0) return { message: `expected a duration ${positive ? "> 0" : ">= 0"}, got ${describeValue(v)}` };
  if (s > MAX_DURATION_S)
    return { message: `expected a duration of at most 596h (about 24.8 days, the longest timer Node has), got ${describeValue(v)}` };
  return s;
}
