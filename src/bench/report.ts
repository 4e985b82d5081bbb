/** bench/RESULTS.md: header, machine, method, the three tables, goals, and the hand-written Findings carried over. */
import path from "node:path";
import type { ClientRun } from "./processes.js";
import {
  CLIENT_BENCH_SERVER_THREADS,
  PROFILED_CONNECTIONS,
  PROFILED_SERVER_THREADS,
  SERVER_BENCH_CONNECTIONS,
  type ClientPoint,
  type NodeRuns,
  type Perturbation,
  type ServerPoint,
} from "./experiments.js";
import type { Machine } from "./machine.js";
import { REPO_ROOT, type BenchSection } from "./options.js";
import { overheadGoals, overheadSection } from "./overhead-report.js";
import { OVERHEAD_HEADING } from "./overhead.js";
import { ratioOfMedians, spread } from "./stats.js";
import type { BenchResults } from "./results.js";
import { goalsTable, spreadCell, table, type Goal } from "./tables.js";
import { ACCEPT_HEADING } from "./accept-jain.js";
import { WARM_CLIENT_HEADING } from "./warm-client.js";

export type { BenchResults } from "./results.js";
export { goalsTable, spreadCell, table, type Goal } from "./tables.js";

const FINDINGS_HEADING = "## Findings";
const FINDINGS_PLACEHOLDER = "(written by hand after profiling)";

/**
 * The previous RESULTS.md from its Findings section to its end, or the placeholder. A full run
 * renders everything above Findings; what follows it is written by hand or by single sections
 * (`--only scale`, compare-scale), and a full run must not drop it.
 */
export function carriedOverFindings(previous: string | undefined): string {
  const lines = previous?.split("\n") ?? [];
  const start = lines.findIndex((line) => line.trimEnd() === FINDINGS_HEADING);
  if (start < 0) return `${FINDINGS_HEADING}\n\n${FINDINGS_PLACEHOLDER}\n`;
  return `${lines.slice(start).join("\n").trimEnd()}\n`;
}

function ratioCell(ratio: number | undefined): string {
  return ratio === undefined ? "—" : `${ratio.toFixed(2)}×`;
}

/** A metric of both sides of a point: their spreads and the ratio of medians. */
function sides(a: readonly ClientRun[], b: readonly ClientRun[], metric: (run: ClientRun) => number) {
  const spreadA = spread(a.map(metric));
  const spreadB = spread(b.map(metric));
  return { a: spreadA, b: spreadB, ratio: ratioOfMedians(spreadA, spreadB) };
}

const respPerS = (run: ClientRun) => run.respPerS;
const cpuPerResponse = (run: ClientRun) => run.cpuUsPerResponse;
const peakRss = (run: ClientRun) => run.peakRssKb;

function clientTables(points: readonly ClientPoint[]): string {
  const throughput = points.map((p) => {
    const rate = sides(p.tcpsweep, p.native, respPerS);
    const p99 = sides(p.tcpsweep, p.native, (run) => run.p99Us);
    const success = sides(p.tcpsweep, p.native, (run) => run.successPct);
    return [
      String(p.connections),
      spreadCell(rate.a),
      spreadCell(rate.b),
      ratioCell(rate.ratio),
      spreadCell(p99.a),
      spreadCell(p99.b),
      spreadCell(success.a, 2),
      spreadCell(success.b, 2),
    ];
  });
  const cost = points.map((p) => {
    const cpu = sides(p.tcpsweep, p.native, cpuPerResponse);
    const rss = sides(p.tcpsweep, p.native, peakRss);
    return [
      String(p.connections),
      spreadCell(cpu.a, 2),
      spreadCell(cpu.b, 2),
      ratioCell(cpu.ratio),
      spreadCell(rss.a),
      spreadCell(rss.b),
      ratioCell(rss.ratio),
    ];
  });
  return [
    "### Throughput and latency",
    "",
    table(["connections", "resp/s A", "resp/s B", "A/B", "p99 µs A", "p99 µs B", "success % A", "success % B"], throughput),
    "",
    "### Cost",
    "",
    table(["connections", "CPU µs/resp A", "CPU µs/resp B", "A/B", "peak RSS KiB A", "peak RSS KiB B", "A/B"], cost),
  ].join("\n");
}

/**
 * The tcpsweep client under each Node binary, each against the native client of the same point
 * (and against the node running the benchmark): what a newer Node line buys or costs.
 */
