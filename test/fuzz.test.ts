/**
 * Issue 20, the fuzz suite: generated specs (YAML), CSV rows, client JSON, regex output, agent
 * messages, file names and secrets, 1,000 cases per property. Run in-process (the functions the
 * CLI calls), so 1,000 cases fit; the agent property drives one real agent process with 1,000
 * generated lines and checks it answers after each and leaves no process behind.
 *
 * "No exit 3" in-process means: nothing but a SpecError (exit 2) or a value comes out.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { csvText } from "../src/output/csv.js";
import { checkAgentInput, checkAgentEvent } from "../src/remote/messages.js";
import { lineReader } from "../src/remote/protocol.js";
import { safeFileName } from "../src/rundir/run-dir.js";
import { CLIENT_FIGURE_COLUMNS, parseClientOutput } from "../src/sweep/client-output.js";
import { buildRedactor } from "../src/sweep/secrets.js";
import { SpecError, parseSpecText, type ClientSpec } from "../src/sweep/spec.js";
import { looksLikeFormula, restoreCsvText } from "../src/untrusted/csv-cell.js";
import { escapeMarkdown } from "../src/untrusted/markdown.js";
import { REDACTED, Redactor } from "../src/untrusted/redact.js";
import { stripControl } from "../src/untrusted/terminal.js";
import { CLI, stillAlive, waitFor, type ProcInfo } from "./helpers/sweep.js";

export const RUNS = 1000;
const run = { numRuns: RUNS };

/** Strings a spreadsheet, a shell, a path or a parser might take for something else. */
const hostile = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "=1+1",
    '+HYPERLINK("http://evil.example/x")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\t+1+1",
    "\r=x",
    "'=x",
    "../../../../victim",
    "a/b",
    "__proto__",
    "constructor",
    "",
    " ",
    "\u001b]0;x\u0007",
    "${x}",
    "{port}",
    "-5",
    "1e400",
    "NaN",
    // formula starts after whitespace or as look-alikes (issue 33, class 10)
    " =1+1",
    "\n-2+3",
    "\v+1",
    "\f-1+2",
    "\u00a0@SUM(1)",
    "\uff0b1+1",
    "\u3000=1+1",
  ),
  fc.string({ unit: fc.constantFrom("=", "+", "-", "@", "\t", "\r", "'", "/", ".", "a", "1", ",", '"', "\n", "{", "}") }),
  fc.string({
    unit: fc.constantFrom(" ", "\v", "\f", "\n", "\u00a0", "\u3000", "\uff1d", "\uff0b", "\uff0d", "\uff20", "=", "-", "'", "a", "1"),
  }),
);
const key = fc.oneof(hostile, fc.constantFrom("connections", "threads", "__proto__", "constructor", "prototype", "hostname", "run_id"));
const scalar = fc.oneof(hostile, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

const SPEC_OPTIONS = { cliEntry: "/opt/tcpsweep/dist/cli/main.js", cwd: "/tmp", onlineCpus: [0, 1] };

function parsesOrSpecError(text: string): void {
  try {
    parseSpecText(text, "fuzz.yaml", {}, SPEC_OPTIONS);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    for (const issue of error.issues) expect(typeof issue.message).toBe("string");
  }
}

describe("fuzz: specs", () => {
  it(`a generated spec (YAML of hostile sections) validates or is a SpecError (${RUNS} cases)`, () => {
    const spec = fc.record(
      {
        name: scalar,
        address: fc.oneof(fc.constant("127.0.0.1:9"), hostile),
        matrix: fc.oneof(fc.dictionary(key, fc.array(scalar, { maxLength: 4 }), { maxKeys: 4 }), scalar),
        client: fc.oneof(
          fc.record(
            { command: hostile, parser: fc.constantFrom("json", "regex", "seed-text", "x"), regex: hostile },
            { requiredKeys: ["command"] },
          ),
          fc.dictionary(key, scalar, { maxKeys: 3 }),
        ),
        server: fc.dictionary(key, scalar, { maxKeys: 3 }),
        output: fc.record({ csv: hostile, mode: fc.constantFrom("new", "append", "x") }),
        hosts: fc.dictionary(key, fc.record({ ssh: hostile, address: hostile }), { maxKeys: 2 }),
        redact: fc.array(hostile, { maxLength: 3 }),
        extra: fc.dictionary(key, scalar, { maxKeys: 2 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(spec, (value) => parsesOrSpecError(toYaml(value))),
      run,
    );
  });

  it(`arbitrary text as a spec file validates or is a SpecError (${RUNS} cases)`, () => {
    const yamlish = fc.string({
      unit: fc.constantFrom(
        "a",
        ":",
        " ",
        "\n",
        "-",
        "&",
        "*",
        "[",
        "]",
        "{",
        "}",
        "'",
        '"',
        "!",
        "#",
        "<<",
        "__proto__",
        "matrix",
        "1",
        "|",
        ">",
        "\t",
      ),
    });
    fc.assert(fc.property(fc.oneof(yamlish, fc.string()), parsesOrSpecError), run);
  });
});

describe("fuzz: CSV cells", () => {
  it(`no text cell starts like a formula, numbers stay numbers, and every cell reads back exactly (${RUNS} cases)`, () => {
    const rows = fc.array(
      fc.array(fc.oneof(hostile, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: 1, maxLength: 6 }),
      { minLength: 1, maxLength: 5 },
    );
    fc.assert(
      fc.property(rows, (input) => {
        const width = Math.max(...input.map((row) => row.length));
        const square = input.map((row) => Array.from({ length: width }, (_, i) => row[i] ?? ""));
        const records = parse(csvText(square), { relax_column_count: true }) as string[][];
        expect(records).toHaveLength(square.length);
        records.forEach((record, r) =>
          record.forEach((cell, c) => {
            const original = square[r]![c]!;
            expect(looksLikeFormula(cell)).toBe(false);
            expect(restoreCsvText(cell)).toBe(String(original));
          }),
        );
      }),
      run,
    );
  });
});

describe("fuzz: client output", () => {
  const json = { parser: "json" } as ClientSpec;
  const figuresAreNumbers = (parsed: ReturnType<typeof parseClientOutput>) => {
    if ("error" in parsed) {
      expect(typeof parsed.error).toBe("string");
      return;
    }
    for (const column of CLIENT_FIGURE_COLUMNS) {
      const value = (parsed.figures as Record<string, unknown>)[column];
      if (value !== undefined) expect(Number.isFinite(value)).toBe(true);
    }
  };

  it(`client JSON: a row with finite figures or an error, never a throw (${RUNS} cases)`, () => {
    const report = fc.record(
      {
        requests: scalar,
        responses: scalar,
        resp_per_s: fc.oneof(fc.integer(), scalar),
        req_per_s: scalar,
        latency_us: fc.oneof(scalar, fc.dictionary(hostile, scalar)),
        errors: fc.oneof(scalar, fc.dictionary(hostile, scalar)),
        connections: fc.oneof(scalar, fc.record({ requested: scalar, served: scalar })),
        remote: fc.oneof(
          scalar,
          fc.dictionary(key, scalar),
          fc.record({ client_hosts: scalar, clock_offset_max_ms: scalar, client_bound_hosts: fc.oneof(scalar, fc.array(scalar)) }),
        ),
        mode: scalar,
        fairness_jain: scalar,
      },
      { requiredKeys: [] },
    );
    const line = fc.oneof(
      report.map((value) => JSON.stringify(value)),
      fc.json(),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 3 }), (lines) => {
        figuresAreNumbers(parseClientOutput(json, lines.join("\n")));
      }),
      run,
    );
  });

  it(`regex output: figures are numbers or the row fails (${RUNS} cases)`, () => {
    const client = { parser: "regex", regex: /rps=(?<resp_per_s>\S*) req=(?<requests>\S*) note=(?<note>.*)/ } as ClientSpec;
    const stdout = fc
      .tuple(hostile, hostile, hostile, fc.string())
      .map(([a, b, c, d]) => `${d}\nrps=${a.replace(/\s/g, "")} req=${b.replace(/\s/g, "")} note=${c}`);
    fc.assert(
      fc.property(fc.oneof(stdout, fc.string()), (text) => {
        figuresAreNumbers(parseClientOutput(client, text));
      }),
      run,
    );
  });
});

describe("fuzz: names, secrets, terminal and Markdown text", () => {
  it(`a file name from any value stays inside its directory (${RUNS} cases)`, () => {
    const dir = "/results/x.raw/run";
    fc.assert(
      fc.property(hostile, (value) => {
        const name = safeFileName(value);
        expect(name.length).toBeLessThanOrEqual(120);
        expect(name).not.toMatch(/[/\\\0]|\.\./);
        expect(path.dirname(path.resolve(dir, `${name}.r1.log`))).toBe(dir);
      }),
      run,
    );
  });

  it(`a value under a secret name never survives redaction (${RUNS} cases)`, () => {
    const name = fc.constantFrom("DB_PASSWD", "MYSQL_PWD", "AUTH_HEADER", "CREDENTIALS", "API_TOKEN", "PRIVATE_KEY", "CUSTOM");
    // Secrets as they come (printable, 3+ characters); < and > are left out so the marker "<redacted>" cannot re-form one with its neighbours.
    const secret = fc
      .string({ minLength: 3, maxLength: 30, unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)) })
      .filter((value) => !/[<>]/.test(value) && !REDACTED.includes(value));
    fc.assert(
      fc.property(name, secret, fc.string(), fc.string(), (variable, value, before, after) => {
        const redactor = Redactor.forEnvironments(["CUSTOM"], { [variable]: value });
        expect(redactor.text(`${before}${value}${after}`)).not.toContain(value);
        const deep = redactor.deep({ env: { [variable]: value }, argv: [before, value] }) as {
          env: Record<string, string>;
          argv: string[];
        };
        expect(deep.env[variable]).toBe(REDACTED);
        expect(deep.argv[1]).toBe(REDACTED);
      }),
      run,
    );
  });

  it(`a templated or inherited secret never survives redaction, as any value it expanded to (${RUNS} cases)`, () => {
    const part = fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom(..."abcXYZ019-_.:/@%") });
    const matrixValue = fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom(..."abcdef0123456789") });
    fc.assert(
      fc.property(
        part,
        part,
        fc.uniqueArray(matrixValue, { minLength: 1, maxLength: 4 }),
        part,
        fc.string(),
        fc.string(),
        (head, tail, values, inherited, before, after) => {
          const yaml = [
            "name: t",
            "address: 127.0.0.1:9",
            `matrix: { connections: [1], lvl: ${JSON.stringify(values)} }`,
            "redact: [DB_DSN]",
            "client: { command: cli, parser: json, env: { DB_PASSWORD: " + JSON.stringify(`${head}{lvl}${tail}`) + " } }",
          ].join("\n");
          const spec = parseSpecText(yaml, "f.yaml", SPEC_OPTIONS);
          const secret = `inh-${inherited}`;
          const redactor = buildRedactor(spec, { DB_DSN: secret, MY_API_TOKEN: `${secret}-2` });
          for (const value of values) {
            const expanded = `${head}${value}${tail}`;
            if (expanded.length >= 3) expect(redactor.text(`${before} ${expanded} ${after}`)).not.toContain(expanded);
          }
          expect(redactor.text(`${before}${secret}${after}`)).not.toContain(secret);
          expect(redactor.text(`${before}${secret}-2${after}`)).not.toContain(`${secret}-2`);
        },
      ),
      run,
    );
  });

  it(`terminal text keeps no escape or control character; Markdown keeps no live special (${RUNS} cases)`, () => {
    const noisy = fc.string({
      unit: fc.oneof(
        fc.constantFrom(
          "\u001b",
          "[",
          "]",
          "\u0007",
          "\u009b",
          "\\",
          "P",
          "0",
          ";",
          "m",
          "\r",
          "\b",
          "8",
          "\u202e",
          "\u202a",
          "\u2066",
          "\u2069",
        ),
        fc.string({ maxLength: 1 }),
      ),
    });
    fc.assert(
      fc.property(fc.oneof(noisy, hostile), (text) => {
        expect(stripControl(text)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(escapeMarkdown(text)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        const md = escapeMarkdown(text)
          .replace(/&(#64|lt|gt|amp);/g, "")
          .replace(/\\./g, "");
        expect(md).not.toMatch(/[`*_{}[\]()#!|~<>@\n\r]/);
      }),
      run,
    );
  });
});

describe("fuzz: agent messages", () => {
  const message = fc.oneof(
    fc.json(),
    fc.string(),
    fc
      .record(
        {
          type: fc.constantFrom("start", "stop", "signal", "window", "hello", "waitAccepting", "profileBegin", "x"),
          id: scalar,
          argv: fc.oneof(scalar, fc.array(scalar)),
          signal: scalar,
          graceMs: scalar,
          startAtMs: scalar,
          port: scalar,
        },
        { requiredKeys: ["type"] },
      )
      .map((value) => JSON.stringify(value)),
  );

  it(`checks never throw; what passes has a known type (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(message, (line) => {
        for (const checked of [checkAgentInput(line), checkAgentEvent(line)])
          if (checked.ok) expect(typeof checked.message.type).toBe("string");
      }),
      run,
    );
  });

  it(`one real agent takes ${RUNS} generated lines, answers after each, and leaves no process behind`, async () => {
    const agent = spawn(process.execPath, [CLI, "agent"], { stdio: ["pipe", "pipe", "pipe"] });
    agent.stderr.resume();
    const replies = new Map<number, (event: Record<string, unknown>) => void>();
    const events: Record<string, unknown>[] = [];
    agent.stdout.on(
      "data",
      lineReader((line) => {
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        if (event.type === "reply") replies.get(Number(event.id))?.(event);
      }),
    );
    const ask = (request: Record<string, unknown>, id: number) =>
      new Promise<Record<string, unknown>>((resolve) => {
        replies.set(id, resolve);
        agent.stdin.write(`${JSON.stringify({ ...request, id })}\n`);
      });
    const started = await ask({ type: "start", argv: ["sleep", "1000"], self: false }, 1);
    const child: ProcInfo = (() => {
      const pid = Number(started.pid);
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return { pid, starttime: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!, cmdline: "sleep" };
    })();
    let id = 1000;
    // Generated "start" and "stop" lines could be valid by chance: keep those out, they are not hostile input.
    const hostileLine = message.filter((line) => {
      const checked = checkAgentInput(line);
      return !checked.ok || !["start", "stop", "signal", "profileBegin"].includes(checked.message.type);
    });
    await fc.assert(
      fc.asyncProperty(hostileLine, async (line) => {
        agent.stdin.write(`${line.replace(/\n/g, " ")}\n`);
        const reply = await ask({ type: "time" }, ++id);
        expect(typeof reply.nowMs).toBe("number");
        expect(stillAlive(child)).toBe(true);
      }),
      run,
    );
    const exited = new Promise((resolve) => agent.once("exit", resolve));
    agent.stdin.end();
    expect(await exited).toBe(0);
    expect(await waitFor(() => !stillAlive(child), 10_000)).toBe(true);
  }, 120_000);
});
