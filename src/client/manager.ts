/**
 * The load manager: fans connections out to worker threads, runs the phases
 * (connect → warmup → measured window → drain) and merges counts and histograms.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { EventEmitter } from "node:events";
import { Worker } from "node:worker_threads";
import { LoadLoop } from "./load-loop.js";
import { connectionSpread, mergeSeconds, type ConnectionSpread, type SecondSeries } from "./connection-stats.js";
import { addCounts, newLatencyHistogram, type LatencyHistogram } from "./histogram.js";
import { Phase, emptyErrorCounts, type ErrorCounts, type FromWorker, type ToWorker, type WorkerConfig } from "./messages.js";
import type { ClientOptions } from "./options.js";
import { emptyConnectErrors, type ConnectErrorCounts } from "./connect-window.js";
import { ProcessLoop } from "./process-loop.js";
import { evenShares, planSpread, type Spread } from "./spread.js";
import { readEphemeralPorts, readOpenFileLimit } from "../process/limits.js";
import { CAPPED_LOOP_CONNECTIONS, loopResourceLimits } from "./heap-limits.js";

/**
 * Connects in flight over all loops (each its share), a connect holding its place until the server
 * has answered it once: half of the usual somaxconn (4096), so the connections the server has not
 * accepted yet never fill its accept queue, and wide enough that a loaded server's round trip does
 * not pace the opening (256 took twice as long at 10,000 connections on a busy machine).
 */
export const CONNECT_WINDOW_TOTAL = 2048;

export interface LoadResult {
  options: ClientOptions;
  connectionsEstablished: number;
  /** Requests sent inside the measured window. */
  requests: number;
  /** Whole, valid replies to those requests (drained after the window ends). */
  responses: number;
  /** Over the whole run, warmup included: a connection lost in warmup is missing from the window. */
  errors: ErrorCounts;
  /** Open loop: sends that left late (see LATE_SEND_MS). */
  lateSends: number;
  /** Connections that sent in the window: fewer than established when some died before it. */
  connectionsInWindow: number;
  /** Counted ECHO replies whose payload differs from the request (verify type). */
  payloadMismatches: number;
  /** Requests sent before the window that never got a reply: failures the window's own counts miss. */
  unansweredOutsideWindow: number;
  /** Responses in the window per requested connection: served, Jain's index, min / p50 / max. */
  connectionSpread: ConnectionSpread;
  /** Each requested connection's responses in the window, every loop's side by side (the spread's input, for an exact merge across hosts). */
  connectionResponses: number[];
  /** Responses per whole second of the window. */
  seconds: SecondSeries;
  /** The window actually measured, not the nominal duration. */
  windowS: number;
  /** From the start of runLoad (threads included) until every loop reported its connects done. */
  connectS: number;
  /** Connect attempts repeated after a refusal or timeout (within the warmup). */
  connectRetries: number;
  /** Connections that never connected, by why (after their retries). */
  connectErrors: ConnectErrorCounts;
  latencyUs: LatencyHistogram;
  /** Closed loop: the client's turnaround per window reply, ns (load-loop.ts, LoadConnection.write); empty in an open loop. */
  turnaroundNs: LatencyHistogram;
  /** CPU of this whole process (all threads) during the window. */
  cpuUserS: number;
  cpuSystemS: number;
  /** This process's peak RSS, plus each load process's when the client spread over several. */
  peakRssKb: number;
  /** How the connections were spread: loops (threads or processes), processes, source addresses. */
  spread: Spread;
}

/** The client cannot spread its connections under this machine's limits as asked (exit 2: the user can act on it). */
export class SpreadError extends Error {}

/** The spread runLoad will use under this process's limits; throws SpreadError naming every problem. */
export function clientSpread(options: ClientOptions): Spread {
  const plan = planSpread({
    connections: options.connections,
    threads: options.threads,
    host: options.host,
    ...(options.processes !== undefined ? { processes: options.processes } : {}),
    ...(options.sourceAddresses !== undefined ? { sourceAddresses: options.sourceAddresses } : {}),
    openFileLimit: readOpenFileLimit().soft,
    portsPerAddress: readEphemeralPorts(),
  });
  if ("problems" in plan) throw new SpreadError(plan.problems.join("; "));
  return plan;
}

export class NoConnectionError extends Error {}

