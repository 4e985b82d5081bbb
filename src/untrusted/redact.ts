/**
 * Secrets out of every file and terminal line (docs/security.md). One redactor, built once per
 * run from the spec (src/sweep/secrets.ts), is applied to meta.json, raw logs, the CSV's `error`,
 * progress lines, the report's inputs and `--json`. It redacts:
 *   - by name: values of environment variables (the spec's and the ones tcpsweep's children inherit)
 *     and JSON keys whose name says secret ({@link isSecretName}), or is listed in the spec's `redact:`;
 *   - by value: every value found under a secret name (3 characters or more) wherever it appears,
 *     and every value a template under a secret name expands to ({@link Redactor} `matchers`);
 *   - by shape, in any text ({@link SHAPES}): URL userinfo, authorization schemes, secret flags and
 *     headers, JSON members, `NAME=value`, `-p` after sshpass and mysql-like programs, and the
 *     token formats of gitleaks' rule set (private key blocks, GitHub, Slack, AWS, JWT).
 */
import { LRUCache } from "lru-cache";

export const REDACTED = "<redacted>";

/**
 * Name parts that say secret. The words of gitleaks' generic-api-key rule (key, token, pat, secret,
 * password, auth; cmd/generate/config/rules/generic.go) plus pass/pwd/cred/private, cookies and
 * sessions. PAT only as a whole part (PATH is not one); SESSION only at the start (XDG_SESSION_TYPE is not one).
 */
const SECRET_WORDS = /TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|KEY|AUTH|CRED|PRIVATE|COOKIE|^SESSION|(?:^|_)PAT(?:_|$)/i;
/** Names that contain a secret word but hold a path everybody may see (the working directory, agent sockets). */
const NOT_SECRET = new Set(["PWD", "OLDPWD", "SSH_AUTH_SOCK", "XAUTHORITY", "GPG_AGENT_INFO"]);

/** Does an environment variable, flag or JSON key of this name hold a secret? */
export function isSecretName(name: string, extraNames: ReadonlySet<string> = new Set()): boolean {
  return extraNames.has(name) || (SECRET_WORDS.test(name) && !NOT_SECRET.has(name.toUpperCase()));
}

/** A secret flag's name as a regex source: --password, --db-pass, --api-key, --token, --auth-header, --cookie, -oPassword... */
const SECRET_FLAG = String.raw`--?(?:[A-Za-z0-9_-]*(?:token|secret|pass|pwd|auth|cred|private|cookie|session)[A-Za-z0-9_-]*|[A-Za-z0-9_-]*key|[A-Za-z0-9_-]*-pat)`;
/** Programs whose `-p` takes the password (sshpass -p SECRET, mysql -pSECRET and its family). */
const PASSWORD_P_PROGRAMS = String.raw`(?:sshpass|mysql[a-z_-]*|mariadb[a-z_-]*)`;
/** A value after a flag or a header: quoted (with spaces) or one word. */
const VALUE = String.raw`(?:"[^"\r\n]*"|'[^'\r\n]*'|[^\s'"]+)`;
/** Header names that carry credentials: Authorization, Cookie, X-Api-Key, X-Auth-Token, any *-Token / *-Secret. */
const SECRET_HEADER = String.raw`(?:Proxy-)?Authorization|(?:Set-)?Cookie|[A-Za-z0-9-]*(?:Api-?Key|-Token|-Secret|-Auth[A-Za-z-]*)`;
const NAME_WORDS = "TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|KEY|AUTH|CRED|PRIVATE|COOKIE|SESSION";