export function nodeTable(points: readonly ClientPoint[], currentVersion: string): string | undefined {
  if (!points.some((p) => (p.otherNodes ?? []).length > 0)) return undefined;
  const rows = points.flatMap((p) => {
    const current: NodeRuns = { version: currentVersion, path: "", runs: p.tcpsweep };
    const clients = [current, ...(p.otherNodes ?? [])].map((node) => {
      const rate = sides(node.runs, p.native, respPerS);
      const vsCurrent = sides(node.runs, p.tcpsweep, respPerS).ratio;
      const cpu = sides(node.runs, p.native, cpuPerResponse);
      const cpuVsCurrent = sides(node.runs, p.tcpsweep, cpuPerResponse).ratio;
      const rss = sides(node.runs, p.native, peakRss);
      return [
        String(p.connections),
        `tcpsweep, node ${node.version}`,
        spreadCell(rate.a),
        ratioCell(rate.ratio),
        ratioCell(vsCurrent),
        spreadCell(cpu.a, 2),
        ratioCell(cpu.ratio),
        ratioCell(cpuVsCurrent),
        spreadCell(rss.a),
        ratioCell(rss.ratio),
      ];
    });
    const native = spread(p.native.map(respPerS));
    const nativeCpu = spread(p.native.map(cpuPerResponse));
    const nativeRss = spread(p.native.map(peakRss));
    return [
      ...clients,
      [
        String(p.connections),
        "native client",
        spreadCell(native),
        "1.00×",
        "—",
        spreadCell(nativeCpu, 2),
        "1.00×",
        "—",
        spreadCell(nativeRss),
        "1.00×",
      ],
    ];
  });
  return [
    "### Per Node version",
    "",
    `The same tcpsweep client (dist/) under each Node binary, taking turns with the others and the native client within each point. ÷ native: ratio of medians to the native client's; ÷ ${currentVersion}: to the tcpsweep client under the node running the benchmark (resp/s above 1 and CPU below 1 = faster).`,
    "",
    table(
      [
        "connections",
        "client",
        "resp/s",
        "÷ native",
        `÷ ${currentVersion}`,
        "CPU µs/resp",
        "÷ native",
        `÷ ${currentVersion}`,
        "peak RSS KiB",
        "÷ native",
      ],
      rows,
    ),
  ].join("\n");
}

function serverTable(points: readonly ServerPoint[]): string {
  return table(
    ["server threads", "resp/s A", "resp/s B", "A/B"],
    points.map((p) => {
      const rate = sides(p.tcpsweep, p.native, respPerS);
      return [String(p.threads), spreadCell(rate.a), spreadCell(rate.b), ratioCell(rate.ratio)];
    }),
  );
}

function perturbationTable(perturbation: Perturbation): string {
  const rows = perturbation.points.flatMap((point) => {
    const untraced = spread(point.untraced.map((r) => r.run.respPerS));
    const where = [point.server, String(point.connections)];
    return [
      [...where, "untraced", spreadCell(untraced), "1.00×", "—"],
      ...point.profilers.map((profiler) => {
        if (profiler.unavailable) return [...where, profiler.name, `unavailable: ${profiler.unavailable}`, "—", "—"];
        const traced = spread(profiler.runs.map((r) => r.run.respPerS));
        const syscalls = spread(profiler.runs.flatMap((r) => (r.syscallsPerResponse === undefined ? [] : [r.syscallsPerResponse])));
        return [...where, profiler.name, spreadCell(traced), ratioCell(ratioOfMedians(traced, untraced)), spreadCell(syscalls, 2)];
      }),
    ];
  });
  return table(["server", "connections", "variant", "resp/s", "traced/untraced", "server syscalls/resp"], rows);
}

