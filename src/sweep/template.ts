/**
 * Command templates: POSIX-like word splitting (no shell is run) and `{name}`
 * placeholder expansion.
 */
import { LRUCache } from "lru-cache";
import { escapeRegExp } from "../untrusted/redact.js";

/** Thrown for malformed command strings or templates; `column` is 1-based within the string. */
export class TemplateError extends Error {
  readonly column: number | undefined;
  constructor(message: string, column?: number) {
    super(message);
    this.name = "TemplateError";
    this.column = column;
  }
}

const WS = new Set([" ", "\t", "\n", "\r"]);
/** Characters a backslash escapes inside double quotes (POSIX); other backslashes stay literal. */
const DQ_ESCAPABLE = new Set(['"', "\\", "$", "`"]);

/**
 * Split a command line into argv the way a POSIX shell splits words, without
 * running a shell:
 * - unquoted whitespace separates words;
 * - `'...'` is fully literal;
 * - `"..."` is literal except `\"`, `\\`, `\$`, `` \` `` and backslash-newline;
 * - outside quotes `\x` is a literal `x`, backslash-newline is a line continuation;
 * - adjacent pieces join (`a'b c'd` → `ab cd`), `''` is an empty argument;
 * - `$VAR`, globs, `|`, `>` etc. are NOT special: they are passed on literally.
 * Throws {@link TemplateError} on an unterminated quote or a trailing backslash.
 */
export function splitCommand(command: string): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const n = command.length;
  while (i < n) {
    const c = command[i] as string;
    if (WS.has(c)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
      i++;
      continue;
    }
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new TemplateError(`unterminated single quote (opened at column ${i + 1})`, i + 1);
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const open = i;
      i++;
      let closed = false;
      while (i < n) {
        const d = command[i] as string;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === "\\" && i + 1 < n) {
          const e = command[i + 1] as string;
          if (e === "\n") {
            i += 2;
            continue;
          }
          if (DQ_ESCAPABLE.has(e)) {
            word += e;
            i += 2;
            continue;
          }
        }
        word += d;
        i++;
      }
      if (!closed) throw new TemplateError(`unterminated double quote (opened at column ${open + 1})`, open + 1);
      inWord = true;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= n) throw new TemplateError(`trailing backslash at column ${i + 1}`, i + 1);
      const e = command[i + 1] as string;
      i += 2;
      if (e === "\n") continue; // line continuation
      word += e;
      inWord = true;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  if (inWord) out.push(word);
  return out;
}

const NAME_START = /[A-Za-z_]/;
const NAME_REST = /[A-Za-z0-9_]/;

type Piece = { lit: string } | { name: string };

/**
 * Templates already parsed: every cell of a sweep expands the same few. Bounded, so a spec of
 * many distinct strings cannot grow it without end; a malformed one is not kept (it throws each time).
 */
const parsed = new LRUCache<string, readonly Piece[]>({ max: 10_000 });

/** Parse one template string into literal text and placeholder pieces (shared: not to be changed). */
function parseTemplate(s: string): readonly Piece[] {
  let pieces = parsed.get(s);
  if (pieces === undefined) {
    pieces = parseTemplateText(s);
    parsed.set(s, pieces);
  }
  return pieces;
}

function parseTemplateText(s: string): Piece[] {
  const pieces: Piece[] = [];
  let lit = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === "{") {
      if (s[i + 1] === "{") {
        lit += "{";
        i += 2;
        continue;
      }
      let j = i + 1;
      if (j < s.length && NAME_START.test(s[j] as string)) {
        j++;
        while (j < s.length && NAME_REST.test(s[j] as string)) j++;
        if (s[j] === "}") {
          if (lit) pieces.push({ lit });
          lit = "";
          pieces.push({ name: s.slice(i + 1, j) });
          i = j + 1;
          continue;
        }
      }
      throw new TemplateError(
        `malformed placeholder at column ${i + 1} in ${JSON.stringify(s)}: expected {name} (letters, digits, _); write {{ for a literal "{"`,
        i + 1,
      );
    }
    if (c === "}") {
      if (s[i + 1] === "}") {
        lit += "}";
        i += 2;
        continue;
      }
      throw new TemplateError(`unmatched "}" at column ${i + 1} in ${JSON.stringify(s)}; write }} for a literal "}"`, i + 1);
    }
    lit += c;
    i++;
  }
  if (lit) pieces.push({ lit });
  return pieces;
}

/** Distinct placeholder names used in `argv`, in order of first appearance. Throws {@link TemplateError} on malformed braces. */
export function placeholdersOf(argv: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const arg of argv) {
    for (const p of parseTemplate(arg)) if ("name" in p) seen.add(p.name);
  }
  return [...seen];
}

/**
 * Replace `{name}` with `values[name]` in every argument (`{{`/`}}` → literal braces).
 * Each argument stays one argument (no re-splitting). Throws {@link TemplateError}
 * for a placeholder without a value.
 */
export function expandTemplate(argv: readonly string[], values: Readonly<Record<string, string | number>>): string[] {
  return argv.map((arg) => {
    let out = "";
    for (const p of parseTemplate(arg)) {
      if ("lit" in p) out += p.lit;
      else if (Object.prototype.hasOwnProperty.call(values, p.name)) out += String(values[p.name]);
      else throw new TemplateError(`unknown placeholder {${p.name}}; defined: ${Object.keys(values).join(", ")}`);
    }
    return out;
  });
}

/** An `env` map with its values' placeholders filled in. */
export function expandEnv(
  env: Readonly<Record<string, string>>,
  values: Readonly<Record<string, string | number>>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, expandTemplate([value], values)[0]!]));
}

/** `argv` as one POSIX shell command line that can be pasted: words with anything special in single quotes. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/**
 * A pattern for every value `template` can expand to, or undefined when it has no placeholder: its
 * literal text, each placeholder as the values it can take (`valuesOf`) or, when those are not
 * known in advance (a port), as a short word. The redactor uses it for secrets written as templates.
 */
export function templateMatcher(template: string, valuesOf: (name: string) => readonly string[] | undefined): RegExp | undefined {
  let pieces: readonly Piece[];
  try {
    pieces = parseTemplate(template);
  } catch {
    return undefined; // the spec check reports it
  }
  if (!pieces.some((p) => "name" in p)) return undefined;
  let shortest = 0; // the shortest text it matches: under 3 characters it would hit ordinary text
  const source = pieces
    .map((p) => {
      if ("lit" in p) {
        shortest += p.lit.length;
        return escapeRegExp(p.lit);
      }
      const known = valuesOf(p.name);
      if (!known || known.length === 0) {
        shortest += 1;
        return String.raw`[^\s'"]{1,64}?`;
      }
      shortest += Math.min(...known.map((v) => v.length));
      return `(?:${[...known]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|")})`;
    })
    .join("");
  return shortest >= 3 ? new RegExp(source, "g") : undefined;
}
