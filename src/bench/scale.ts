/**
 * Connection scale (issue 22): the built-in pair at 10,000 and 19,000 connections (more with
 * `--scale`), each count one real `tcpsweep run` cell as a user would run it, so the status, the
 * served connections and Jain's index are the row's own. The client's peak RSS comes from its
 * JSON report in the run's raw log (all its load processes summed). Written into its own marked
 * block of bench/RESULTS.md; the other sections stay as they were.
 */
import { loadavg } from "node:os";
import { FD_HEADROOM, readOpenFileLimit } from "../process/limits.js";
import type { BenchContext } from "./experiments.js";
import type { Machine } from "./machine.js";
import { spliceMarked } from "./marked-section.js";
import { BUILT_CLI } from "./options.js";
import { sweep } from "./overhead.js";
import { timeWaitSockets } from "../sweep/time-wait.js";

export const SCALE_START = "<!-- scale: written by npm run bench -- --only scale -->";
export const SCALE_END = "<!-- /scale -->";
const WARMUP_S = 1;
const DURATION_S = 3;
/** A run's own limit: generous, so slow connects show as connect_s rather than as a timeout. */
const RUN_TIMEOUT_S = 180;
/**
 * Each count starts once the connections of the count before have left TIME_WAIT (60 s on Linux):
 * tens of thousands still waiting make the next count's connects several times slower
 * (docs/limits.md), which would measure the order of the counts, not the count.
 */
const QUIET_TIME_WAIT = 1000;
const TIME_WAIT_LIMIT_MS = 70_000;
/**
 * Each count once per accept strategy of the built-in server, taking turns: today's default and the one
 * issue 34 made `auto`'s pick, so connects at scale are compared side by side in one bench run.
 */
export const SCALE_ACCEPT = ["shared-descriptors", "balanced"] as const;

export interface ScaleRow {
  connections: number;
  serverThreads: number;
  accept: string;
  status: string;
  error: string;
  served: string;
  jain: string;
  connectS: string;
  respPerS: string;
  clientPeakRssKb?: number;
  clientProcesses?: number;
  sourceAddresses?: number;
  serverMaxRssKb: string;
  loadBefore: number;
  /** TCP sockets in TIME_WAIT on the machine as the count started. */
  timeWaitBefore?: number;
}

/** Server workers are processes, each under RLIMIT_NOFILE: at least 2, and as many as hold their share plus 10 %. */
export function scaleServerThreads(connections: number, openFileLimit: number): number {
  return Math.max(2, Math.ceil((connections * 1.1) / Math.max(1, openFileLimit - FD_HEADROOM)));
}

export async function measureScale(ctx: BenchContext, counts: readonly number[]): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const connections of counts) for (const accept of SCALE_ACCEPT) rows.push(...(await measureCount(ctx, connections, accept)));
  return rows;
}

/** One count with one accept strategy: one row, or none (the failure goes to ctx.failures). */
async function measureCount(ctx: BenchContext, connections: number, accept: string): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const serverThreads = scaleServerThreads(connections, readOpenFileLimit().soft);
  const label = `scale: ${connections} connections, server threads ${serverThreads}, --accept ${accept}`;
  ctx.progress.cellStarted(label);
  for (const deadline = Date.now() + TIME_WAIT_LIMIT_MS; (timeWaitSockets() ?? 0) > QUIET_TIME_WAIT && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const timeWaitBefore = timeWaitSockets();
  const loadBefore = loadavg()[0] ?? 0;
  try {
    const spec = {
      duration: `${DURATION_S}s`,
      warmup: `${WARMUP_S}s`,
      timeout: `${RUN_TIMEOUT_S}s`,
      matrix: { connections: [connections], threads: [serverThreads], accept: [accept] },
    };
    const run = await sweep(ctx, BUILT_CLI, `scale-${connections}-${accept}`, spec, { limitMs: (RUN_TIMEOUT_S + 60) * 1000 });
    const row = run.rows[0] ?? {};
    const log = [...run.logs.values()].join("\n");
    const json = (key: string) => new RegExp(`"${key}":(\\d+)`).exec(log)?.[1];
    const addresses = /"source_addresses":\[([^\]]*)\]/.exec(log)?.[1];
    rows.push({
      connections,
      serverThreads,
      accept,
      status: row.status ?? "no row",
      error: row.error ?? "",
      served: row.connections_served ?? "",
      jain: row.fairness_jain ?? "",
      connectS: row.connect_s ?? "",
      respPerS: row.resp_per_s ?? "",
      ...(json("peak_rss_kb") ? { clientPeakRssKb: Number(json("peak_rss_kb")) } : {}),
      ...(json("processes") ? { clientProcesses: Number(json("processes")) } : {}),
      ...(addresses !== undefined ? { sourceAddresses: Math.max(1, addresses.split(",").filter(Boolean).length) } : {}),
      serverMaxRssKb: row.server_max_rss_kb ?? "",
      loadBefore,
      ...(timeWaitBefore !== undefined ? { timeWaitBefore } : {}),
    });
    ctx.progress.cellFinished(label, `${row.status} served ${row.connections_served} connect_s ${row.connect_s}`);
  } catch (error) {
    ctx.failures.push(`${label}: ${(error as Error).message}`);
    ctx.progress.cellFinished(label, "failed");
  }
  return rows;
}