type WorkerResult = Extract<FromWorker, { kind: "result" }>;
type WorkerConnected = Extract<FromWorker, { kind: "connected" }>;

/** Connections per worker: as even as possible, every connection assigned. */
export const spreadConnections = evenShares;

/** Called as the measured window opens and closes (e.g. so a sweep can sample the server then). */
export interface WindowHooks {
  /** After the warmup, before the window: resolves when the window may open (traffic goes on meanwhile, uncounted). */
  beforeWindow?(): Promise<void>;
  windowStarted?(): void;
  windowEnded?(): void;
}

export async function runLoad(options: ClientOptions, hooks: WindowHooks = {}): Promise<LoadResult> {
  const loadStart = performance.now();
  const phaseBuffer = new SharedArrayBuffer(4);
  const phase = new Int32Array(phaseBuffer);
  const windowStartBuffer = new SharedArrayBuffer(8);
  const spread = clientSpread(options);
  const shares = spread.loops.map((loop) => loop.connections);
  const workers = spread.loops.map(({ connections, localAddress }, index) => {
    const config: WorkerConfig = {
      ...(localAddress !== undefined ? { localAddress } : {}),
      host: options.host,
      port: options.port,
      connections,
      protocol: options.protocol,
      length: options.length,
      timeoutMs: Math.round(options.timeoutS * 1000),
      ...(options.rate !== undefined ? { ratePerS: (options.rate * connections) / options.connections } : {}),
      phase: phaseBuffer,
      windowStart: windowStartBuffer,
      windowSeconds: Math.ceil(options.durationS) + 1,
      verifyPayload: options.verify === "payload",
      connectWindow: Math.max(1, Math.ceil(CONNECT_WINDOW_TOTAL / shares.length)),
      ...(options.connectRate !== undefined ? { connectRatePerS: (options.connectRate * connections) / options.connections } : {}),
      connectRetryMs: options.warmupS * 1000,
    };
    if (spread.processes > 1) return new ProcessLoop(config);
    // The first loop needs no thread of its own: this thread only waits on timers meanwhile, and
    // running the loop here saves a V8 isolate (about 12 MB and its start-up CPU). Past
    // CAPPED_LOOP_CONNECTIONS per loop, as before, only a single loop does (heap-limits.ts).
    const inThisThread = index === 0 && (shares.length === 1 || Math.max(...shares) <= CAPPED_LOOP_CONNECTIONS);
    return inThisThread
      ? new InProcessLoop(config)
      : new Worker(new URL("./worker.js", import.meta.url), { workerData: config, resourceLimits: loopResourceLimits(connections) });
  });
  const setPhase = (value: number, windowStartEpochMs: number) => {
    Atomics.store(phase, 0, value);
    for (const worker of workers) if (worker instanceof ProcessLoop) worker.setPhase(value, windowStartEpochMs);
  };
  try {
    const connected = await Promise.all(workers.map((worker) => nextMessage<WorkerConnected>(worker, "connected")));
    const connectS = (performance.now() - loadStart) / 1000;
    const established = connected.reduce((sum, c) => sum + c.established, 0);
    const connectRetries = connected.reduce((sum, c) => sum + c.retries, 0);
    const connectErrors = emptyConnectErrors();
    for (const c of connected)
      for (const kind of Object.keys(connectErrors) as (keyof ConnectErrorCounts)[]) connectErrors[kind] += c.connectErrors[kind];
    if (established === 0) {
      const reason = connected.find((c) => c.firstError)?.firstError ?? "unknown reason";
      throw new NoConnectionError(`no connection to ${options.host}:${options.port} could be made: ${reason}`);
    }
    const results = Promise.all(workers.map((worker) => nextMessage<WorkerResult>(worker, "result")));
    results.catch(() => undefined); // awaited below; a worker dying during warmup must not crash us before then
    for (const worker of workers) worker.postMessage({ kind: "begin" } satisfies ToWorker);
    await sleep(options.warmupS * 1000);
    await hooks.beforeWindow?.();

    const cpuBefore = process.cpuUsage();
    const windowStart = performance.now();
    new Float64Array(windowStartBuffer)[0] = performance.timeOrigin + windowStart; // published by the Atomics.store below
    setPhase(Phase.MEASURE, performance.timeOrigin + windowStart);
    hooks.windowStarted?.();
    // A timer counts from the event loop's cached clock, so it can fire up to a millisecond early:
    // the window is never shorter than asked (its whole seconds make the per-second series).
    for (let left = options.durationS * 1000; left > 0; left = options.durationS * 1000 - (performance.now() - windowStart))
      await sleep(left);
    setPhase(Phase.DRAIN, performance.timeOrigin + windowStart);
    const windowS = (performance.now() - windowStart) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    hooks.windowEnded?.();
    for (const worker of workers) worker.postMessage({ kind: "stop" } satisfies ToWorker);

    const perLoop = await results;
    return {
      options,
      connectionsEstablished: established,
      ...mergeResults(perLoop),
      // A trailing partial second is left out of the series: its count would not be a per-second rate.
      seconds: mergeSeconds(
        perLoop.map((result) => result.perSecond),
        Math.floor(windowS + 1e-9),
      ),
      windowS,
      connectS,
      connectRetries,
      connectErrors,
      cpuUserS: (cpu.user + sumOf(perLoop, (r) => r.processCpu?.user ?? 0)) / 1e6,
      cpuSystemS: (cpu.system + sumOf(perLoop, (r) => r.processCpu?.system ?? 0)) / 1e6,
      peakRssKb: process.resourceUsage().maxRSS + sumOf(perLoop, (r) => r.peakRssKb ?? 0),
      spread,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

const sumOf = <T>(items: readonly T[], value: (item: T) => number): number => items.reduce((total, item) => total + value(item), 0);

type MergedCounts =
  | "requests"
  | "responses"
  | "errors"
  | "lateSends"
  | "connectionsInWindow"
  | "latencyUs"
  | "turnaroundNs"
  | "payloadMismatches"
  | "unansweredOutsideWindow"
  | "connectionSpread"
  | "connectionResponses";

/** Exact merge: sums of counts, and the per-connection counts of all loops side by side. */
function mergeResults(results: WorkerResult[]): Pick<LoadResult, MergedCounts> {
  const latencyUs = newLatencyHistogram();
  const turnaroundNs = newLatencyHistogram();
  const errors = emptyErrorCounts();
  let requests = 0;
  let responses = 0;
  let lateSends = 0;
  let connectionsInWindow = 0;
  let payloadMismatches = 0;
  let unansweredOutsideWindow = 0;
  for (const result of results) {
    connectionsInWindow += result.connectionsInWindow;
    payloadMismatches += result.payloadMismatches;
    unansweredOutsideWindow += result.unansweredOutsideWindow;
    requests += result.requests;
    responses += result.responses;
    lateSends += result.lateSends;
    for (const kind of Object.keys(errors) as (keyof ErrorCounts)[]) errors[kind] += result.errors[kind];
    addCounts(latencyUs, result.histogram);
    addCounts(turnaroundNs, result.turnaroundNs);
  }
  const connectionResponses = results.flatMap((result) => result.connectionResponses);
  const spread = connectionSpread(connectionResponses);
  return {
    requests,
    responses,
    errors,
    lateSends,
    connectionsInWindow,
    latencyUs,
    turnaroundNs,
    payloadMismatches,
    unansweredOutsideWindow,
    connectionSpread: spread,
    connectionResponses,
  };
}

/** A LoadLoop in this thread, speaking the same messages and events as a Worker. */
class InProcessLoop extends EventEmitter {
  private readonly loop: LoadLoop;
  constructor(config: WorkerConfig) {
    super();
    // Deliver asynchronously, as a worker's messages are.
    this.loop = new LoadLoop(config, (message) => setImmediate(() => this.emit("message", message)));
    this.loop.start().catch((error: unknown) => this.emit("error", error));
  }
  postMessage(message: ToWorker): void {
    if (message.kind === "begin") this.loop.begin();
    else if (message.kind === "stop") this.loop.stop();
  }
  async terminate(): Promise<void> {
    this.loop.close();
  }
}

type LoadThread = Worker | InProcessLoop | ProcessLoop;

/** The next message of one kind from a worker; a worker that dies first rejects with its error. */
function nextMessage<T extends FromWorker>(worker: LoadThread, kind: T["kind"]): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if (message.kind !== kind) return;
      cleanup();
      resolve(message as T);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`load worker exited with code ${code} before sending "${kind}"`));
    };
    const cleanup = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
  });
}
