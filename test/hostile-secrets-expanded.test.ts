/**
 * Issue 33, classes 1 and 2: a secret written as a template is redacted as the values it expanded
 * to, and a secret the CLI inherits from its caller's environment (by name, or by the spec's
 * `redact:`) is redacted too: in the CSV's error column, raw logs, meta.json, progress, --json.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildRedactor } from "../src/sweep/secrets.js";
import { parseSpecText } from "../src/sweep/spec.js";
import { REDACTED } from "../src/untrusted/redact.js";
import { listTree, makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

const SPEC_OPTIONS = { cliEntry: "/opt/tcpsweep/dist/cli/main.js", cwd: "/tmp", onlineCpus: [0, 1] };

describe("the run's redactor", () => {
  const spec = parseSpecText(
    [
      "name: t",
      "address: 127.0.0.1:9",
      "matrix: { connections: [1, 22], threads: [3] }",
      "redact: [DB_DSN]",
      "client:",
      "  command: cli --password=cpw-{connections} --token tok-{threads}-{port} -u root",
      "  parser: json",
      "  env: { DB_PASSWORD: 'pw-{connections}-x', API_TOKEN: '{threads}', URL_KEY: 'k-{host}-{port}-z' }",
    ].join("\n"),
    "spec.yaml",
    SPEC_OPTIONS,
  );
  const redactor = buildRedactor(spec, {
    MY_API_TOKEN: "inherited-tok",
    DB_DSN: "dsn-secret",
    GH_PAT: "pat-secret",
    PWD: "/work/dir",
    HOME: "/home/u",
  });

  it("redacts every value a secret template expanded to, and nothing it could not have", () => {
    for (const value of ["pw-1-x", "pw-22-x", "cpw-1", "cpw-22", "tok-3-9", "k-127.0.0.1-9-z"])
      expect(redactor.text(`got ${value} here`), value).toBe(`got ${REDACTED} here`);
    expect(redactor.text("pw-5-x pw-1-y")).toBe("pw-5-x pw-1-y");
    expect(redactor.text("threads 3 of 3")).toBe("threads 3 of 3"); // a whole-placeholder template of short values redacts nothing
  });

  it("redacts inherited secrets by name and by redact:, and leaves the working directory and ordinary variables", () => {
    expect(redactor.text("inherited-tok dsn-secret pat-secret")).toBe(`${REDACTED} ${REDACTED} ${REDACTED}`);
    expect(redactor.text("/work/dir and /home/u")).toBe("/work/dir and /home/u");
  });
});

describe("a sweep whose secrets are templates or inherited", () => {
  it("writes none of their expanded values to any file, the terminal or --json", async () => {
    const dir = makeTempDir();
    writeSpec(
      dir,
      "process.stdout.write('progress ' + JSON.stringify(process.env) + '\\n'); process.stderr.write(`failed: ${process.argv.slice(2).join(' ')} ${JSON.stringify(process.env)}\\n`); process.exit(1);\n",
      "client.mjs",
    );
    const spec = writeSpec(dir, {
      name: "sec",
      duration: 1,
      warmup: 0,
      address: "127.0.0.1:9",
      matrix: { connections: [1, 22] },
      redact: ["DB_DSN"],
      client: {
        command: `${process.execPath} ${path.join(dir, "client.mjs")} --secret=cli-{connections}-arg`,
        parser: "json",
        env: { DB_PASSWORD: "pw-{connections}-x", SESSION: "s{connections}s{connections}" },
      },
      output: { csv: "out/sec.csv" },
    });
    const env = { MY_API_TOKEN: "inherited-api-tok", DB_DSN: "postgres://h/db?sslmode=x-dsn", APP_COOKIE: "cookie-jar-1" };
    const secrets = ["pw-1-x", "pw-22-x", "cli-1-arg", "cli-22-arg", "s1s1", "s22s22", ...Object.values(env)];
    const dry = await runCli(["run", spec, "--dry-run"], { cwd: dir, env });
    const run = await runCli(["run", spec], { cwd: dir, env });
    const json = await runCli(["run", spec, "--json", "--csv", "out/json.csv"], { cwd: dir, env });
    expect(run.status, run.stderr).toBe(1);
    expect(json.status, json.stderr).toBe(1);
    const csv = readFileSync(path.join(dir, "out/sec.csv"), "utf8");
    expect(csv).toContain("client_failed");
    expect(csv).toContain(REDACTED);
    const files = listTree(path.join(dir, "out"));
    expect(files.filter((f) => f.endsWith(".log")).length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const full = path.join(dir, "out", file);
      if (!statSync(full).isFile()) continue;
      const text = readFileSync(full, "utf8");
      for (const secret of secrets) expect(text, `${secret} in ${file}`).not.toContain(secret);
    }
    for (const output of [dry.stdout, dry.stderr, run.stdout, run.stderr, json.stdout, json.stderr])
      for (const secret of secrets) expect(output).not.toContain(secret);
    expect(json.stdout).toContain(REDACTED);
  }, 90_000);
});

/**
 * Issue 33, class 9: secret shapes checked against gitleaks' rule set (docs/security.md): its
 * generic-api-key words (key, token, pat, secret, password, auth) and its fixed token formats.
 */
