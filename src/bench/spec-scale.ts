/**
 * `node dist/bench/spec-scale.js` (`npm run bench:spec`): how `tcpsweep run SPEC --dry-run` scales
 * with the matrix (issue 33, class 6), written into the "spec-scale" section of bench/RESULTS.md
 * (and printed).
 *
 * The whole command as a child process under /usr/bin/time (wall time and peak RSS), three runs
 * each, taking turns: built-in server and client, connections × threads matrices of 1,000, 10,000
 * and 20,000 (MAX_CELLS) cells, every run planned (exit 0, stdout redirected to a file as a pager
 * or a shell redirection would take it); then two matrices refused at the spec before any
 * expansion (exit 2, naming the count): 20,001 cells (20,000 plus one include) and 5 keys × 100
 * values (10^10 cells). The goal: 10,000 cells in under 2 s. Exit 1 when a check fails.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "simple-statistics";
import { MAX_CELLS } from "../sweep/matrix.js";
import { BUILT_CLI } from "./options.js";
import { writeMarkedSection } from "./marked-section.js";

/** The issue's goal: a 10,000-cell dry run in under this many seconds. */
const GOAL_CELLS = 10_000;
const GOAL_S = 2;
const ROUNDS = 3;

interface Case {
  label: string;
  /** The cells the matrix expands to (before the limit). */
  cells: number;
  spec: string;
  /** 0: every run planned; 2: refused at the spec. */
  expectExit: 0 | 2;
}

const list = (n: number) => `[${Array.from({ length: n }, (_, i) => i + 1).join(", ")}]`;

/** Built-in server and client over connections × threads (the client reads both keys), plus `include` entries. */
function builtinSpec(name: string, connections: number, threads: number, include: string[] = []): string {
  const includes = include.length > 0 ? `\n  include:\n${include.map((entry) => `    - ${entry}`).join("\n")}` : "";
  return [
    `name: ${name}`,
    "duration: 1s",
    "matrix:",
    `  connections: ${list(connections)}`,
    `  threads: ${list(threads)}${includes}`,
    "server:",
    "  builtin: true",
    "client:",
    "  builtin: true",
    "",
  ].join("\n");
}

/** 5 keys × 100 values, every key read by the client (as test/hostile-matrix-size.test.ts writes it). */
function wideSpec(name: string): string {
  const keys = Array.from({ length: 5 }, (_, i) => `k${i}`);
  return [
    `name: ${name}`,
    "address: 127.0.0.1:9",
    "matrix:",
    "  connections: [1]",
    ...keys.map((key) => `  ${key}: ${list(100)}`),
    `client: { command: "cli ${keys.map((key) => `{${key}}`).join(" ")}", parser: json }`,
    "",
  ].join("\n");
}

const CASES: Case[] = [
  { label: "125 connections × 8 threads", cells: 1000, spec: builtinSpec("cells-1000", 125, 8), expectExit: 0 },
  { label: "625 connections × 16 threads", cells: 10_000, spec: builtinSpec("cells-10000", 625, 16), expectExit: 0 },
  { label: "1,250 connections × 16 threads", cells: MAX_CELLS, spec: builtinSpec("cells-20000", 1250, 16), expectExit: 0 },
  {
    label: "1,250 connections × 16 threads + 1 include",
    cells: MAX_CELLS + 1,
    spec: builtinSpec("cells-20001", 1250, 16, ["{ connections: 1251, threads: 1 }"]),
    expectExit: 2,
  },
  { label: "5 keys × 100 values (and connections: [1])", cells: 1 * 100 ** 5, spec: wideSpec("cells-wide"), expectExit: 2 },
];

interface Run {
  wall: number;
  rssMiB: number;
  /** Empty when the run did what its case expects, else why not. */
  problem: string;
}

