import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerStraceParseCommand } from "../src/cli/strace-parse-command.js";
import {
  formatSummaryTable,
  parseStraceSummary,
  StraceParseError,
  summaryToCsv,
  type StraceParseErrorKind,
  type StraceSummary,
  type SyscallRow,
  type SyscallTable,
} from "../src/profile/strace-summary.js";

const FIXTURE_DIR = fileURLToPath(new URL("./fixtures/strace/", import.meta.url));
const FIXTURE_NAMES = readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith(".txt"))
  .map((file) => file.slice(0, -".txt".length))
  .sort();

/** The parts of NAME.expected.json that the parser produces (notes and cross-checks are for humans). */
interface ExpectedParse {
  columns: string[];
  rows: SyscallRow[];
  total: SyscallRow | null;
  extra_tables?: SyscallTable[];
}

function fixtureText(name: string): string {
  return readFileSync(`${FIXTURE_DIR}${name}.txt`, "utf8");
}

function expectedParse(name: string): ExpectedParse {
  const { columns, rows, total, extra_tables } = JSON.parse(readFileSync(`${FIXTURE_DIR}${name}.expected.json`, "utf8")) as ExpectedParse;
  return { columns, rows, total, ...(extra_tables === undefined ? {} : { extra_tables }) };
}

// The legacy fixtures hold usecs/call values >= 2^63 (negative averages printed as unsigned
// 64-bit numbers): no JS number holds them exactly, so those compare with a relative tolerance.
expect.addEqualityTesters([
  function numbersEqual(actual: unknown, expected: unknown): boolean | undefined {
    if (typeof actual !== "number" || typeof expected !== "number") return undefined;
    if (Math.abs(expected) >= Number.MAX_SAFE_INTEGER) return Math.abs(actual - expected) <= Math.abs(expected) * 1e-12;
    return actual === expected;
  },
]);

function parseOrFail(text: string): StraceSummary {
  const result = parseStraceSummary(text);
  if (result instanceof StraceParseError) throw new Error(`unexpected ${result.kind} error: ${result.message}`);
  return result;
}

function expectError(text: string, kind: StraceParseErrorKind): StraceParseError {
  const result = parseStraceSummary(text);
  expect(result).toBeInstanceOf(StraceParseError);
  const error = result as StraceParseError;
  expect(error.kind, error.message).toBe(kind);
  return error;
}

/** Every result is a summary whose tables all have rows and a total, or a typed error. */
function expectSummaryOrError(result: StraceSummary | StraceParseError): void {
  if (result instanceof StraceParseError) {
    expect(["no-summary", "truncated", "malformed"]).toContain(result.kind);
    expect(result.message).not.toBe("");
    return;
  }
  for (const table of [result, ...(result.extra_tables ?? [])]) {
    expect(table.rows.length).toBeGreaterThan(0);
    expect(table.total.syscall).toBe("total");
  }
}

describe.each(FIXTURE_NAMES)("fixture %s", (name) => {
  const text = fixtureText(name);
  const expected = expectedParse(name);

  if (expected.total === null) {
    // empty_no_syscalls: strace printed nothing, which the parser never passes off as zero syscalls.
    it("has no table, so the parser returns a no-summary error", () => {
      expectError(text, "no-summary");
    });
    return;
  }

  it("parses to expected.json: columns, every row, total, extra tables", () => {
    expect(parseOrFail(text)).toStrictEqual(expected);
  });

  it("prints back to a table that parses to the same summary", () => {
    const summary = parseOrFail(text);
    expect(parseOrFail(formatSummaryTable(summary))).toStrictEqual(summary);
  });
});

