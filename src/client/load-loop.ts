/**
 * The closed loop of one load thread: opens its share of the connections and drives each
 * (send one request, wait for its whole response, repeat) until the manager ends the window.
 * What a request and a response are is the protocol's business (src/protocol), behind one
 * interface. Runs inside a worker thread, or in the manager's own thread when there is only one.
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { protocolNamed, type ClientSession } from "../protocol/index.js";
import { histogramCounts, newLatencyHistogram } from "./histogram.js";
import { Phase, emptyErrorCounts, type ErrorCounts, type FromWorker, type WorkerConfig } from "./messages.js";
import { connectFailure, openConnections, type AttemptEvents } from "./connect-window.js";
import { capYoungGeneration } from "./heap-limits.js";

/** One receive buffer for all connections of the loop: each read is consumed before the next. */
const READ_BUFFER_BYTES = 64 * 1024;
/** Open loop: a send leaving this much after its scheduled time counts as late (timers tick in ms). */
export const LATE_SEND_MS = 5;

/** A request on the wire: when it was (meant to be) sent, and whether the window counts it. */
interface InFlight {
  at: number;
  counted: boolean;
}

export class LoadLoop {
  readonly phase: Int32Array;
  readonly histogram = newLatencyHistogram();
  readonly errors: ErrorCounts = emptyErrorCounts();
  /** Makes each connection's protocol session (request bytes, response checks). */
  readonly protocol: { session(): ClientSession };
  readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  requests = 0;
  responses = 0;
  lateSends = 0;
  /** Connections that sent at least one request inside the window (the others died before it). */
  connectionsInWindow = 0;
  payloadMismatches = 0;
  unansweredOutsideWindow = 0;
  readonly windowStart: Float64Array;
  readonly perSecond: number[];
  /** Every connection that was established, finished or not: each keeps its own count of window responses. */
  private readonly established: LoadConnection[] = [];
  private readonly connections = new Set<LoadConnection>();
  /** Open loop: connections in send order (round robin) and the schedule's origin and progress. */
  private schedule?: { ring: LoadConnection[]; origin: number; sent: number; timer?: NodeJS.Timeout };
  private draining = false;
  private reported = false;
  private drainTimer?: NodeJS.Timeout;

  constructor(
    readonly config: WorkerConfig,
    private readonly post: (message: FromWorker) => void,
  ) {
    capYoungGeneration(config.connections);
    this.phase = new Int32Array(config.phase);
    this.windowStart = new Float64Array(config.windowStart);
    this.perSecond = new Array<number>(config.windowSeconds).fill(0);
    this.protocol = protocolNamed(config.protocol).client({ length: config.length }); // the CLI checks the length first
  }

  async start(): Promise<void> {
    const { connectWindow, connectRatePerS, connectRetryMs } = this.config;
    const policy = { window: connectWindow, retryForMs: connectRetryMs, ...(connectRatePerS !== undefined ? { ratePerS: connectRatePerS } : {}) };
    const outcome = await openConnections(this.config.connections, policy, (events) => new LoadConnection(this, events));
    this.errors.connect_failed += outcome.failed;
    const { failed, retries, errors: connectErrors, firstError } = outcome;
    this.post({ kind: "connected", established: this.config.connections - failed, failed, retries, connectErrors, ...(firstError ? { firstError } : {}) });
  }

  /**
   * Every loop has connected: traffic starts on all connections at once. Until then they stay
   * silent, so a server accepts them without serving the first ones in between (an event loop
   * busy with requests takes in new connections slowly, and the later ones would wait seconds).
   */
  begin(): void {
    if (this.draining) return;
    for (const connection of this.connections) connection.begin();
    if (this.config.ratePerS !== undefined) {
      this.schedule = { ring: [...this.connections], origin: performance.now(), sent: 0 };
      this.sendDue();
    }
  }