function runOnce(dir: string, specFile: string, item: Case): Run {
  const timing = path.join(dir, "time.txt");
  const stdoutFile = path.join(dir, "stdout.txt");
  const out = openSync(stdoutFile, "w");
  let status = 0;
  let stderr = "";
  try {
    execFileSync("/usr/bin/time", ["-f", "%e %M", "-o", timing, process.execPath, BUILT_CLI, "run", specFile, "--dry-run"], {
      cwd: dir,
      stdio: ["ignore", out, "pipe"],
      maxBuffer: 64 * 2 ** 20,
    });
  } catch (error) {
    const failed = error as { status?: number | null; stderr?: Buffer };
    status = failed.status ?? -1;
    stderr = String(failed.stderr ?? "");
  } finally {
    closeSync(out);
  }
  // /usr/bin/time writes "Command exited with non-zero status N" before its line when the command fails.
  const [wall, rssKb] = readFileSync(timing, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
  const firstLine = readFileSync(stdoutFile, "utf8").split("\n", 1)[0] ?? "";
  let problem = "";
  if (status !== item.expectExit) problem = `exit ${status}, expected ${item.expectExit}: ${stderr.trim().split("\n")[0] ?? ""}`;
  else if (item.expectExit === 0 && !firstLine.includes(`: ${item.cells} cells × 1 repeats`))
    problem = `planned something else: ${firstLine}`;
  else if (item.expectExit === 2 && !stderr.includes(`expands to ${item.cells} cells`))
    problem = `refused for another reason: ${stderr.trim().split("\n")[0] ?? ""}`;
  return { wall: wall!, rssMiB: rssKb! / 1024, problem };
}

function measure(): { lines: string[]; failed: boolean } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tcpsweep-spec-scale-"));
  try {
    const files = CASES.map((item, i) => {
      const file = path.join(dir, `case-${i}.yaml`);
      writeFileSync(file, item.spec);
      return file;
    });
    const runs = CASES.map((): Run[] => []);
    for (let round = 0; round < ROUNDS; round++) CASES.forEach((item, i) => runs[i]!.push(runOnce(dir, files[i]!, item)));
    let failed = false;
    const rows = CASES.map((item, i) => {
      const wall = median(runs[i]!.map((run) => run.wall));
      const rss = median(runs[i]!.map((run) => run.rssMiB));
      const problems = [...new Set(runs[i]!.map((run) => run.problem).filter((problem) => problem !== ""))];
      const goal = item.cells === GOAL_CELLS ? `< ${GOAL_S} s` : "—";
      const pass = problems.length === 0 && (goal === "—" || wall < GOAL_S);
      failed ||= !pass;
      const expected = item.expectExit === 0 ? "exit 0, all planned" : "exit 2, refused";
      const result = pass ? "pass" : `**fail**${problems.length > 0 ? `: ${problems.join("; ")}` : ""}`;
      const each = runs[i]!.map((run) => run.wall.toFixed(2)).join(", ");
      return `| ${item.label} | ${item.cells.toLocaleString("en")} | ${expected} | ${wall.toFixed(2)} | ${each} | ${rss.toFixed(0)} | ${goal} | ${result} |`;
    });
    return {
      failed,
      lines: [
        `Whole \`tcpsweep run SPEC --dry-run\`, child process under \`/usr/bin/time -f "%e %M"\`, ${ROUNDS} runs each taking turns (stdout to a file); wall s and peak RSS MiB are medians of the ${ROUNDS}:`,
        "",
        "| matrix | cells | expected | wall s | runs (s) | peak RSS MiB | goal | result |",
        "|---|---:|---|---:|---|---:|---|---|",
        ...rows,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const START = "<!-- spec-scale: written by node dist/bench/spec-scale.js -->";
const END = "<!-- /spec-scale -->";

const load = os.loadavg()[0]!.toFixed(2);
const started = new Date().toISOString();
const { lines, failed } = measure();
const body = [
  START,
  "## Spec scale: `run --dry-run` of large matrices (issue 33, class 6)",
  "",
  `- Date: ${started}; command: \`npm run bench:spec\` (\`node dist/bench/spec-scale.js\`); machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, Node ${process.version}; load average (1 min) at start: ${load}, at end: ${os.loadavg()[0]!.toFixed(2)}`,
  `- Goal: ${GOAL_CELLS.toLocaleString("en")} cells in under ${GOAL_S} s; above MAX_CELLS (${MAX_CELLS.toLocaleString("en")}) a matrix is refused at the spec, before any expansion.`,
  "",
  ...lines,
  END,
].join("\n");
writeMarkedSection(START, END, body);
if (failed) process.exitCode = 1;
