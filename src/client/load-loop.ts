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
import { InFlightQueue } from "./in-flight.js";

/** One receive buffer for all connections of the loop: each read is consumed before the next. */
const READ_BUFFER_BYTES = 64 * 1024;
/** Open loop: a send leaving this much after its scheduled time counts as late (timers tick in ms). */
export const LATE_SEND_MS = 5;

/**
 * After the connects, one coarse timer per loop watches every connection's idle time (a socket's
 * own timeout is re-armed on every read and write: two timer-list updates per request). A
 * connection with requests in flight and no byte in or out for the timeout fails as timed out:
 * never before the timeout, at most two ticks after it (ticks of a tenth of the timeout, 10 ms … 1 s).
 */
export const idleTickMs = (timeoutMs: number): number => Math.min(1000, Math.max(10, Math.round(timeoutMs / 10)));

export class LoadLoop {
  readonly phase: Int32Array;
  readonly histogram = newLatencyHistogram();
  /** Closed loop: the client's own turnaround per window reply, in ns (see LoadConnection.write). */
  readonly turnaround = newLatencyHistogram();
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
  private idleTimer?: NodeJS.Timeout;
  /** The window's start on this thread's performance.now() clock (windowStart is epoch ms, shared). */
  private windowOrigin?: number;

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
    const policy = {
      window: connectWindow,
      retryForMs: connectRetryMs,
      ...(connectRatePerS !== undefined ? { ratePerS: connectRatePerS } : {}),
    };
    const outcome = await openConnections(this.config.connections, policy, (events) => new LoadConnection(this, events));
    this.errors.connect_failed += outcome.failed;
    const { failed, retries, errors: connectErrors, firstError } = outcome;
    this.post({
      kind: "connected",
      established: this.config.connections - failed,
      failed,
      retries,
      connectErrors,
      ...(firstError ? { firstError } : {}),
    });
  }

  /**
   * Every loop has connected: traffic starts on all connections at once. Until then they stay
   * silent, so a server accepts them without serving the first ones in between (an event loop
   * busy with requests takes in new connections slowly, and the later ones would wait seconds).
   */
  begin(): void {
    if (this.draining) return;
    for (const connection of this.connections) connection.begin();
    this.idleTimer = setInterval(() => this.checkIdle(), idleTickMs(this.config.timeoutMs));
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

  private checkIdle(): void {
    const now = performance.now();
    for (const connection of [...this.connections]) connection.checkIdle(now);
  }

  /** Which whole second of the window `now` falls in (negative before it). */
  windowSecond(now: number): number {
    this.windowOrigin ??= this.windowStart[0]! - performance.timeOrigin; // set before the phase turned MEASURE
    return Math.floor((now - this.windowOrigin) / 1000);
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
    clearInterval(this.idleTimer);
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
    clearInterval(this.idleTimer);
    this.post({
      kind: "result",
      requests: this.requests,
      responses: this.responses,
      errors: this.errors,
      lateSends: this.lateSends,
      connectionsInWindow: this.connectionsInWindow,
      // Connections that never connected count as zeros: fairness is over every requested connection.
      connectionResponses: [
        ...this.established.map((c) => c.windowResponses),
        ...new Array<number>(this.config.connections - this.established.length).fill(0),
      ],
      payloadMismatches: this.payloadMismatches,
      unansweredOutsideWindow: this.unansweredOutsideWindow,
      perSecond: this.perSecond,
      histogram: histogramCounts(this.histogram),
      turnaroundNs: histogramCounts(this.turnaround),
    });
  }
}

class LoadConnection {
  private readonly socket: Socket;
  private readonly session: ClientSession;
  private connected = false;
  /** Requests awaiting their reply, oldest first (replies come in order on one connection). */
  private readonly inFlight = new InFlightQueue();
  /** A byte went in or out since the last idle tick; and when it last did, as of a tick. */
  private active = false;
  private quietSince = 0;
  /** When the bytes that completed the last response reached JS (start of the read callback that held them). */
  private arrivedAt = 0;
  /** Closed loop: arrivedAt of a window reply whose next request is not sent yet; -1 when none. */
  private repliedAt = -1;
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

  /** All connections are made: the loop's idle ticks watch it (checkIdle), and a closed loop sends its first request. */
  begin(): void {
    this.quietSince = performance.now();
    if (this.loop.config.ratePerS === undefined) this.sendNext();
  }

  /** Closed loop: the next request goes out as soon as the last reply is in. */
  private sendNext(): void {
    if (Atomics.load(this.loop.phase, 0) === Phase.DRAIN) return this.finish();
    this.write(performance.now());
  }

  /** An idle tick: requests in flight and no byte in or out for the timeout is a timeout (what the socket's own idle timeout said before). */
  checkIdle(now: number): void {
    if (this.active) {
      this.active = false;
      this.quietSince = now;
    } else if (this.inFlight.length > 0 && now - this.quietSince >= this.loop.config.timeoutMs) this.fail("timed_out");
  }

  /** Open loop: a request scheduled for `at`, sent now. */
  sendScheduled(at: number): void {
    const oldest = this.inFlight.oldestAt();
    // Writes keep the socket busy, so the idle ticks cannot see a server that stopped answering.
    if (oldest !== undefined && performance.now() - oldest > this.loop.config.timeoutMs) return this.fail("timed_out");
    this.write(at);
  }

  /**
   * The client's turnaround, recorded here: from the reply's arrival in JS to this request being
   * handed to write(). The write itself is the next request's latency (timed from `at`), so the
   * two add up to the connection's timeline without overlap.
   */
  private write(at: number): void {
    if (this.repliedAt >= 0) {
      this.loop.turnaround.recordValue(Math.round((at - this.repliedAt) * 1e6));
      this.repliedAt = -1;
    }
    const counted = Atomics.load(this.loop.phase, 0) === Phase.MEASURE;
    if (counted) {
      this.loop.requests++;
      if (!this.sentInWindow) {
        this.sentInWindow = true;
        this.loop.connectionsInWindow++;
      }
    }
    this.inFlight.push(at, counted);
    this.active = true;
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
    this.active = true;
    this.arrivedAt = performance.now();
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
      // A response arrived when the bytes completing it reached JS, not after decoding them.
      const now = this.arrivedAt;
      if (loop.config.ratePerS === undefined) this.repliedAt = now;
      loop.responses++;
      this.windowResponses++;
      if (mismatch) loop.payloadMismatches++;
      loop.histogram.recordValue(Math.round((now - request.at) * 1000));
    }
    // The per-second series counts every reply that arrives in the window, whichever request it
    // answers: with round trips over a second (50,000 connections), replies to window requests
    // only begin to arrive in its second second, and the first would look like a stall.
    if (Atomics.load(loop.phase, 0) !== Phase.WARMUP) {
      const second = loop.windowSecond(this.arrivedAt);
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
    if (kind === "timed_out") this.loop.unansweredOutsideWindow += this.inFlight.uncounted();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.inFlight.clear();
    this.socket.destroy();
    if (this.admit) this.admitted();
    this.loop.connectionFinished(this);
  }
}