  /**
   * Open loop: the loop's sends form one schedule, origin + k / rate, dealt round robin to its
   * connections, sent whether or not earlier replies have come. Latency counts from the scheduled
   * time, so a stalled server shows in it (no coordinated omission).
   */
  private sendDue(): void {
    const schedule = this.schedule!;
    const rate = this.config.ratePerS!;
    if (Atomics.load(this.phase, 0) === Phase.DRAIN || schedule.ring.length === 0) return;
    const now = performance.now();
    const due = Math.floor(((now - schedule.origin) * rate) / 1000) + 1;
    for (; schedule.sent < due && schedule.ring.length > 0; schedule.sent++) {
      const at = schedule.origin + (schedule.sent * 1000) / rate;
      if (now - at > LATE_SEND_MS) this.lateSends++;
      schedule.ring[schedule.sent % schedule.ring.length]!.sendScheduled(at);
    }
    const next = schedule.origin + (schedule.sent * 1000) / rate;
    schedule.timer = setTimeout(() => this.sendDue(), Math.max(0, next - performance.now()));
  }

  /** The window has closed: idle connections finish on their next reply; the last wait at most one timeout. */
  stop(): void {
    this.draining = true;
    if (this.schedule) {
      clearTimeout(this.schedule.timer);
      for (const connection of [...this.connections]) connection.finishIfIdle();
    }
    if (this.connections.size === 0) return this.report();
    this.drainTimer = setTimeout(() => {
      for (const connection of [...this.connections]) connection.abandon();
      this.report();
    }, this.config.timeoutMs);
  }

  /** Closes every connection at once (the manager is done with this loop). */
  close(): void {
    clearTimeout(this.drainTimer);
    for (const connection of [...this.connections]) connection.close();
  }

  connectionFinished(connection: LoadConnection): void {
    this.connections.delete(connection);
    if (this.schedule) this.schedule.ring = this.schedule.ring.filter((c) => c !== connection);
    if (this.draining && this.connections.size === 0) this.report();
  }

  connectionEstablished(connection: LoadConnection): void {
    this.connections.add(connection);
    this.established.push(connection);
  }

  private report(): void {
    if (this.reported) return;
    this.reported = true;
    clearTimeout(this.drainTimer);
    this.post({
      kind: "result",
      requests: this.requests,
      responses: this.responses,
      errors: this.errors,
      lateSends: this.lateSends,
      connectionsInWindow: this.connectionsInWindow,
      // Connections that never connected count as zeros: fairness is over every requested connection.
      connectionResponses: [...this.established.map((c) => c.windowResponses), ...new Array<number>(this.config.connections - this.established.length).fill(0)],
      payloadMismatches: this.payloadMismatches,
      unansweredOutsideWindow: this.unansweredOutsideWindow,
      perSecond: this.perSecond,
      histogram: histogramCounts(this.histogram),
    });
  }
}

class LoadConnection {
  private readonly socket: Socket;
  private readonly session: ClientSession;
  private connected = false;
  /** Requests awaiting their reply, oldest first (replies come in order on one connection). */
  private readonly inFlight: InFlight[] = [];
  private finished = false;
  private sentInWindow = false;
  /** Replies to this connection's window requests. */
  windowResponses = 0;
  private readonly onResponse = (matches: boolean) => this.receive(matches);
  /** Frees this connection's place in the connect window: on the reply to its first request (or its end). */
  private admit?: () => void;

  constructor(
    private readonly loop: LoadLoop,
    events: AttemptEvents,
  ) {
    const { host, port, timeoutMs, localAddress } = loop.config;
    this.session = loop.protocol.session();
    // `onread` reads into the loop's one buffer: no Buffer per chunk, no stream machinery per read.
    this.socket = connect({
      host,
      port,
      ...(localAddress !== undefined ? { localAddress } : {}),
      noDelay: true,
      onread: { buffer: loop.readBuffer, callback: (bytes: number, buffer: Uint8Array) => this.read(bytes, buffer) },
    });
    this.socket.setTimeout(timeoutMs);
    const where = `${host}:${port}`;
    this.socket.once("connect", () => {
      this.connected = true;
      loop.connectionEstablished(this);
      // One uncounted request: its reply shows the server has accepted this connection (a connect
      // alone only shows the kernel queued it), and only then does its place in the window free.
      this.admit = () => events.admitted();
      this.write(performance.now());
    });
    this.socket.on("timeout", () => {
      if (!this.connected) return this.abortConnect(() => events.failed(connectFailure("timeout", timeoutMs, where)));
      this.fail("timed_out");
    });
    this.socket.on("error", (error) => {
      if (!this.connected) return this.abortConnect(() => events.failed(connectFailure(error, timeoutMs, where)));
      this.fail("closed_by_server");
    });
    this.socket.on("close", () => this.connected && this.fail("closed_by_server"));
  }

