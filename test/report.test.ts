/**
 * `tcpsweep report` end to end: a real sweep's CSV and a hand-written one with a syscall table,
 * the CLI as a real process, and the page opened in a real headless Chromium (Debian's
 * `chromium` or `chromium-browser` on PATH, which the test setup installs): charts drawn, no console error, no network request.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { stringify } from "csv-stringify/sync";
import { chromium, type Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { csvHeader } from "../src/output/columns.js";
import { loadCurve } from "../src/report/load-curve.js";
import { requireTool } from "./helpers/system-tools.js";
import {
  killRunningClis,
  leftoverProcesses,
  listTree,
  makeTempDir,
  readCsv,
  removeTempDirs,
  runCli,
  writeSpec,
  type CliResult,
} from "./helpers/sweep.js";

/** The lead looks at this one; the test's own copies live in its temp dir. */
const SHARED_SCREENSHOT = "/tmp/tcpsweep-report.png";
const SHARED_REPORT_DIR = "/tmp/tcpsweep-report";

afterEach(() => killRunningClis());
afterAll(() => removeTempDirs());

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

type Cells = Record<string, string | number>[];

const SERVER_SYSCALLS: [string, number][] = [
  ["read", 1.0],
  ["writev", 1.0],
  ["epoll_wait", 0.55],
  ["futex", 0.21],
  ["epoll_ctl", 0.08],
  ["clock_gettime", 0.05],
  ["getpid", 0.03],
  ["mprotect", 0.02],
  ["madvise", 0.012],
  ["brk", 0.008],
  ["munmap", 0.004],
];
const CLIENT_SYSCALLS: [string, number][] = [
  ["write", 1.0],
  ["read", 1.0],
  ["epoll_wait", 0.4],
  ["futex", 0.1],
];

/**
 * A CSV as tcpsweep writes it, for connections [1, 10, 100, 1000] × threads [1, 2, 4], two
 * repeats, profiled with strace: one cell loses requests (97.5 % success), one has a failed
 * repeat, one failed entirely; an older run sits before it. Plus the syscall table beside it.
 */
function writeHandCsv(dir: string): { csv: string; runId: string; oldRunId: string } {
  const runId = "20261120T100000Z-beef";
  const oldRunId = "20261101T080000Z-0ld0";
  const header = csvHeader(["connections", "threads"]);
  const rows: Cells = [];
  const syscallRows: Cells = [];
  let minute = 0;
  const base = (run: string, connections: number, threads: number, repeat: number) => ({
    run_id: run,
    started_at: `2026-11-${run === runId ? "20T10" : "01T08"}:${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute++ % 60).padStart(2, "0")}.000Z`,
    spec: "lab",
    cell: `connections=${connections},threads=${threads}`,
    repeat,
    connections,
    threads,
    duration_s: 5.002,
    hostname: "lab-host",
    kernel: "6.1.0-test",
  });
  rows.push({ ...base(oldRunId, 10, 1, 1), resp_per_s: 12000, req_per_s: 12000, latency_p99_us: 900, success_rate_pct: 100, status: "ok" });
  for (const repeat of [1, 2]) {
    for (const connections of [1, 10, 100, 1000]) {
      for (const threads of [1, 2, 4]) {
        const row: Record<string, string | number> = base(runId, connections, threads, repeat);
        if (connections === 1000 && threads === 4) {
          rows.push({ ...row, status: "server_failed", error: "server exited with code 1 before it listened" });
          continue;
        }
        if (connections === 100 && threads === 4 && repeat === 2) {
          rows.push({ ...row, status: "timeout", error: "client did not finish in 36s" });
          continue;
        }
        const scale = { 1: 1, 2: 1.55, 4: 1.8 }[threads]!;
        const respPerS = Math.round(scale * 30000 * (connections >= 1000 ? 0.8 : 1) * (repeat === 1 ? 1 : 1.03) * (1 + connections / 5000));
        const success = connections === 1000 && threads === 1 ? 97.5 : 100;
        const responses = Math.round(respPerS * 5.002);
        const traced = Math.round(responses * 0.55);
        let serverTotal = 0;
        for (const [syscall, perRequest] of SERVER_SYSCALLS) {
          const calls = Math.round(
            perRequest * (syscall === "epoll_wait" ? 3 / Math.log10(connections * 10 + 1) : syscall === "futex" ? threads / 2 : 1) * traced,
          );
          serverTotal += calls;
          syscallRows.push({
            run_id: runId,
            cell: row.cell!,
            repeat,
            target: "server",
            source: "strace",
            syscall,
            calls,
            errors: 0,
            seconds: 0.1,
            usecs_per_call: 2,
            percent_time: 1,
          });
        }
        let clientTotal = 0;
        for (const [syscall, perRequest] of CLIENT_SYSCALLS) {
          const calls = Math.round(perRequest * traced);
          clientTotal += calls;
          syscallRows.push({
            run_id: runId,
            cell: row.cell!,
            repeat,
            target: "client",
            source: "strace",
            syscall,
            calls,
            errors: 0,
            seconds: 0.1,
            usecs_per_call: 2,
            percent_time: 1,
          });
        }
        rows.push({
          ...row,
          requests: Math.round(responses / (success / 100)),
          responses,
          req_per_s: Math.round(respPerS / (success / 100)),
          resp_per_s: respPerS,
          success_rate_pct: success,
          latency_p50_us: Math.round(40 * connections ** 0.8 + 20),
          latency_p99_us: Math.round(
            (150 * connections ** 0.85 + 80) * (repeat === 1 ? 1 : 1.1) * (threads === 1 ? 1.4 : threads === 2 ? 1 : 0.8),
          ),
          errors_timeout: success < 100 ? 25 : 0,
          syscall_source: "strace",
          server_syscalls_total: serverTotal,
          server_syscalls_per_request: Number((serverTotal / traced).toFixed(3)),
          client_syscalls_total: clientTotal,
          client_syscalls_per_request: Number((clientTotal / traced).toFixed(3)),
          traced_resp_per_s: Math.round(traced / 5.002),
          status: "ok",
        });
      }
    }
  }
  const csv = path.join(dir, "lab.csv");
  writeFileSync(csv, stringify([header, ...rows.map((row) => header.map((column) => row[column] ?? ""))]));
  const syscallHeader = [
    "run_id",
    "cell",
    "repeat",
    "target",
    "source",
    "syscall",
    "calls",
    "errors",
    "seconds",
    "usecs_per_call",
    "percent_time",
  ];
  writeFileSync(
    path.join(dir, "lab.syscalls.csv"),
    stringify([syscallHeader, ...syscallRows.map((row) => syscallHeader.map((column) => row[column] ?? ""))]),
  );
  return { csv, runId, oldRunId };
}