const SHAPES: readonly [RegExp, string][] = [
  // gitleaks' fixed formats: private key blocks, GitHub tokens, Slack tokens, AWS access key ids, JWTs.
  [/-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END[A-Z ]*PRIVATE KEY( BLOCK)?-----|$)/g, REDACTED],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})\b/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // scheme://user:password@host (the password may hold / and @: up to the word's last @) → scheme://<redacted>@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s:/@'"]*:[^\s'"]*@/gi, `$1${REDACTED}@`],
  [/\b([a-z][a-z0-9+.-]*:\/\/)(?!<redacted>)[^\s/@:'"]+@/gi, `$1${REDACTED}@`],
  // Authorization: … / Cookie: … / X-Api-Key: … (the rest of the line)
  [
    new RegExp(
      String.raw`(^|[\s'"])(${SECRET_HEADER})(:[ \t]*(?![ \t])(?:(?:Bearer|Basic|Token)[ \t]+)?)(?!<redacted>|Digest\s)[^\r\n'"]+`,
      "gim",
    ),
    `$1$2$3${REDACTED}`,
  ],
  [/\b([Bb]earer|BEARER|Basic|Token)(\s+)(?!<redacted>)[^\s'"]+/g, `$1$2${REDACTED}`],
  [/\b(Digest)(\s+)(?!<redacted>)[^\r\n]+/g, `$1$2${REDACTED}`],
  // "password": "…" (JSON and JS-like members with a secret name)
  [
    new RegExp(String.raw`(["']?[A-Za-z0-9_-]*(?:${NAME_WORDS})[A-Za-z0-9_-]*["']?\s*:\s*)("(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*')`, "gi"),
    `$1"${REDACTED}"`,
  ],
  // sshpass -p SECRET, mysql -u root -pSECRET, mysqldump -p SECRET (also inside -oProxyCommand="...")
  [
    new RegExp(String.raw`\b(${PASSWORD_P_PROGRAMS}(?:[ \t]+(?!-p)[^\s'"]+)*?[ \t]+-p)([ \t]*)(?!<redacted>)[^\s'"]+`, "g"),
    `$1$2${REDACTED}`,
  ],
  [new RegExp(String.raw`(^|[\s'"])(${SECRET_FLAG})(=|\s+)(?!-|<redacted>)${VALUE}`, "gi"), `$1$2$3${REDACTED}`],
  // NAME=value with a secret name (env assignments in commands, "AUTH_HEADER=Bearer x")
  [new RegExp(String.raw`\b([A-Za-z_][A-Za-z0-9_]*(?:${NAME_WORDS}|_PAT\b)[A-Za-z0-9_]*)=(?!<redacted>)${VALUE}`, "gi"), `$1=${REDACTED}`],
];

/** The minimum length of a value redacted wherever it appears (shorter ones would hit ordinary text). */
const MIN_VALUE_LENGTH = 3;
/** Values that are settings, not secrets, whatever their variable is called (NO_AUTH=true). */
const NOT_A_SECRET_VALUE = /^(true|false|yes|no|on|off|none|null)$/i;

/** How many argv words a redactor remembers (a sweep's commands repeat the same few words cell after cell), and how long one may be. */
const MAX_CACHED_WORDS = 10_000;
const MAX_CACHED_WORD_LENGTH = 256;

export class Redactor {
  private readonly values: string[];
  /** `NAME=value` for each extra name, compiled once (text() runs for every word of every command). */
  private readonly extraAssignments: RegExp[];
  /** argv words already redacted: text() is a pure function of the word for a given redactor. */
  private readonly words = new LRUCache<string, string>({ max: MAX_CACHED_WORDS });

  constructor(
    /** Extra names whose values are secret (the spec's `redact:`). */
    readonly extraNames: ReadonlySet<string> = new Set(),
    secretValues: Iterable<string> = [],
    /** Patterns for the values a secret template expands to (`pw-{threads}` → /pw-(?:1|2)/). */
    private readonly matchers: readonly RegExp[] = [],
  ) {
    // Longest first, so a value containing another is replaced whole.
    this.values = [...new Set(secretValues)]
      .filter((value) => value.length >= MIN_VALUE_LENGTH && !NOT_A_SECRET_VALUE.test(value))
      .sort((a, b) => b.length - a.length);
    this.extraAssignments = [...extraNames].map((name) => new RegExp(String.raw`\b(${escapeRegExp(name)})=(?!<redacted>)${VALUE}`, "g"));
  }

  /** The secret values of these environments: by name and by the extra names. */
  static secretValuesOf(extraNames: ReadonlySet<string>, ...envs: Readonly<Record<string, string | undefined>>[]): string[] {
    return envs.flatMap((env) =>
      Object.entries(env)
        .filter(([name, value]) => value !== undefined && isSecretName(name, extraNames))
        .map(([, value]) => value!),
    );
  }

  /** A redactor that also knows the secret values of these environments. */
  static forEnvironments(extraNames: Iterable<string>, ...envs: Readonly<Record<string, string>>[]): Redactor {
    const names = new Set(extraNames);
    return new Redactor(names, Redactor.secretValuesOf(names, ...envs));
  }

  isSecretName(name: string): boolean {
    return isSecretName(name, this.extraNames);
  }

  /** Text with every secret value and secret-shaped part replaced by <redacted>. */
  text(text: string): string {
    let out = text;
    for (const value of this.values) out = out.split(value).join(REDACTED);
    for (const matcher of this.matchers) out = out.replace(matcher, REDACTED);
    for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
    for (const assignment of this.extraAssignments) out = out.replace(assignment, `$1=${REDACTED}`);
    return out;
  }

  /** An argv with secrets redacted, including the value after a secret flag given as its own word. */
  argv(argv: readonly string[]): string[] {
    const secretAt = secretArgIndexes(argv);
    return argv.map((word, i) => (secretAt.has(i) ? REDACTED : this.word(word)));
  }

  /** text() of one argv word, remembered: a dry run of 10,000 cells redacts the same words 10,000 times. */
  private word(word: string): string {
    if (word.length > MAX_CACHED_WORD_LENGTH) return this.text(word);
    let out = this.words.get(word);
    if (out === undefined) {
      out = this.text(word);
      this.words.set(word, out);
    }
    return out;
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

/** A whole word that is a secret flag; a word that is a program taking its password after `-p` (neither global: no lastIndex state). */
const WHOLE_SECRET_FLAG = new RegExp(`^${SECRET_FLAG}$`, "i");
const PASSWORD_P_PROGRAM = new RegExp(String.raw`(^|/)${PASSWORD_P_PROGRAMS}$`);

/** The positions of argv words that are a secret on their own: after `--password`, after `-p` of sshpass/mysql. */
function secretArgIndexes(argv: readonly string[]): Set<number> {
  const out = new Set<number>();
  argv.forEach((word, i) => {
    const previous = argv[i - 1];
    if (previous === undefined) return;
    if (WHOLE_SECRET_FLAG.test(previous) || (previous === "-p" && argv.slice(0, i - 1).some((w) => PASSWORD_P_PROGRAM.test(w)))) out.add(i);
  });
  return out;
}

/**
 * The secret parts of an argv, as written (templates included): words after a secret flag, the
 * value of `--secret-flag=value` and of `SECRET_NAME=value`, and `-pVALUE` of mysql-like programs.
 */
export function secretArgs(argv: readonly string[]): string[] {
  const out = [...secretArgIndexes(argv)].map((i) => argv[i]!);
  const joined = new RegExp(String.raw`^(?:${SECRET_FLAG}|[A-Za-z_][A-Za-z0-9_]*(?:${NAME_WORDS})[A-Za-z0-9_]*)=(.+)$`, "i");
  const hasPasswordP = argv.some((word) => PASSWORD_P_PROGRAM.test(word));
  for (const word of argv) {
    const match = joined.exec(word);
    if (match) out.push(match[1]!);
    else if (hasPasswordP && /^-p./.test(word)) out.push(word.slice(2));
  }
  return out;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