function goals(results: BenchResults): Goal[] {
  const clientRatio = (connections: number, metric: (run: ClientRun) => number) => {
    const point = results.clients.find((p) => p.connections === connections);
    return point && sides(point.tcpsweep, point.native, metric).ratio;
  };
  const serverRatio = (threads: number) => {
    const point = results.servers.find((p) => p.threads === threads);
    return point && sides(point.tcpsweep, point.native, respPerS).ratio;
  };
  return [
    { goal: "client resp/s vs native client, 1 connection", ratio: clientRatio(1, respPerS), bound: { atLeast: 0.95 } },
    { goal: "client resp/s vs native client, 100 connections", ratio: clientRatio(100, respPerS), bound: { atLeast: 1.0 } },
    ...[1000, 4000].map((c) => ({
      goal: `client resp/s vs native client, ${c} connections`,
      ratio: clientRatio(c, respPerS),
      bound: { atLeast: 1.3 },
    })),
    ...[100, 1000, 4000].map((c) => ({
      goal: `client CPU µs/resp vs native client, ${c} connections`,
      ratio: clientRatio(c, cpuPerResponse),
      bound: { atMost: 1.0 },
    })),
    { goal: "client peak RSS vs native client, 4000 connections", ratio: clientRatio(4000, peakRss), bound: { atMost: 1.0 } },
    ...[1, 2].map((t) => ({
      goal: `tcpsweep server vs native epoll server, ${SERVER_BENCH_CONNECTIONS} connections, ${t} thread${t > 1 ? "s" : ""}`,
      ratio: serverRatio(t),
      bound: { atLeast: 0.6 },
    })),
    ...(results.overhead ? overheadGoals(results.overhead) : []),
  ];
}

/** The tables and goals: what `npm run bench` prints on stdout, and the body of RESULTS.md. */
export function renderTables(results: BenchResults): string {
  const { options } = results;
  return [
    `## Client comparison: tcpsweep client (A) vs native client (B)`,
    "",
    `Native epoll server, ${CLIENT_BENCH_SERVER_THREADS} thread; tcpsweep client threads: ${options.clientThreads ?? `default (CPU count, ${results.machine.cores}, at most the connections)`}.`,
    "",
    results.clients.length > 0 ? clientTables(results.clients) : "Not measured (see Failures).",
    ...[nodeTable(results.clients, results.machine.node)].flatMap((text) => (text ? ["", text] : [])),
    "",
    `## Server comparison: tcpsweep server (A) vs native epoll server (B)`,
    "",
    `Native client, ${SERVER_BENCH_CONNECTIONS} connections; \`--threads N\` vs \`-t N\`.`,
    "",
    results.servers.length > 0 ? serverTable(results.servers) : "Not measured (see Failures).",
    "",
    `## Profiler perturbation`,
    "",
    `The built-in (tcpsweep) and the native epoll server, \`--threads ${PROFILED_SERVER_THREADS}\`, native client, ${PROFILED_CONNECTIONS.join(" and ")} connections; the profiler counts the server's whole process tree over the window.`,
    "",
    results.perturbation ? perturbationTable(results.perturbation) : "Not measured (see Failures).",
    "",
    overheadSection(results),
    "",
    "## Goals",
    "",
    goalsTable(goals(results)),
  ].join("\n");
}

function methodSection(results: BenchResults): string {
  const { options, machine } = results;
  const runs = options.runs === 1 ? "1 run" : `${options.runs} runs`;
  return [
    "## Method",
    "",
    `- Everything runs in one session on this machine, one load at a time. Within each point the variants take turns (A B A B …; profiler section: untraced, strace, perf, untraced …), ${runs} per variant, with a short pause between runs, so drift on the machine falls on both sides alike.`,
    `- Each run: ${options.warmupS} s warmup, then a ${options.durationS} s measured window. resp/s is the window's responses over the window's measured length, as each client reports it; p99 is the window's latency, and success % is responses / requests of the window.`,
    `- Cells show the median of the runs${options.runs > 1 ? ", with min–max in brackets" : ""}; A/B is the ratio of the medians.`,
    `- CPU µs/resp = (user + sys CPU) × 10⁶ / responses in the window. The CPU is the whole client process over its whole life — all threads, start-up, connects and warmup included — as \`bench/build/rusage\` reports it (getrusage(RUSAGE_CHILDREN) after the client exits). Both clients are measured this same way, so the ratio is fair; the absolute figures overstate the window's own cost by the warmup share (about ${((options.warmupS + options.durationS) / options.durationS).toFixed(2)}×) plus start-up, which weighs most at 1 connection and for Node's start-up. Peak RSS is rusage's maxrss of the client process.`,
    `- Client comparison: the native epoll server runs with ${CLIENT_BENCH_SERVER_THREADS} thread, so on this ${machine.cores}-core machine the client under test keeps a core to itself; one server serves every run of the section.`,
    `- Server comparison: both servers stay up for a thread count and are loaded in turn by the native client (which competes with them for the ${machine.cores} cores).`,
    `- Profiler perturbation: strace (\`strace -c -f -p …\`), perf (\`perf stat\` on syscall tracepoints) or bpf (bpftrace counting in kernel maps, with time per syscall; "bpf counts": \`time: false\`; started before the run, switched on as the warmup ends) attaches to every process of the server's tree as the client's warmup ends and detaches as its window closes. Server syscalls/resp = the profiler's syscall count per second of its own span ÷ the client's resp/s (the two spans differ by the attach time, so rates are compared rather than totals).`,
    `- Raw outputs (every run's figures in runs.json, the profilers' own output): \`${path.relative(REPO_ROOT, results.rawDir)}/\` (git-ignored).`,
  ].join("\n");
}

