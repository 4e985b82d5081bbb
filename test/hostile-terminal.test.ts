/**
 * Issue 33, class 4: what `compare` (plain, --markdown, --json), `report` and `strace-parse` print
 * from a crafted file holds no escape sequence, control character or bidi override: no cleared
 * screen, window title, OSC 8 hyperlink, overwritten line (CR) or reordered text.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { afterEach, describe, expect, it } from "vitest";
import { escapeMarkdown } from "../src/untrusted/markdown.js";
import { stripControl } from "../src/untrusted/terminal.js";
import { makeTempDir, removeTempDirs, runCli } from "./helpers/sweep.js";

afterEach(removeTempDirs);

/** What a terminal acts on: C0/C1 controls but tab and newline, ESC, BEL, CR, and the bidi overrides and isolates. */
const LIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const ATTACKS = [
  "\u001b[2J\u001b[H",
  "\u001b]0;pwned\u0007",
  "\u001b]8;;http://evil.example/\u001b\\click\u001b]8;;\u001b\\",
  "ok\rFAKE",
  "\u202egnp.exe",
  "\u2066iso\u2069",
  "\u009b31m",
  "bell\u0007",
];

describe("stripControl and escapeMarkdown", () => {
  it("remove every attack form, bidi overrides and isolates included", () => {
    for (const attack of ATTACKS) {
      expect(stripControl(attack), JSON.stringify(attack)).not.toMatch(LIVE);
      expect(escapeMarkdown(attack), JSON.stringify(attack)).not.toMatch(LIVE);
    }
    expect(stripControl("a\u202eb\u2067c\u2069d")).toBe("abcd");
  });
});

describe("commands that print what a crafted file holds", () => {
  it("compare (plain, --markdown, --json), report and strace-parse print no live control", async () => {
    const dir = makeTempDir();
    const header = ["run_id", "started_at", "spec", "cell", "repeat", "v", "status", "error", "resp_per_s"];
    const rows: string[][] = [header];
    for (const [run, day] of [
      [`base${ATTACKS[1]}`, "01"],
      [`new${ATTACKS[4]}`, "02"],
    ] as const)
      for (const [i, value] of [ATTACKS[2]!, ATTACKS[0]!].entries())
        for (const repeat of [1, 2, 3])
          rows.push([
            run,
            `2026-01-${day}T00:00:0${repeat}Z`,
            `s${ATTACKS[3]}`,
            `v=${value}${i}`,
            String(repeat),
            `${value}${i}`,
            "ok",
            "",
            String(1000 + repeat * 10 + i),
          ]);
    writeFileSync(path.join(dir, "runs.csv"), stringify(rows));
    const strace = [
      "% time     seconds  usecs/call     calls    errors syscall",
      "------ ----------- ----------- --------- --------- ----------------",
      ` 50.00    0.000010           5         2           read${ATTACKS[1]}`,
      ` 50.00    0.000010           5         2           wr\u001b[2Jite\r`,
      "------ ----------- ----------- --------- --------- ----------------",
      "100.00    0.000020           5         4           total",
      "",
    ].join("\n");
    writeFileSync(path.join(dir, "strace.txt"), strace);
    writeFileSync(
      path.join(dir, "damaged.txt"),
      strace.replace(" 50.00    0.000010           5         2           read", `x\u001b]0;t\u0007 ${ATTACKS[4]}`),
    );
    const commands = [
      ["compare", "runs.csv"],
      ["compare", "runs.csv", "--markdown"],
      ["compare", "runs.csv", "--json"],
      ["compare", "runs.csv", "--new", `new${ATTACKS[4]}x`],
      ["report", "runs.csv", "--out", "rep"],
      ["report", "runs.csv", "--out", "rep2", "--series", `v=${ATTACKS[2]}`],
      ["strace-parse", "strace.txt"],
      ["strace-parse", "strace.txt", "--csv"],
      ["strace-parse", "damaged.txt"],
    ];
    for (const args of commands) {
      const result = await runCli(args, { cwd: dir });
      const shown = `${args.join(" ")} → ${result.status}: ${JSON.stringify(result.stdout + result.stderr).slice(0, 600)}`;
      expect(result.status, shown).toBeLessThan(3);
      expect(result.stdout + result.stderr, shown).not.toMatch(LIVE);
    }
  }, 240_000);
});