describe("secret shapes", () => {
  const redactor = buildRedactor(
    parseSpecText(
      "name: t\naddress: 127.0.0.1:9\nmatrix: { connections: [1] }\nclient: { command: cli, parser: json }\n",
      "s.yaml",
      SPEC_OPTIONS,
    ),
    {},
  );
  const R = REDACTED;

  it("names: *_PAT, *COOKIE*, SESSION*; not PATH, XDG_SESSION_TYPE or PWD", () => {
    const env = { GH_PAT: "a", PAT_GITHUB: "a", APP_COOKIE: "a", cookie_jar: "a", SESSION: "a", SESSION_ID: "a", X_API_KEY: "a" };
    expect(redactor.env(env)).toEqual(Object.fromEntries(Object.keys(env).map((k) => [k, R])));
    const plain = { PATH: "/bin", XDG_SESSION_TYPE: "x11", PWD: "/w", OLDPWD: "/o", PATTERN: "p", SPATIAL: "s" };
    expect(redactor.env(plain)).toEqual(plain);
  });

  it("arguments, headers, JSON, schemes, URLs and token formats", () => {
    const cases: [string, string][] = [
      ["mysql -h db -u root -pS3cret db", `mysql -h db -u root -p${R} db`],
      ["/usr/bin/mysqldump -p S3cret db", `/usr/bin/mysqldump -p ${R} db`],
      ["mariadb-admin --user=x -pS3cret status", `mariadb-admin --user=x -p${R} status`],
      ["srv -p 9000", "srv -p 9000"],
      ['srv --token "a b c" --threads 4', `srv --token ${R} --threads 4`],
      ["srv --token 'a b' -v", `srv --token ${R} -v`],
      ['srv --password="x y"', `srv --password=${R}`],
      ["X-Api-Key: abc123", `X-Api-Key: ${R}`],
      ["curl -H 'x-api-key: abc123' url", `curl -H 'x-api-key: ${R}' url`],
      ["Cookie: sid=abc; theme=dark", `Cookie: ${R}`],
      ["Set-Cookie: sid=abc; HttpOnly", `Set-Cookie: ${R}`],
      ["X-Auth-Token: t0k", `X-Auth-Token: ${R}`],
      ['{"password": "hunter2", "user": "bob"}', `{"password": "${R}", "user": "bob"}`],
      ['{"api_key":"a\\"b"}', `{"api_key":"${R}"}`],
      ["authorization: bearer abc.def", `authorization: bearer ${R}`],
      ["got bearer abc.def", `got bearer ${R}`],
      ['Authorization: Digest username="u", response="6629fae4"', `Authorization: Digest ${R}`],
      ['Digest username="u", response="6629fae4"', `Digest ${R}`],
      ["postgres://u:pa/ss@w@db:5432/x", `postgres://${R}@db:5432/x`],
      ["https://ghp_tok@github.com/x", `https://${R}@github.com/x`],
      ["http://127.0.0.1:9000/path", "http://127.0.0.1:9000/path"],
      ["token ghp_abcdefghijklmnopqrstuvwxyz0123456789", `token ${R}`],
      ["use github_pat_11ABCDEFG0123456789_abcdefghijklmnop", `use ${R}`],
      ["slack xoxb-1234567890-abcdefghij", `slack ${R}`],
      ["id AKIAIOSFODNN7EXAMPLE here", `id ${R} here`],
      ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_123", `jwt ${R}`],
      ["-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- after", `${R} after`],
      ["MY_PAT=abc run", `MY_PAT=${R} run`],
      ["SESSION_SECRET='a b' run", `SESSION_SECRET=${R} run`],
    ];
    for (const [text, expected] of cases) expect(redactor.text(text), text).toBe(expected);
  });

  it("argv: -p VALUE after mysql-like programs, --password VALUE as two words", () => {
    expect(redactor.argv(["mysql", "-u", "root", "-p", "S3cret"])).toEqual(["mysql", "-u", "root", "-p", R]);
    expect(redactor.argv(["srv", "--password", "S3cret", "-p", "80"])).toEqual(["srv", "--password", R, "-p", "80"]);
  });
});

describe("a matrix key named like a secret", () => {
  it("is refused at the spec with its line, whatever the secret word", async () => {
    const { SpecError } = await import("../src/sweep/spec.js");
    for (const key of ["api_token", "db_password", "GH_PAT", "session_id", "cookie"]) {
      const text = `name: t\naddress: 127.0.0.1:9\nmatrix:\n  connections: [1]\n  ${key}: [abc, def]\nclient: { command: cli, parser: json }\n`;
      let error: unknown;
      try {
        parseSpecText(text, "s.yaml", SPEC_OPTIONS);
      } catch (caught) {
        error = caught;
      }
      expect(error, key).toBeInstanceOf(SpecError);
      expect(String((error as Error).message), key).toMatch(new RegExp(`s\\.yaml:5.*${key}.*named like a secret`, "s"));
    }
  });
});