  /** All connections are made: the idle timeout watches it again, and a closed loop sends its first request. */
  begin(): void {
    this.socket.setTimeout(this.loop.config.timeoutMs);
    if (this.loop.config.ratePerS === undefined) this.sendNext();
  }

  /** Closed loop: the next request goes out as soon as the last reply is in. */
  private sendNext(): void {
    if (Atomics.load(this.loop.phase, 0) === Phase.DRAIN) return this.finish();
    this.write(performance.now());
  }

  /** Open loop: a request scheduled for `at`, sent now. */
  sendScheduled(at: number): void {
    const oldest = this.inFlight[0];
    // Writes keep the socket busy, so its idle timeout cannot see a server that stopped answering.
    if (oldest && performance.now() - oldest.at > this.loop.config.timeoutMs) return this.fail("timed_out");
    this.write(at);
  }

  private write(at: number): void {
    const counted = Atomics.load(this.loop.phase, 0) === Phase.MEASURE;
    if (counted) {
      this.loop.requests++;
      if (!this.sentInWindow) {
        this.sentInWindow = true;
        this.loop.connectionsInWindow++;
      }
    }
    this.inFlight.push({ at, counted });
    this.socket.write(this.session.nextRequest());
  }

  /** Open loop, window over: a connection with nothing in flight is done. */
  finishIfIdle(): void {
    if (this.inFlight.length === 0) this.finish();
  }

  /** A request still in flight at the drain deadline never got its reply. */
  abandon(): void {
    if (this.inFlight.length > 0) this.fail("timed_out");
  }

  close(): void {
    this.finished = true;
    this.socket.destroy();
  }

  /** Returns true: keep reading (false would pause the socket). */
  private read(bytes: number, buffer: Uint8Array): boolean {
    const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
    if (this.session.receive(chunk, this.onResponse) !== undefined) this.fail("bad_frame");
    return true;
  }

  /** One whole response, in order; `matches`: its payload is the request's (the protocol decides, e.g. an ACK always matches). */
  private receive(matches: boolean): void {
    if (this.finished) return;
    const loop = this.loop;
    const request = this.inFlight.shift();
    if (!request) return this.fail("bad_frame");
    // A response with the wrong payload is counted apart, or refused under verify payload.
    const mismatch = !matches;
    if (mismatch && loop.config.verifyPayload) return this.fail("bad_frame");
    if (request.counted) {
      const now = performance.now();
      loop.responses++;
      this.windowResponses++;
      if (mismatch) loop.payloadMismatches++;
      loop.histogram.recordValue(Math.round((now - request.at) * 1000));
      const second = Math.floor((performance.timeOrigin + now - loop.windowStart[0]!) / 1000);
      if (second >= 0 && second < loop.perSecond.length) loop.perSecond[second]!++;
    }
    if (this.admit) return this.admitted();
    if (loop.config.ratePerS === undefined) this.sendNext();
    else if (this.inFlight.length === 0 && Atomics.load(loop.phase, 0) === Phase.DRAIN) this.finish();
  }

  /** Accepted and answered once: silent (and without a timeout) until every connection is made. */
  private admitted(): void {
    const admit = this.admit!;
    this.admit = undefined;
    this.socket.setTimeout(0);
    admit();
  }

  private abortConnect(report: () => void): void {
    if (this.finished) return;
    this.finished = true;
    this.socket.destroy();
    report();
  }

  private fail(kind: keyof ErrorCounts): void {
    if (this.finished) return;
    this.loop.errors[kind]++;
    // A warmup request that never got its reply is a failed request too (window ones are in `requests` already).
    if (kind === "timed_out") this.loop.unansweredOutsideWindow += this.inFlight.filter((request) => !request.counted).length;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.inFlight.length = 0;
    this.socket.destroy();
    if (this.admit) this.admitted();
    this.loop.connectionFinished(this);
  }
}
