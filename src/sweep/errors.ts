/**
 * Located, user-facing errors for sweep specs (and the CLI flags that feed them).
 *
 * Every problem found in a spec becomes one `SpecIssue`; a `SpecError` carries all
 * of them at once so the user can fix a spec in one pass.
 */

export interface SpecIssue {
  /** The spec file as the user named it (or a CLI pseudo-file). */
  file: string;
  /** 1-based line of the offending YAML node, when known. */
  line?: number;
  /** 1-based column, only set for YAML syntax errors (not part of the formatted prefix). */
  column?: number;
  /** Key path in `a.b[2]` form, or a CLI flag such as `--repeat`. */
  path: string;
  message: string;
}

/** `FILE:LINE PATH: MESSAGE`, or `FILE PATH: MESSAGE` when the line is unknown. */
export function formatSpecIssue(issue: SpecIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where} ${issue.path}: ${issue.message}`;
}

export class SpecError extends Error {
  readonly issues: SpecIssue[];

  constructor(issues: SpecIssue[]) {
    super(issues.map(formatSpecIssue).join("\n"));
    this.name = "SpecError";
    this.issues = issues;
  }
}

/** Path used for problems that concern the document as a whole. */
export const ROOT_PATH = "(top level)";

/** Render a key path as `a.b[2]`; the empty path renders as {@link ROOT_PATH}. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out === "" ? ROOT_PATH : out;
}

/** Edit distance (Levenshtein, with a swap of two adjacent characters counting as one edit). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const up = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, ((d[i - 2] as number[])[j - 2] ?? 0) + 1);
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] ?? 0;
}

/**
 * The closest candidate to `word`, if it is close enough to be a plausible typo:
 * same letters ignoring case/`_`/`-` (readyTimeout → ready_timeout), or an edit
 * distance ≤ 2 (≤ 1 for words of up to 4 characters; a swap of adjacent letters is 1).
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const w = norm(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = norm(c) === w ? 0 : editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(word.length, best.length) <= 4 ? 1 : 2;
  return bestD <= limit ? best : undefined;
}

/** Short human rendering of a parsed YAML value for "got ..." messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "nothing (null)";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return v.length === 0 ? "an empty list" : "a list";
  if (v instanceof Date) return `a date (${JSON.stringify(v.toISOString())})`;
  if (typeof v === "object") return "a mapping";
  return typeof v;
}
