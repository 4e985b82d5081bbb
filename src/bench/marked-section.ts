/**
 * A section of bench/RESULTS.md that one script owns, between its START and END comment lines: the
 * script's run replaces what is between them (or appends the section), prints it, and leaves the
 * rest of the file as it was (compare-scale, spec-scale, and the bench's warm-client and accept sections).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Machine } from "./machine.js";
import { REPO_ROOT } from "./options.js";

/** `previous` with the block between `start` and `end` replaced by `block` (which carries both lines), or the block appended. */
export function spliceMarked(previous: string | undefined, start: string, end: string, block: string): string {
  const text = previous ?? "";
  const at = text.indexOf(start);
  const until = text.indexOf(end, at);
  if (at >= 0 && until > at) return text.slice(0, at) + block + text.slice(until + end.length);
  return `${text.trimEnd()}\n\n${block}\n`;
}

export function writeMarkedSection(start: string, end: string, body: string, results = path.join(REPO_ROOT, "bench/RESULTS.md")): void {
  let text: string | undefined;
  try {
    text = readFileSync(results, "utf8");
  } catch {
    text = undefined;
  }
  writeFileSync(results, spliceMarked(text, start, end, body));
  process.stdout.write(`${body}\n`);
}

/** When, how and on what a marked section was measured: its first lines. */
export interface Provenance {
  startedAt: string;
  commandLine: string;
  machine: Machine;
  /** 1-minute load average as the section ended. */
  loadAtEnd: number;
}

export function provenanceLines(run: Provenance): string[] {
  const { machine } = run;
  const busy = Math.max(machine.loadAtStart, run.loadAtEnd) >= 1 ? " (the machine was busy: expect noisy numbers)" : "";
  return [
    `- Date: ${run.startedAt}; command: \`${run.commandLine}\`; machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, kernel ${machine.kernel}, Node ${machine.node}.`,
    `- Load average (1 min): ${machine.loadAtStart.toFixed(2)} at start, ${run.loadAtEnd.toFixed(2)} at the end${busy}.`,
  ];
}
