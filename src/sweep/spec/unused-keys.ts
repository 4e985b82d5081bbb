/**
 * A matrix key that nothing reads: no command or env value names it as a placeholder, no built-in
 * program takes it and it names no `servers:`/`clients:` entry. Its values would give cells that
 * differ only in a label, so the same run repeats under different names (a typo like `thread:`
 * for `threads:`). Refused at the spec check with the key, its line and a did-you-mean (issue 30).
 * Checked on the resolved spec: its argv already holds every placeholder the built-in server and
 * client fill from the matrix (server/argv.ts, client/argv.ts, resolve.ts's `rate`).
 */
import type { CommandTemplate, SweepSpec } from "../../model/spec-types.js";
import { didYouMean } from "../errors.js";
import { placeholdersOf } from "../template.js";
import type { RawIssue } from "./locate.js";
import { CLIENT_KEY, SERVER_KEY } from "./named-dimensions.js";

/** Matrix keys the built-in server and client can take (the suggestions for a key none of them uses). */
const BUILTIN_PROGRAM_KEYS = ["connections", "threads", "reply", "protocol", "accept", "length", "rate"];

function commandsOf(spec: SweepSpec): CommandTemplate[] {
  return [...(spec.server ? [spec.server] : []), ...Object.values(spec.servers ?? {}), spec.client, ...Object.values(spec.clients ?? {})];
}

/** Every placeholder any command of the spec fills, in its argv or its env values. */
export function usedPlaceholders(spec: SweepSpec): Set<string> {
  const used = new Set<string>();
  for (const command of commandsOf(spec)) {
    for (const name of placeholdersOf([...command.argv, ...Object.values(command.env)])) used.add(name);
  }
  return used;
}

/** Matrix keys with two or more values that nothing reads (one value changes no cell: left alone). */
export function unusedMatrixKeyIssues(spec: SweepSpec): RawIssue[] {
  const used = usedPlaceholders(spec);
  if (spec.servers) used.add(SERVER_KEY);
  if (spec.clients) used.add(CLIENT_KEY);
  const candidates = [...new Set([...used, ...BUILTIN_PROGRAM_KEYS])];
  return spec.matrix.keys
    .filter((key) => !used.has(key) && (spec.matrix.values[key]?.length ?? 0) >= 2)
    .map((key) => {
      const hint = didYouMean(key, candidates);
      return {
        path: ["matrix", key],
        atKey: true,
        message:
          `is used by no command, env value, client setting or built-in program, so its ${spec.matrix.values[key]!.length} values would run the same cell under different names` +
          `${hint ? ` (did you mean "${hint}"?)` : ""}; use it as {${key}} in a command or env value, or remove it`,
      };
    });
}
