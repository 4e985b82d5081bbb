/**
 * A section of bench/RESULTS.md that one script owns, between its START and END comment lines: the
 * script's run replaces what is between them (or appends the section), prints it, and leaves the
 * rest of the file as it was (compare-scale, spec-scale).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./options.js";

export function writeMarkedSection(start: string, end: string, body: string): void {
  const results = path.join(REPO_ROOT, "bench/RESULTS.md");
  const text = readFileSync(results, "utf8");
  const at = text.indexOf(start);
  const next = at >= 0 ? text.slice(0, at) + body + text.slice(text.indexOf(end) + end.length) : `${text.trimEnd()}\n\n${body}\n`;
  writeFileSync(results, next);
  process.stdout.write(`${body}\n`);
}
