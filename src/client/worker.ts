/**
 * A load worker thread: opens its share of the connections and drives each in a closed loop
 * (send one CLIENT_CHAT frame, wait for one whole reply, repeat) until the manager ends the window.
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { FrameDecoder, FrameError, MessageType, encodeFrame, isServerReply, type Frame } from "../protocol/index.js";
import { encodeHistogram, newLatencyHistogram } from "./histogram.js";
import { Phase, emptyErrorCounts, type ErrorCounts, type FromWorker, type ToWorker, type WorkerConfig } from "./messages.js";

/** Connects in flight at once per worker: thousands of simultaneous SYNs overflow the server's backlog. */
const CONNECT_BATCH = 256;

const config = workerData as WorkerConfig;
const phase = new Int32Array(config.phase);
const histogram = newLatencyHistogram();
const errors: ErrorCounts = emptyErrorCounts();
let requests = 0;
let responses = 0;
let open = 0;
let draining = false;

const payload = Buffer.alloc(config.length);
for (let i = 0; i < payload.length; i++) payload[i] = 0x20 + (i % 95); // printable, so a capture is readable
const encodedRequest = encodeFrame(MessageType.CLIENT_CHAT, payload);
if (encodedRequest instanceof FrameError) throw new Error(encodedRequest.message); // the CLI checks the length first
const request: Buffer = encodedRequest;

const post = (message: FromWorker) => parentPort!.postMessage(message);

class LoadConnection {
  private readonly decoder = new FrameDecoder();
  private awaitingReply = false;
  /** Whether the request in flight was sent inside the measurement window. */
  private counted = false;
  private sentAt = 0;
  private finished = false;
  private readonly onFrame = (frame: Frame) => this.receive(frame);

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setTimeout(config.timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      const bad = this.decoder.push(chunk, this.onFrame);
      if (bad) this.fail("bad_frame");
    });
    socket.on("timeout", () => this.fail("timed_out"));
    socket.on("error", () => this.fail("closed_by_server"));
    socket.on("close", () => this.fail("closed_by_server"));
  }

  send(): void {
    const now = Atomics.load(phase, 0);
    if (now === Phase.DRAIN) return this.finish();
    this.counted = now === Phase.MEASURE;
    if (this.counted) requests++;
    this.awaitingReply = true;
    this.sentAt = performance.now();
    this.socket.write(request);
  }

  /** The request in flight at the drain deadline never got its reply. */
  abandon(): void {
    if (this.awaitingReply) this.fail("timed_out");
  }

  private receive(frame: Frame): void {
    if (this.finished) return;
    if (!this.awaitingReply || !isServerReply(frame.type) || (frame.type === MessageType.SERVER_ECHO && !frame.payload.equals(payload))) {
      return this.fail("bad_frame");
    }
    this.awaitingReply = false;
    if (this.counted) {
      responses++;
      histogram.recordValue(Math.round((performance.now() - this.sentAt) * 1000));
    }
    this.send();
  }

  private fail(kind: keyof ErrorCounts): void {
    if (this.finished) return;
    errors[kind]++;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.awaitingReply = false;
    this.socket.destroy();
    connections.delete(this);
    open--;
    if (draining && open === 0) report();
  }
}

const connections = new Set<LoadConnection>();

function openConnection(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: config.host, port: config.port });
    const onFailure = (reason: string) => {
      socket.destroy();
      errors.connect_failed++;
      resolve(reason);
    };
    socket.setTimeout(config.timeoutMs, () => onFailure(`connect to ${config.host}:${config.port} timed out after ${config.timeoutMs} ms`));
    socket.once("error", (error) => onFailure(error.message));
    socket.once("connect", () => {
      socket.removeAllListeners();
      const connection = new LoadConnection(socket);
      connections.add(connection);
      open++;
      resolve(undefined);
      connection.send();
    });
  });
}

async function connectAll(): Promise<void> {
  let failed = 0;
  let firstError: string | undefined;
  for (let started = 0; started < config.connections; started += CONNECT_BATCH) {
    const batch = Math.min(CONNECT_BATCH, config.connections - started);
    const outcomes = await Promise.all(Array.from({ length: batch }, openConnection));
    for (const outcome of outcomes) {
      if (outcome === undefined) continue;
      failed++;
      firstError ??= outcome;
    }
  }
  post({ kind: "connected", established: config.connections - failed, failed, ...(firstError ? { firstError } : {}) });
}

let reported = false;
function report(): void {
  if (reported) return;
  reported = true;
  post({ kind: "result", requests, responses, errors, histogram: encodeHistogram(histogram) });
}

parentPort!.on("message", (message: ToWorker) => {
  if (message.kind !== "stop") return;
  // Idle connections finish on their next reply; wait at most one timeout for the last ones.
  draining = true;
  if (open === 0) return report();
  setTimeout(() => {
    for (const connection of [...connections]) connection.abandon();
    report();
  }, config.timeoutMs);
});

void connectAll();
