/**
 * `run --set KEY=V1,V2`: replaces a matrix key's values from the command line (hyperfine's -L),
 * before validation, so the values pass the very checks the spec's own would (connections 1…4000,
 * threads 1…1024, no duplicates…). Problems carry the path `--set KEY`, not a line of the file.
 */
import { parse as parseYamlScalar } from "yaml";
import { didYouMean, formatPath, type SpecIssue } from "../errors.js";
import type { RawIssue } from "./locate.js";

/** Parses `connections=1,10,100` into [key, values]; values read as YAML scalars (100 is a number, as in the spec). */
export function parseSetFlag(text: string): [string, unknown[]] | string {
  const eq = text.indexOf("=");
  if (eq <= 0) return `expected KEY=V1,V2,..., got ${JSON.stringify(text)}`;
  const values = text
    .slice(eq + 1)
    .split(",")
    .map((v) => v.trim());
  if (values.some((v) => v === "")) return `expected KEY=V1,V2,... with no empty value, got ${JSON.stringify(text)}`;
  return [text.slice(0, eq).trim(), values.map((v) => scalar(v))];
}

/** A value given as a plain decimal number; YAML would also read 0x10, 0o20 and .inf as numbers, which --set keeps as text (refused where a number is expected). */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function scalar(text: string): unknown {
  if (!DECIMAL.test(text)) return text;
  try {
    const value: unknown = parseYamlScalar(text);
    return typeof value === "number" || typeof value === "string" ? value : text;
  } catch {
    return text;
  }
}

/**
 * Puts each `--set` into the raw spec's matrix (a key must already be in it); returns the problems
 * with unknown keys and bad flags.
 */
export function applySetOverrides(raw: unknown, sets: readonly string[], file: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const matrix = typeof raw === "object" && raw !== null ? (raw as { matrix?: unknown }).matrix : undefined;
  if (typeof matrix !== "object" || matrix === null || Array.isArray(matrix)) return issues; // the spec's own issue says it
  const keys = Object.keys(matrix).filter((k) => k !== "include" && k !== "exclude");
  for (const text of sets) {
    const parsed = parseSetFlag(text);
    if (typeof parsed === "string") {
      issues.push({ file, path: "--set", message: parsed });
      continue;
    }
    const [key, values] = parsed;
    if (!keys.includes(key)) {
      const hint = didYouMean(key, keys);
      issues.push({
        file,
        path: `--set ${key}`,
        message: `"${key}" is not a matrix key of the spec${hint ? ` (did you mean "${hint}"?)` : ""}; matrix keys: ${keys.join(", ")}`,
      });
      continue;
    }
    (matrix as Record<string, unknown>)[key] = values;
  }
  return issues;
}

/** Issues under matrix.KEY of a key set from the command line point at `--set KEY`, not at the file's (replaced) line. */
export function isSetIssue(issue: RawIssue, setKeys: readonly string[]): boolean {
  return issue.path[0] === "matrix" && setKeys.includes(String(issue.path[1]));
}

export function setIssue(issue: RawIssue, file: string): SpecIssue {
  const rest = issue.path.slice(2);
  return { file, path: `--set ${String(issue.path[1])}${rest.length ? formatPath(rest) : ""}`, message: issue.message };
}
