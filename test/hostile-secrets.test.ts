/**
 * Issue 20, secrets: by name, by shape and by the spec's `redact:` list, no secret reaches any file
 * tcpsweep writes (meta.json, raw logs, the CSV's error) or its terminal output; meta.json is 0600
 * and the raw directory 0700.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Redactor, REDACTED } from "../src/untrusted/redact.js";
import { listTree, makeTempDir, removeTempDirs, runCli, writeSpec } from "./helpers/sweep.js";

afterEach(removeTempDirs);

describe("Redactor", () => {
  const redactor = Redactor.forEnvironments(["CUSTOM"], {
    DB_PASSWD: "pw-passwd",
    MYSQL_PWD: "pw-mysql",
    CUSTOM: "custom-value",
    PORT: "9000",
  });

  it("redacts by shape", () => {
    const cases: [string, string][] = [
      ["srv --password=hunter2 -p 9000", `srv --password=${REDACTED} -p 9000`],
      ["srv --password hunter2", `srv --password ${REDACTED}`],
      ["srv --token abc --api-key def --threads 4", `srv --token ${REDACTED} --api-key ${REDACTED} --threads 4`],
      ["postgres://u:PASSWORD@db/x", `postgres://${REDACTED}@db/x`],
      ["Authorization: Bearer abc.def", `Authorization: Bearer ${REDACTED}`],
      ["-oProxyCommand=sshpass -p hunter2 ssh -W %h:%p jump", `-oProxyCommand=sshpass -p ${REDACTED} ssh -W %h:%p jump`],
      ["sshpass -phunter2 ssh x", `sshpass -p${REDACTED} ssh x`],
      ["MY_TOKEN=abc run", `MY_TOKEN=${REDACTED} run`],
      ["--key-size 2048 --threads 4", "--key-size 2048 --threads 4"],
    ];
    for (const [text, expected] of cases) expect(redactor.text(text), text).toBe(expected);
  });

  it("redacts the values of secret names (built-in words and redact:) wherever they appear", () => {
    expect(redactor.text("connecting with pw-passwd, pw-mysql and custom-value on 9000")).toBe(
      `connecting with ${REDACTED}, ${REDACTED} and ${REDACTED} on 9000`,
    );
    expect(redactor.env({ DB_PASSWD: "x", AUTH_HEADER: "y", CREDENTIALS: "z", PRIVATE_FILE: "w", CUSTOM: "v", PORT: "1" })).toEqual({
      DB_PASSWD: REDACTED,
      AUTH_HEADER: REDACTED,
      CREDENTIALS: REDACTED,
      PRIVATE_FILE: REDACTED,
      CUSTOM: REDACTED,
      PORT: "1",
    });
  });

  it("redacts an argv: the word after a secret flag, -p after sshpass", () => {
    expect(redactor.argv(["srv", "--password", "x1", "-p", "80"])).toEqual(["srv", "--password", REDACTED, "-p", "80"]);
    expect(redactor.argv(["/usr/bin/sshpass", "-p", "x1", "ssh"])).toEqual(["/usr/bin/sshpass", "-p", REDACTED, "ssh"]);
  });
});

describe("a sweep with secrets in its environment, command lines and ssh options", () => {
  it("writes none of them to any file or terminal line; meta.json 0600, raw directory 0700", async () => {
    const dir = makeTempDir();
    const secrets = ["pw-passwd-1", "pw-mysql-2", "bearer-tok-3", "dburl-pw-4", "cred-5", "custom-6", "cli-pw-7", "api-key-8", "sshpass-9"];
    writeSpec(
      dir,
      "process.stderr.write(`failed: ${process.argv.slice(2).join(' ')} ${JSON.stringify(process.env)}\\n`); process.exit(1);\n",
      "client.mjs",
    );
    const spec = writeSpec(dir, {
      name: "sec",
      duration: 1,
      warmup: 0,
      address: "127.0.0.1:9",
      matrix: { connections: [1] },
      redact: ["CUSTOM"],
      ssh: { options: ["-oProxyCommand=sshpass -p sshpass-9 ssh -W %h:%p jump"] },
      client: {
        command: `${process.execPath} ${path.join(dir, "client.mjs")} --password=cli-pw-7 --api-key api-key-8`,
        parser: "json",
        env: {
          DB_PASSWD: "pw-passwd-1",
          MYSQL_PWD: "pw-mysql-2",
          AUTH_HEADER: "Bearer bearer-tok-3",
          DATABASE_URL: "postgres://u:dburl-pw-4@db/x",
          CREDENTIALS: "cred-5",
          CUSTOM: "custom-6",
        },
      },
      output: { csv: "out/sec.csv" },
    });
    const dry = await runCli(["run", spec, "--dry-run"], { cwd: dir });
    const run = await runCli(["run", spec, "--json"], { cwd: dir });
    expect(run.status, run.stderr).toBe(1);
    const csv = readFileSync(path.join(dir, "out/sec.csv"), "utf8");
    expect(csv).toContain("client_failed");
    const files = listTree(path.join(dir, "out"));
    expect(files.some((f) => f.endsWith(".meta.json"))).toBe(true);
    expect(files.some((f) => f.endsWith(".log"))).toBe(true);
    for (const file of files) {
      const full = path.join(dir, "out", file);
      const stat = statSync(full);
      if (file.endsWith(".meta.json")) expect(stat.mode & 0o777, file).toBe(0o600);
      if (file.endsWith(".raw") || /\.raw\/[^/]+$/.test(file)) expect(stat.mode & 0o777, file).toBe(0o700);
      if (!stat.isFile()) continue;
      const text = readFileSync(full, "utf8");
      for (const secret of secrets) expect(text, `${secret} in ${file}`).not.toContain(secret);
    }
    for (const output of [dry.stdout, dry.stderr, run.stdout, run.stderr])
      for (const secret of secrets) expect(output).not.toContain(secret);
    expect(csv).toContain(REDACTED);
  }, 60_000);
});