// ---------------------------------------------------------------------------
// Checks on the files
// ---------------------------------------------------------------------------

function svgFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".svg"))
    .sort();
}

/** The SVG is a drawn chart: an <svg> root with vega marks that have geometry. */
function expectChartSvg(file: string, marks: string[]): void {
  const svg = readFileSync(file, "utf8");
  expect(svg, file).toMatch(/<svg[\s>]/);
  for (const mark of marks) expect(svg, `${file}: ${mark} marks`).toContain(`class="mark-${mark} role-mark`);
  expect(svg, `${file}: a path with geometry`).toMatch(/<path[^>]* d="M[\d.-]/);
  expect(svg, file).not.toMatch(/<script|<foreignObject|@import|url\(\s*['"]?https?:/i);
}

/** index.html fetches nothing: no script, no stylesheet or font link, no remote src/href. */
function expectSelfContained(html: string): void {
  expect(html).toMatch(/^<!doctype html>/i);
  expect(html).not.toMatch(/<script\b/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/<(img|iframe|object|embed)\b/i);
  expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  expect(html).not.toMatch(/@import|@font-face|url\(\s*['"]?https?:/i);
}

function expectOneLineExit2(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^tcpsweep report: /);
  expect(lines[0]).toMatch(pattern);
}

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

interface PageCheck {
  svgs: { id: string; width: number; height: number; marks: number }[];
  consoleErrors: string[];
  requests: string[];
  screenshot: string;
}

let browser: Browser | undefined;

async function openInChromium(indexFile: string, screenshot: string): Promise<PageCheck> {
  if (!browser) {
    // No skip: the test setup (test/setup/system-tools.ts) installs chromium, so a missing one is a broken setup.
    browser = await chromium.launch({
      executablePath: requireTool("chromium"),
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      timeout: 30_000,
    });
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => consoleErrors.push(`pageerror: ${error.message}`));
  // Anything but the page itself (the SVG files it links are never loaded) would be a fetch.
  const pageUrl = pathToFileURL(indexFile).href;
  page.on("request", (request) => {
    if (request.url() !== pageUrl) requests.push(request.url());
  });
  await page.route("**/*", (route) => (route.request().url() === pageUrl ? route.continue() : route.abort()));
  await page.goto(pageUrl, { waitUntil: "load" });
  const svgs = await page.$$eval("figure > svg", (elements) =>
    elements.map((svg) => {
      const box = svg.getBoundingClientRect();
      return {
        id: svg.parentElement?.id ?? "",
        width: box.width,
        height: box.height,
        marks: svg.querySelectorAll("g.role-mark path").length,
      };
    }),
  );
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { svgs, consoleErrors, requests, screenshot };
}

afterAll(async () => {
  await browser?.close();
});

function expectRenderedPage(check: PageCheck, chartFiles: string[]): void {
  expect(check.consoleErrors, "console errors").toEqual([]);
  expect(check.requests, "network requests").toEqual([]);
  expect(check.svgs.map((svg) => `${svg.id}.svg`).sort()).toEqual(chartFiles);
  for (const svg of check.svgs) {
    expect(svg.width, `${svg.id} width`).toBeGreaterThan(200);
    expect(svg.height, `${svg.id} height`).toBeGreaterThan(150);
    expect(svg.marks, `${svg.id} marks`).toBeGreaterThan(0);
  }
  expect(readFileSync(check.screenshot).subarray(1, 4).toString("latin1")).toBe("PNG");
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe("tcpsweep report on a real sweep", () => {
  const dir = makeTempDir("tcpsweep-report-");
  const csv = path.join(dir, "out/sweep.csv");
  const outDir = path.join(dir, "out/sweep.report");
  let sweep: CliResult | undefined;

  beforeAll(async () => {
    const spec = writeSpec(dir, {
      name: "reportsweep",
      duration: "1s",
      warmup: "0.2s",
      matrix: { connections: [2, 8], threads: [1, 2] },
      server: { builtin: true },
      output: { csv: "out/sweep.csv" },
    });
    sweep = await runCli(["run", spec], { cwd: dir, timeoutMs: 55_000 });
    expect(leftoverProcesses(sweep)).toEqual([]);
  }, 60_000);

  it("writes index.html and one SVG per chart into <csv name>.report/ by default", async () => {
    expect(sweep!.code, sweep!.stderr).toBe(0);
    expect(readCsv(csv).rows.filter((row) => row.status === "ok")).toHaveLength(4);

    const result = await runCli(["report", "out/sweep.csv"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("out/sweep.report/index.html");
    expect(svgFiles(outDir)).toEqual(["latency-p99.svg", "throughput.svg"]);
    expectChartSvg(path.join(outDir, "throughput.svg"), ["line", "symbol"]);
    expectChartSvg(path.join(outDir, "latency-p99.svg"), ["line", "symbol"]);

    const html = readFileSync(path.join(outDir, "index.html"), "utf8");
    expectSelfContained(html);
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(2);
    const runId = readCsv(csv).rows[0]!.run_id!;
    expect(html).toContain(runId);
    expect(html).toContain("server threads");
    expect(html).toContain("(log scale)");
    // The table: 4 cells, each ok 1 / 1.
    expect(html.match(/<tr><td>\d+<\/td><td>\d+<\/td><td>1 \/ 1<\/td>/g)).toHaveLength(4);
    expect(html).toContain("Success rate: not shown, 100 % in every cell.");
  });

  it("renders in headless Chromium: 2 charts with size, no console error, no request", async () => {
    const check = await openInChromium(path.join(outDir, "index.html"), path.join(dir, "sweep-report.png"));
    expectRenderedPage(check, ["latency-p99.svg", "throughput.svg"]);
    copyFileSync(check.screenshot, "/tmp/tcpsweep-report-sweep.png");
  }, 60_000);
});

describe("tcpsweep report on a profiled CSV with failures and a syscall table", () => {
  const dir = makeTempDir("tcpsweep-report-");
  const { csv, runId, oldRunId } = writeHandCsv(dir);
  const outDir = path.join(dir, "report");

  it("draws all five charts for the latest run", async () => {
    const result = await runCli(["report", csv, "--out", outDir], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`run ${runId} (12 cells)`);
    expect(svgFiles(outDir)).toEqual([
      "latency-p99.svg",
      "success-rate.svg",
      "syscalls-per-request.svg",
      "syscalls-top.svg",
      "throughput.svg",
    ]);
    for (const chart of ["throughput", "latency-p99", "syscalls-per-request", "success-rate"])
      expectChartSvg(path.join(outDir, `${chart}.svg`), ["line", "symbol"]);
    expectChartSvg(path.join(outDir, "syscalls-top.svg"), ["rect"]);

    const top = readFileSync(path.join(outDir, "syscalls-top.svg"), "utf8");
    // Top 8 named, the 3 rarest as "other"; both targets.
    for (const name of ["read", "writev", "other", "server", "client"]) expect(top).toContain(`>${name}<`);
    // The waiting calls are marked: their time is time blocked, not work (issue 30, item 6).
    for (const name of ["epoll_wait", "futex"]) expect(top).toContain(`>${name} (blocked wait)<`);
    expect(top).not.toContain(">read (blocked wait)<");
    for (const name of ["madvise", "brk", "munmap"]) expect(top).not.toContain(`>${name}<`);

    const html = readFileSync(path.join(outDir, "index.html"), "utf8");
    expectSelfContained(html);
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(5);
    expect(html).toContain("lab-host");
    expect(html).toContain("6.1.0-test");
    expect(html).toContain(oldRunId); // listed among the CSV's runs
    expect(html).toMatch(/<td>1000<\/td><td>4<\/td><td>0 \/ 2<\/td>.*server_failed/);
    expect(html).toMatch(/<td>100<\/td><td>4<\/td><td>1 \/ 2<\/td>.*ok 1\/2 \(timeout\)/);
    expect(html).toMatch(/<td>1000<\/td><td>1<\/td><td>2 \/ 2<\/td>.*<td>97.5<\/td>/);
  });

  it("renders in headless Chromium: 5 charts with size, no console error, no request; screenshot", async () => {
    const check = await openInChromium(path.join(outDir, "index.html"), path.join(dir, "lab-report.png"));
    expectRenderedPage(check, ["latency-p99.svg", "success-rate.svg", "syscalls-per-request.svg", "syscalls-top.svg", "throughput.svg"]);
    copyFileSync(check.screenshot, SHARED_SCREENSHOT);
    // And the page itself, for a person to open.
    rmSync(SHARED_REPORT_DIR, { recursive: true, force: true });
    cpSync(outDir, SHARED_REPORT_DIR, { recursive: true });
  }, 60_000);

  it("--run picks an older run and removes the charts it cannot draw", async () => {
    const result = await runCli(["report", csv, "--out", outDir, "--run", oldRunId], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(svgFiles(outDir)).toEqual(["latency-p99.svg", "throughput.svg"]);
    const html = readFileSync(path.join(outDir, "index.html"), "utf8");
    expect(html).toContain(`run ${oldRunId}`);
    expect(html).toContain("no rows for this run");
  });

  it("facets by a third matrix key", async () => {
    const facetDir = makeTempDir("tcpsweep-report-");
    const header = csvHeader(["connections", "threads", "reply"]);
    const rows = [10, 100].flatMap((connections) =>
      [1, 2].flatMap((threads) =>
        ["echo", "ack"].map((reply) => ({
          run_id: "r1",
          cell: `connections=${connections},threads=${threads},reply=${reply}`,
          repeat: 1,
          connections,
          threads,
          reply,
          resp_per_s: 1000 * connections * threads,
          latency_p99_us: 100 + connections,
          success_rate_pct: 100,
          status: "ok",
        })),
      ),
    );
    const file = path.join(facetDir, "facet.csv");
    writeFileSync(file, stringify([header, ...rows.map((row) => header.map((column) => (row as Record<string, unknown>)[column] ?? ""))]));
    const result = await runCli(["report", file], { cwd: facetDir });
    expect(result.code, result.stderr).toBe(0);
    const svg = readFileSync(path.join(facetDir, "facet.report/throughput.svg"), "utf8");
    expect(svg).toContain("reply=echo");
    expect(svg).toContain("reply=ack");
  });
});

describe("tcpsweep report marks uneven service", () => {
  it("a cell whose median Jain is below 0.9 with every connection served: 'j' in the fairness column and a legend line; status stays ok", async () => {
    const dir = makeTempDir("tcpsweep-report-");
    const header = csvHeader(["connections", "threads"]);
    // connections=10: Jain 0.64 / 0.70 (uneven); connections=100: 0.99; connections=500: starved (its own mark, not j).
    const cells: [number, number[], number][] = [
      [10, [0.64, 0.7], 10],
      [100, [0.99, 0.98], 100],
      [500, [0.2, 0.2], 100],
    ];
    const rows = cells.flatMap(([connections, jains, served]) =>
      jains.map((jain, index) => ({
        run_id: "r1",
        cell: `connections=${connections},threads=2`,
        repeat: index + 1,
        connections,
        threads: 2,
        resp_per_s: 5000 + index,
        latency_p99_us: 100,
        success_rate_pct: 100,
        connections_requested: connections,
        connections_served: served,
        fairness_jain: jain,
        status: "ok",
      })),
    );
    const file = path.join(dir, "jain.csv");
    writeFileSync(file, stringify([header, ...rows.map((row) => header.map((column) => (row as Record<string, unknown>)[column] ?? ""))]));
    const result = await runCli(["report", file], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(path.join(dir, "jain.report/index.html"), "utf8");
    expect(html).toMatch(
      /<td>10<\/td><td>2<\/td><td>2 \/ 2<\/td>.*<td>10 \/ 10<\/td><td class="uneven">0\.67 j<\/td>.*<td class="text status">ok<\/td>/,
    );
    expect(html).toMatch(/<td>100<\/td><td>2<\/td>.*<td>100 \/ 100<\/td><td>0\.985<\/td>/);
    expect(html).toMatch(/<td>500<\/td><td>2<\/td>.*<td>100 \/ 500<\/td><td>0\.2<\/td>/);
    expect(html.match(/class="uneven"/g)).toHaveLength(1);
    expect(html).toContain("j uneven service: Jain's index of per-connection responses below 0.9 with every connection served");
  });
});

describe("tcpsweep report: bad input is one line and exit 2, nothing written", () => {
  const dir = makeTempDir("tcpsweep-report-");
  const noOk = csvHeader(["connections"]);
  const failedRow: Record<string, string | number> = {
    run_id: "r9",
    cell: "connections=1",
    repeat: 1,
    connections: 1,
    status: "server_failed",
  };
  writeFileSync(path.join(dir, "failed.csv"), stringify([noOk, noOk.map((column) => failedRow[column] ?? "")]));
  writeFileSync(path.join(dir, "other.csv"), "name,value\nx,1\n");
  writeFileSync(path.join(dir, "binary.csv"), 'a,"b\n1,2\n"x"y,3\n');
  mkdirSync(path.join(dir, "adir.csv"));
  const before = listTree(dir);

  it("missing file", async () => {
    expectOneLineExit2(await runCli(["report", "missing.csv"], { cwd: dir }), /cannot read missing\.csv: no such file/);
  });
  it("unreadable path (a directory)", async () => {
    expectOneLineExit2(
      await runCli(["report", "adir.csv"], { cwd: dir }),
      /cannot read results CSV adir\.csv: adir\.csv is not a regular file \(a directory\); name a file/,
    );
  });
  it("a CSV that is not tcpsweep's", async () => {
    expectOneLineExit2(
      await runCli(["report", "other.csv"], { cwd: dir }),
      /other\.csv is not a tcpsweep results CSV: no run_id, cell, status, resp_per_s columns/,
    );
  });
  it("a file that is not CSV at all", async () => {
    expectOneLineExit2(await runCli(["report", "binary.csv"], { cwd: dir }), /binary\.csv is not a tcpsweep results CSV: not CSV/);
  });
  it("no ok rows", async () => {
    expectOneLineExit2(await runCli(["report", "failed.csv"], { cwd: dir }), /run r9 has no ok rows \(statuses: server_failed\)/);
  });
  it("an unknown --run", async () => {
    expectOneLineExit2(await runCli(["report", "failed.csv", "--run", "nope"], { cwd: dir }), /failed\.csv has no run nope; its runs: r9/);
    expect(listTree(dir)).toEqual(before);
  });
});

describe("tcpsweep report on an open-loop sweep (a rate matrix key): latency against offered load", () => {
  const dir = makeTempDir("tcpsweep-report-");
  const csv = path.join(dir, "out/load.csv");
  const outDir = path.join(dir, "out/load.report");
  let sweep: CliResult | undefined;

  beforeAll(async () => {
    const spec = writeSpec(dir, {
      name: "loadcurve",
      duration: "1s",
      warmup: "0.2s",
      matrix: { connections: [10], rate: [1000, 3000, 6000], threads: [1, 2] },
      server: { builtin: true },
      output: { csv: "out/load.csv" },
    });
    // Bounds, not waits: 6 one-second cells take ~15 s on a quiet machine, several times that on a loaded one.
    sweep = await runCli(["run", spec], { cwd: dir, timeoutMs: 170_000 });
    expect(leftoverProcesses(sweep)).toEqual([]);
  }, 180_000);

  it("draws latency-vs-load: p50/p99/p99.9 lines per thread count, the saturation rule where the first stretch of rates achieved within 5 % ends", async () => {
    const rows = readCsv(csv).rows;
    // A busy machine's client may not keep 6000/s (degraded, exit 1): the chart is drawn all the same.
    expect(
      rows.filter((row) => row.status !== "ok" && row.status !== "degraded"),
      sweep!.stderr,
    ).toEqual([]);
    expect(sweep!.code, sweep!.stderr).toBe(rows.every((row) => row.status === "ok") ? 0 : 1);
    expect(rows.every((row) => row.mode === "open" && Number(row.target_rate) > 0)).toBe(true);
    const result = await runCli(["report", "out/load.csv"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(svgFiles(outDir)).toContain("latency-vs-load.svg");
    const file = path.join(outDir, "latency-vs-load.svg");
    expectChartSvg(file, ["line", "symbol", "rule", "text"]);
    const svg = readFileSync(file, "utf8");
    for (const label of ["p50", "p99", "p99.9", "threads=1", "threads=2", "offered load: target rate (req/s)"])
      expect(svg).toContain(`>${label}<`);
    // Each line's saturation point, from the CSV: the end of the first stretch of rates achieved within 5 %.
    for (const threads of ["1", "2"]) {
      const line = rows.filter((row) => row.threads === threads).sort((a, b) => Number(a.target_rate) - Number(b.target_rate));
      const firstMiss = line.findIndex((row) => Math.abs(Number(row.achieved_rate) / Number(row.target_rate) - 1) > 0.05);
      const onTarget = firstMiss === -1 ? line : line.slice(0, firstMiss);
      if (onTarget.length > 0) expect(svg).toContain(`saturation ${Number(onTarget.at(-1)!.target_rate).toLocaleString("en-US")} req/s`);
      else expect(svg).not.toMatch(new RegExp(`saturation .*threads=${threads}`));
    }
    // 2 thread counts × 3 percentiles = 6 lines, each with geometry.
    expect(svg.match(/aria-roledescription="line mark" d="M[\d.-]+,[\d.-]+L/g) ?? []).toHaveLength(6);
    const html = readFileSync(path.join(outDir, "index.html"), "utf8");
    expect(html).toContain("Latency against offered load");
  });

  it("renders in headless Chromium with the latency-vs-load chart, no console error, no request", async () => {
    const check = await openInChromium(path.join(outDir, "index.html"), path.join(dir, "load-report.png"));
    expectRenderedPage(check, svgFiles(outDir));
    const chart = check.svgs.find((svg) => svg.id === "latency-vs-load");
    expect(chart, "latency-vs-load figure").toBeDefined();
    expect(chart!.marks).toBeGreaterThanOrEqual(6);
    copyFileSync(check.screenshot, "/tmp/tcpsweep-report-load.png");
  }, 60_000);

  it("the saturation point ends the first stretch of rates achieved within 5 % (short or over), per line, from ok and degraded rows", () => {
    const row = (threads: number, rate: number, achieved: number, status = "ok") => ({
      threads: String(threads),
      rate: String(rate),
      target_rate: String(rate),
      achieved_rate: String(achieved),
      status,
      latency_p50_us: "100",
      latency_p99_us: "900",
      latency_p999_us: "0",
    });
    const curve = loadCurve(
      [
        row(1, 1000, 1000),
        row(1, 2000, 1950),
        row(1, 3000, 2500, "degraded"),
        row(2, 1000, 990),
        row(2, 2000, 2300),
        row(2, 3000, 2990),
        { ...row(2, 4000, 4000), status: "client_failed" },
      ],
      ["rate", "threads"],
    )!;
    expect(curve.series).toEqual(["threads=1", "threads=2"]);
    // threads=1: 2000 is 97.5 % achieved, 3000 falls short. threads=2: 2000 overshoots by 15 % (a catch-up burst), so
    // 1000 is its saturation even though 3000 is on target again; the failed row is not measured.
    expect(curve.saturation).toEqual([
      { series: "threads=1", rate: 2000, achievedRate: 1950 },
      { series: "threads=2", rate: 1000, achievedRate: 990 },
    ]);
    // p99.9 of 0 µs cannot sit on a log axis: 6 cells × p50, p99.
    expect(curve.points).toHaveLength(12);
    expect(loadCurve([{ threads: "1", status: "ok", target_rate: "" }], ["threads"])).toBeUndefined();
  });
});