const mb = (kb: number | string | undefined) => (kb === undefined || kb === "" ? "—" : `${Math.round(Number(kb) / 1024)} MB`);
const perConnection = (kb: number | string | undefined, connections: number) =>
  kb === undefined || kb === "" ? "—" : `${(Number(kb) / connections).toFixed(1)} KiB`;

export interface ScaleRun {
  rows: ScaleRow[];
  startedAt: string;
  commandLine: string;
  machine: Machine;
  loadAtEnd: number;
  openFileLimit: number;
  failures: string[];
}

export function renderScale(run: ScaleRun): string {
  const { machine } = run;
  const lines = [
    SCALE_START,
    "## Connection scale: `npm run bench -- --only scale`",
    "",
    `- Date: ${run.startedAt}; command: \`${run.commandLine}\`; machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, kernel ${machine.kernel}, Node ${machine.node}; ulimit -n ${run.openFileLimit}.`,
    `- Load average (1 min): ${machine.loadAtStart.toFixed(2)} at start, ${run.loadAtEnd.toFixed(2)} at the end${machine.loadAtStart >= 1 ? " (the machine was shared: expect slower connects and lower resp/s than an idle one gives)" : ""}.`,
    `- Each count is one \`tcpsweep run\` cell of the built-in pair (${WARMUP_S} s warmup, ${DURATION_S} s window, run timeout ${RUN_TIMEOUT_S} s, client and spread automatic); server threads 2, or more when one worker's descriptor limit would not hold its share; each count once per accept strategy (\`--accept\` ${SCALE_ACCEPT.join(", ")}), taking turns. Each run starts once fewer than ${QUIET_TIME_WAIT} TCP sockets are in TIME_WAIT (waiting up to ${TIME_WAIT_LIMIT_MS / 1000} s for the count before's to expire; docs/limits.md). Figures are the CSV row's; client peak RSS is from the client's JSON (all its load processes summed), per connection = peak ÷ connections.`,
    "",
    "| connections | server threads | accept | status | served | Jain | connect_s | resp/s | client processes × source addresses | client peak RSS | per connection | server max RSS | load before | TIME_WAIT before |",
    "|---:|---:|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ...run.rows.map(
      (r) =>
        `| ${r.connections.toLocaleString("en-US")} | ${r.serverThreads} | ${r.accept} | ${r.status}${r.error ? ` (${r.error.slice(0, 80)})` : ""} | ${r.served} | ${r.jain} | ${r.connectS} | ${r.respPerS} | ${r.clientProcesses ?? "?"} × ${r.sourceAddresses ?? "?"} | ${mb(r.clientPeakRssKb)} | ${perConnection(r.clientPeakRssKb, r.connections)} | ${mb(r.serverMaxRssKb)} | ${r.loadBefore.toFixed(1)} | ${r.timeWaitBefore ?? "?"} |`,
    ),
    ...(run.failures.length > 0 ? ["", "Failures:", ...run.failures.map((f) => `- ${f}`)] : []),
    "",
    "Goals (issue 22): 10,000 `ok`, all served, Jain ≥ 0.9, connect_s ≤ 2 s; 19,000 the same with connect_s ≤ 4 s. Issue 34: `balanced` keeps both `ok` with connects no slower than `shared-descriptors` in the same run.",
    SCALE_END,
  ];
  return lines.join("\n");
}

/** `previous` with the scale block replaced, or the block appended when it has none. */
export function spliceScale(previous: string | undefined, block: string): string {
  return spliceMarked(previous, SCALE_START, SCALE_END, block);
}
