/**
 * Secrets out of every file and terminal line (docs/security.md). One redactor, built once per
 * run from the spec, is applied to meta.json, raw logs, the CSV's `error`, progress lines, the
 * report's inputs and `--json`. It redacts:
 *   - by name: values of environment variables (and JSON keys) whose name contains TOKEN, SECRET,
 *     PASSWORD, PASS, PWD, KEY, AUTH, CRED or PRIVATE, or is listed in the spec's `redact:`;
 *   - by shape, in any text: URL userinfo (`postgres://u:pw@db`), `Bearer …` / `Basic …`,
 *     `--password=…`, `--password …`, `--token …`, `--api-key …` (any flag whose name says
 *     secret), `NAME=value` with a secret NAME, and `sshpass -p …` (also inside -oProxyCommand);
 *   - by value: every value found under a secret name (3 characters or more) wherever it appears.
 */

export const REDACTED = "<redacted>";

const SECRET_WORDS = /TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|KEY|AUTH|CRED|PRIVATE/i;

/** Does an environment variable, flag or JSON key of this name hold a secret? */
export function isSecretName(name: string, extraNames: ReadonlySet<string> = new Set()): boolean {
  return SECRET_WORDS.test(name) || extraNames.has(name);
}

/** A secret flag's name as a regex source: --password, --db-pass, --api-key, --token, --auth-header, -oPassword... */
const SECRET_FLAG = String.raw`--?(?:[A-Za-z0-9_-]*(?:token|secret|pass|pwd|auth|cred|private)[A-Za-z0-9_-]*|[A-Za-z0-9_-]*key)`;

const SHAPES: readonly [RegExp, string][] = [
  // scheme://user:password@host → scheme://<redacted>@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, `$1${REDACTED}@`],
  [/\b(Bearer|Basic|Token)(\s+)[^\s'"]+/g, `$1$2${REDACTED}`],
  // sshpass -p SECRET, sshpass -pSECRET (also inside -oProxyCommand="...")
  [/\b(sshpass(?:\s+-[a-oq-zA-Z]\S*)*\s+-p)(\s*)[^\s'"]+/g, `$1$2${REDACTED}`],
  [new RegExp(String.raw`(^|[\s'"])(${SECRET_FLAG})(=|\s+)(?!-)[^\s'"]+`, "gi"), `$1$2$3${REDACTED}`],
  // NAME=value with a secret name (env assignments in commands, "AUTH_HEADER=Bearer x")
  [
    /\b([A-Za-z_][A-Za-z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|KEY|AUTH|CRED|PRIVATE)[A-Za-z0-9_]*)=(?!<redacted>)[^\s'"]+/gi,
    `$1=${REDACTED}`,
  ],
];

/** The minimum length of a value redacted wherever it appears (shorter ones would hit ordinary text). */
const MIN_VALUE_LENGTH = 3;

export class Redactor {
  private readonly values: string[];

  constructor(
    /** Extra names whose values are secret (the spec's `redact:`). */
    readonly extraNames: ReadonlySet<string> = new Set(),
    secretValues: Iterable<string> = [],
  ) {
    // Longest first, so a value containing another is replaced whole.
    this.values = [...new Set(secretValues)].filter((value) => value.length >= MIN_VALUE_LENGTH).sort((a, b) => b.length - a.length);
  }

  /** A redactor that also knows the secret values of these environments. */
  static forEnvironments(extraNames: Iterable<string>, ...envs: Readonly<Record<string, string>>[]): Redactor {
    const names = new Set(extraNames);
    const values = envs.flatMap((env) =>
      Object.entries(env)
        .filter(([name]) => isSecretName(name, names))
        .map(([, value]) => value),
    );
    return new Redactor(names, values);
  }

  isSecretName(name: string): boolean {
    return isSecretName(name, this.extraNames);
  }

  /** Text with every secret value and secret-shaped part replaced by <redacted>. */
  text(text: string): string {
    let out = text;
    for (const value of this.values) out = out.split(value).join(REDACTED);
    for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
    for (const name of this.extraNames)
      out = out.replace(new RegExp(String.raw`\b(${escapeRegExp(name)})=[^\s'"]+`, "g"), `$1=${REDACTED}`);
    return out;
  }

  /** An argv with secrets redacted, including the value after a secret flag given as its own word. */
  argv(argv: readonly string[]): string[] {
    const flag = new RegExp(`^${SECRET_FLAG}$`, "i");
    return argv.map((word, i) => {
      const previous = argv[i - 1];
      if (
        previous !== undefined &&
        (flag.test(previous) || (previous === "-p" && argv.slice(0, i - 1).some((w) => /(^|\/)sshpass$/.test(w))))
      )
        return REDACTED;
      return this.text(word);
    });
  }

  /** An environment with the values of secret names replaced. */
  env(env: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, this.isSecretName(name) ? REDACTED : this.text(value)]));
  }

  /** Any JSON-like value: strings redacted, values under secret keys replaced, arrays of words as argv. */
  deep(value: unknown): unknown {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value))
      return value.every((item) => typeof item === "string") ? this.argv(value) : value.map((item) => this.deep(item));
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, typeof item === "string" && this.isSecretName(key) ? REDACTED : this.deep(item)]),
    );
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