describe("damaged or missing input", () => {
  const basicLs = fixtureText("basic_ls");
  const lines = basicLs.split("\n");

  it("reports a table cut between two rows as truncated", () => {
    const error = expectError(lines.slice(0, 12).join("\n") + "\n", "truncated");
    expect(error.line).toBe(13);
  });

  it("reports a table cut in the middle of a row as truncated", () => {
    expectError(basicLs.slice(0, basicLs.indexOf(" getdents64") + 5), "truncated");
  });

  it("reports a table cut right after the header and separator as truncated", () => {
    expectError(lines.slice(0, 2).join("\n") + "\n", "truncated");
  });

  it("reports a table cut before its total line as truncated", () => {
    expectError(lines.slice(0, -2).join("\n") + "\n", "truncated");
  });

  it("reports a table cut inside the total line as truncated", () => {
    expectError(basicLs.slice(0, basicLs.lastIndexOf("total")), "truncated");
  });

  it("treats a lone header line as no table: without a separator it may be program output (stderr_mixed)", () => {
    expectError(lines[0] + "\n", "no-summary");
  });

  it("reports a damaged row as malformed, with its line number", () => {
    const damaged = basicLs.replace("0.89    0.000607", "0.89    0.00x607");
    expect(damaged).not.toBe(basicLs);
    const error = expectError(damaged, "malformed");
    expect(error.line).toBe(damaged.split("\n").findIndex((line) => line.includes("0.00x607")) + 1);
  });

  it.each([
    ["a lost row", [...lines.slice(0, 5), ...lines.slice(6)]],
    ["a repeated row", [...lines.slice(0, 6), ...lines.slice(5)]],
  ])("reports a table whose rows do not add up to its total line (%s) as malformed", (_, damagedLines) => {
    const error = expectError(damagedLines.join("\n"), "malformed");
    expect(error.message).toContain("does not add up");
  });

  it("reports other output inside the table as malformed", () => {
    const interrupted = [...lines.slice(0, 5), "strace: Process 42 detached", ...lines.slice(5)].join("\n");
    expectError(interrupted, "malformed");
  });

  it("reports a missing total line as malformed when output follows the table", () => {
    expectError([...lines.slice(0, -2), "late program output", ""].join("\n"), "malformed");
  });

  it("reports a table without rows as malformed", () => {
    expectError([lines[0], lines[1], lines[1], lines.at(-2), ""].join("\n"), "malformed");
  });

  it("reports an unknown header column as malformed", () => {
    const renamed = basicLs.replace("usecs/call", "usecs/xall");
    expect(expectError(renamed, "malformed").message).toContain('"usecs/xall"');
  });

  it("reports a personality heading with a cut-off table as truncated", () => {
    const multi = fixtureText("multi_personality");
    expectError(multi.slice(0, multi.indexOf("System call usage summary")) + "System call usage summary for 32 bit mode:\n", "truncated");
  });

  it.each([
    ["an empty file", ""],
    ["blank lines", "\n\n  \n"],
    ["prose", "hello\nworld\n"],
    ["strace messages only", "strace: Process 1 attached\nstrace: Process 1 detached\n"],
    ["a header-looking line followed by program output", fixtureText("stderr_mixed").split("\n").slice(0, 10).join("\n")],
    ["binary garbage", "\u0000\u0001\uffff--- -\n% time\n-- --\n"],
  ])("reports %s as no-summary, never as zero syscalls", (_, text) => {
    expectError(text, "no-summary");
  });
});

describe("layouts no fixture covers", () => {
  it("reads CRLF line endings", () => {
    const text = fixtureText("basic_true");
    expect(parseOrFail(text.replaceAll("\n", "\r\n"))).toStrictEqual(parseOrFail(text));
  });

  it("reads decimal commas (strace printing under a comma locale)", () => {
    const text = [
      "% time     seconds  usecs/call     calls    errors syscall",
      "------ ----------- ----------- --------- --------- ----------------",
      " 66,75    0,003708           0      3922           read",
      " 33,25    0,001847           0      2685           write",
      "------ ----------- ----------- --------- --------- ----------------",
      "100,00    0,005555           0      6607           total",
      "",
    ].join("\n");
    const summary = parseOrFail(text);
    expect(summary.rows[0]).toStrictEqual({
      syscall: "read",
      calls: 3922,
      errors: 0,
      seconds: 0.003708,
      usecs_per_call: 0,
      percent_time: 66.75,
    });
    expect(summary.total.seconds).toBe(0.005555);
  });

  it("maps strace 7.1 wall-clock columns and leaves absent base columns null", () => {
    const text = [
      "syscall             wall-total  wall-min  wall-max   wall-avg",
      "---------------- ----------- --------- --------- ----------",
      "clock_nanosleep     0.300143  0.300143  0.300143     300143",
      "read                0.000012  0.000003  0.000005          4",
      "---------------- ----------- --------- --------- ----------",
      "total               0.300155  0.000003  0.300143      75038",
      "",
    ].join("\n");
    const summary = parseOrFail(text);
    expect(summary.rows[1]).toStrictEqual({
      syscall: "read",
      calls: null,
      errors: null,
      seconds: null,
      usecs_per_call: null,
      percent_time: null,
      wall_seconds: 0.000012,
      wall_min_seconds: 0.000003,
      wall_max_seconds: 0.000005,
      wall_usecs_per_call: 4,
    });
    expect(summaryToCsv(summary).split("\n")[0]).toBe(
      "table,syscall,calls,errors,seconds,usecs_per_call,percent_time,min_seconds,max_seconds," +
        "wall_seconds,wall_min_seconds,wall_max_seconds,wall_usecs_per_call",
    );
  });
});

describe("summaryToCsv", () => {
  it("writes every row and total line of every table, labelled native or by personality", () => {
    const csv = summaryToCsv(parseOrFail(fixtureText("multi_personality")));
    const lines = csv.trimEnd().split("\n");
    expect(lines[0]).toBe("table,syscall,calls,errors,seconds,usecs_per_call,percent_time,min_seconds,max_seconds");
    expect(lines).toHaveLength(1 + 17 + 1 + 3 + 1);
    expect(lines[1]).toBe("native,execve,1,0,0.000196,196,36.1,,");
    expect(lines.at(-1)).toBe("32 bit,total,7,1,0.000067,9,100,,");
  });

  it("leaves the legacy total's blank usecs/call empty and fills shortest/longest when present", () => {
    expect(
      summaryToCsv(parseOrFail(fixtureText("legacy55_wall")))
        .trimEnd()
        .split("\n")
        .at(-1),
    ).toBe("native,total,3467,1825,0.150645,,100,,");
    expect(summaryToCsv(parseOrFail(fixtureText("columns_all"))).split("\n")[1]).toBe(
      "native,statx,1065,0,0.046579,43,30.76,0.000028,0.000096",
    );
  });
});