function machineSection(machine: Machine): string {
  const busy = machine.loadAtStart >= 1 ? " (busy: expect noisy numbers)" : "";
  return [
    "## Machine",
    "",
    `- CPU: ${machine.cpu}, ${machine.cores} cores`,
    `- Memory: ${machine.memory}`,
    `- Kernel: ${machine.kernel}`,
    `- Node: ${machine.node}`,
    `- C compiler: ${machine.cc}`,
    `- Load average (1 min) at start: ${machine.loadAtStart.toFixed(2)}${busy}`,
  ].join("\n");
}

/** The heading each `--only` section's text starts with in RESULTS.md. */
export const SECTION_HEADINGS: Record<BenchSection, string> = {
  clients: "## Client comparison",
  servers: "## Server comparison",
  profilers: "## Profiler perturbation",
  overhead: OVERHEAD_HEADING,
  scale: "## Connection scale", // written by scale.ts into its own marked block
  "warm-client": WARM_CLIENT_HEADING, // warm-client.ts, its own marked block
  accept: ACCEPT_HEADING, // accept-jain.ts, its own marked block
};

/**
 * `rendered` with a line under `heading` saying when, how and under what load that section was
 * measured: with --only, RESULTS.md's header still describes the last full run.
 */
export function withSectionProvenance(rendered: string, heading: string, results: BenchResults): string {
  const lines = rendered.split("\n");
  const at = lines.findIndex((line) => line.startsWith(heading));
  if (at < 0) return rendered;
  const note = `Measured ${results.startedAt} by \`${results.commandLine}\` (this section only; the header above describes the last full run), Node ${results.machine.node}, load average (1 min) at start ${results.machine.loadAtStart.toFixed(2)}${results.machine.loadAtStart >= 1 ? " (busy: expect noisy numbers)" : ""}.`;
  return [...lines.slice(0, at + 1), "", note, ...lines.slice(at + 1)].join("\n");
}

/** `previous` with the section starting `heading` (up to the next "## ") taken from `rendered`; appended before Findings when new. */
export function spliceSection(previous: string, rendered: string, heading: string): string {
  const block = (text: string) => {
    const lines = text.split("\n");
    const start = lines.findIndex((line) => line.startsWith(heading));
    if (start < 0) return undefined;
    const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
    return { lines, start, end: end < 0 ? lines.length : end };
  };
  const fresh = block(rendered);
  if (!fresh) return previous;
  const section = fresh.lines.slice(fresh.start, fresh.end);
  const old = block(previous);
  const lines = previous.split("\n");
  if (old) return [...lines.slice(0, old.start), ...section, ...lines.slice(old.end)].join("\n");
  const findings = lines.findIndex((line) => line.trimEnd() === FINDINGS_HEADING);
  const at = findings < 0 ? lines.length : findings;
  return [...lines.slice(0, at), ...section, ...lines.slice(at)].join("\n");
}

export function renderResults(results: BenchResults, findings: string): string {
  const minutes = Math.floor(results.elapsedS / 60);
  const seconds = Math.round(results.elapsedS % 60);
  return [
    "# tcpsweep benchmark: tcpsweep vs the native measuring sticks",
    "",
    `- Date: ${results.startedAt}`,
    `- Command: \`${results.commandLine}\``,
    `- Took: ${minutes}m${String(seconds).padStart(2, "0")}s`,
    ...(results.options.quick
      ? [
          `- **Quick mode** (smoke test: connections ${results.options.connections.join(", ")} only, ${results.options.runs} run(s), ${results.options.durationS} s windows): indicative numbers only.`,
        ]
      : []),
    "",
    machineSection(results.machine),
    "",
    methodSection(results),
    "",
    renderTables(results),
    "",
    ...(results.failures.length > 0
      ? ["## Failures", "", ...results.failures.map((failure) => `- ${failure.replaceAll("\n", " ")}`), ""]
      : []),
    findings,
  ].join("\n");
}