type Mutation =
  | { op: "delete-line"; at: number }
  | { op: "insert-line"; at: number; line: string }
  | { op: "duplicate-line"; at: number }
  | { op: "truncate"; at: number }
  | { op: "flip-char"; at: number; char: string };

function mutate(text: string, mutation: Mutation): string {
  const lines = text.split("\n");
  const lineIndex = mutation.at % lines.length;
  switch (mutation.op) {
    case "delete-line":
      return lines.toSpliced(lineIndex, 1).join("\n");
    case "insert-line":
      return lines.toSpliced(lineIndex, 0, mutation.line).join("\n");
    case "duplicate-line":
      return lines.toSpliced(lineIndex, 0, lines[lineIndex]!).join("\n");
    case "truncate":
      return text.slice(0, mutation.at % (text.length + 1));
    case "flip-char": {
      const offset = mutation.at % Math.max(text.length, 1);
      return text.slice(0, offset) + mutation.char + text.slice(offset + 1);
    }
  }
}

describe("never throws (property)", () => {
  const texts = FIXTURE_NAMES.map(fixtureText).filter((text) => text !== "");
  // Lines that steer mutations into the parser's deeper paths: table parts and lookalikes.
  const tableishLine = fc.oneof(
    fc.string(),
    fc.constantFrom(
      "% time     seconds  usecs/call     calls    errors syscall",
      "------ ----------- ----------- --------- --------- ----------------",
      "100.00    0.000543          16        32         1 total",
      "  1.84    0.000010          10         1         1 access",
      "System call usage summary for 32 bit mode:",
      "",
    ),
  );
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ op: fc.constant("delete-line" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("insert-line" as const), at: fc.nat(), line: tableishLine }),
    fc.record({ op: fc.constant("duplicate-line" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("flip-char" as const), at: fc.nat(), char: fc.constantFrom(" ", "-", "x", "\n", "9", ".", "") }),
  );

  it("returns a summary with rows or a typed error for random strings", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.array(tableishLine).map((lines) => lines.join("\n")),
        ),
        (text) => {
          expectSummaryOrError(parseStraceSummary(text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("returns a summary with rows or a typed error for mutated fixtures", () => {
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.array(mutation, { minLength: 1, maxLength: 5 }), (text, mutations) => {
        expectSummaryOrError(parseStraceSummary(mutations.reduce(mutate, text)));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("strace-parse command", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  async function run(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: typeof process.exitCode }> {
    const output = { stdout: "", stderr: "" };
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      output.stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      output.stderr += String(chunk);
      return true;
    });
    const program = new Command("tcpsweep").exitOverride();
    registerStraceParseCommand(program);
    await program.parseAsync(["strace-parse", ...args], { from: "user" });
    return { ...output, exitCode: process.exitCode };
  }

  it("prints an aligned table by default", async () => {
    const { stdout, exitCode } = await run(`${FIXTURE_DIR}basic_true.txt`);
    expect(stdout).toBe(formatSummaryTable(parseOrFail(fixtureText("basic_true"))));
    expect(exitCode).toBeUndefined();
  });

  it("prints expected.json's shape with --json", async () => {
    const { stdout } = await run("--json", `${FIXTURE_DIR}multi_personality.txt`);
    expect(JSON.parse(stdout)).toStrictEqual(expectedParse("multi_personality"));
  });

  it("prints CSV with --csv", async () => {
    const { stdout } = await run("--csv", `${FIXTURE_DIR}basic_true.txt`);
    expect(stdout).toBe(summaryToCsv(parseOrFail(fixtureText("basic_true"))));
  });

  it("reports an unreadable file on one stderr line with exit status 2", async () => {
    const { stdout, stderr, exitCode } = await run(`${FIXTURE_DIR}missing.txt`);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^tcpsweep strace-parse: cannot read .*missing\.txt: ENOENT: no such file or directory\n$/);
    expect(exitCode).toBe(2);
  });

  it("says the file holds no summary table, and what to check, with exit status 2", async () => {
    const { stdout, stderr, exitCode } = await run(`${FIXTURE_DIR}empty_no_syscalls.txt`);
    expect(stdout).toBe("");
    expect(stderr.split("\n")).toHaveLength(2);
    expect(stderr).toContain("no strace -c summary table");
    expect(stderr).toContain("SIGKILL");
    expect(exitCode).toBe(2);
  });
});
