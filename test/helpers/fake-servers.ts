/**
 * Test helpers: misbehaving TCP servers run inside the test process, the real `tcpsweep server`
 * as a child process, the client CLI as a child process, and a raw frame-level TCP client.
 * Everything listens on / connects to 127.0.0.1 with real sockets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { ClientReport } from "../../src/client/report.js";
import { isAlive } from "../../src/process/proctree.js";
import { FRAME_SIZE, FrameDecoder, FrameError, MessageType, encodeFrame, type Frame } from "../../src/protocol/index.js";

export const HOST = "127.0.0.1";
/** The built CLI, resolved from this file so the tests work from any working directory. */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

// ---------------------------------------------------------------------------------------------
// Fake servers
// ---------------------------------------------------------------------------------------------

export interface FakeServer {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Whole frames received from clients so far. */
  readonly framesReceived: number;
  close(): Promise<void>;
}

interface FakeContext {
  /** Counts a received frame; call from onFrame handlers. */
  countFrame(): void;
}

/** A TCP server on 127.0.0.1:0 whose every connection is handed to `onConnection`. */
export function startFakeServer(onConnection: (socket: Socket, context: FakeContext) => void): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let framesReceived = 0;
  const context: FakeContext = { countFrame: () => void framesReceived++ };
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy()); // a client that goes away must not fail the test process
    onConnection(socket, context);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: HOST, port: 0 }, () => {
      const address = server.address();
      if (!address || typeof address !== "object") return reject(new Error("fake server has no port"));
      resolve({
        port: address.port,
        get connections() {
          return connections;
        },
        get framesReceived() {
          return framesReceived;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Calls `onFrame` for every whole frame a client sends (the fakes only ever get good frames). */
function onFrames(socket: Socket, context: FakeContext, onFrame: (frame: Frame) => void): void {
  const decoder = new FrameDecoder();
  socket.on("data", (chunk: Buffer) => {
    decoder.push(chunk, (frame) => {
      context.countFrame();
      if (!socket.destroyed) onFrame(frame);
    });
  });
}

function frame(type: number, payload: Uint8Array): Buffer {
  const encoded = encodeFrame(type as MessageType, payload);
  if (encoded instanceof FrameError) throw new Error(encoded.message);
  return encoded;
}

/** Replies to every frame with 1024 bytes that are not a frame: an unknown type byte, or a length over 1021. */
export function garbageServer(kind: "unknown-type" | "bad-length" = "unknown-type"): Promise<FakeServer> {
  return startFakeServer((socket, context) =>
    onFrames(socket, context, () => {
      const reply = Buffer.alloc(FRAME_SIZE, 0x5a); // 'Z' * 1024: type 0x5a is unknown
      if (kind === "bad-length") {
        reply[0] = MessageType.SERVER_ECHO;
        reply.writeUInt16LE(0xffff, 1);
      }
      socket.write(reply);
    }),
  );
}

/** Replies to the first frame with only the first `bytes` bytes of a valid ECHO, then never sends again. */
export function shortFrameServer(bytes = 100): Promise<FakeServer> {
  return startFakeServer((socket, context) => {
    let replied = false;
    onFrames(socket, context, (received) => {
      if (replied) return;
      replied = true;
      socket.write(frame(MessageType.SERVER_ECHO, received.payload).subarray(0, bytes));
    });
  });
}

/** Replies with a whole, well-formed frame of a client type (CLIENT_CHAT, same payload). */
export function wrongTypeServer(): Promise<FakeServer> {
  return startFakeServer((socket, context) =>
    onFrames(socket, context, (received) => socket.write(frame(MessageType.CLIENT_CHAT, received.payload))),
  );
}

/** Replies with an ECHO whose payload differs from what was sent (first byte flipped; empty → one byte). */
export function wrongEchoServer(): Promise<FakeServer> {
  return startFakeServer((socket, context) =>
    onFrames(socket, context, (received) => {
      const payload = received.payload.length === 0 ? Buffer.from([1]) : Buffer.from(received.payload);
      if (received.payload.length > 0) payload[0] = payload[0]! ^ 0xff;
      socket.write(frame(MessageType.SERVER_ECHO, payload));
    }),
  );
}

/**
 * Echoes correctly, then closes the connection (FIN): after `afterFrames` frames, or `afterMs`
 * after accepting it, whichever comes first.
 */
export function closingServer(limit: { afterFrames?: number; afterMs?: number }): Promise<FakeServer> {
  return startFakeServer((socket, context) => {
    let served = 0;
    if (limit.afterMs !== undefined) {
      const timer = setTimeout(() => socket.end(), limit.afterMs);
      socket.once("close", () => clearTimeout(timer));
    }
    onFrames(socket, context, (received) => {
      if (socket.writableEnded) return;
      if (served === limit.afterFrames) return void socket.end();
      served++;
      socket.write(frame(MessageType.SERVER_ECHO, received.payload));
    });
  });
}

/** Accepts and reads everything, never replies. */
export function silentServer(): Promise<FakeServer> {
  return startFakeServer((socket, context) => onFrames(socket, context, () => undefined));
}

/** Echoes correctly for `afterFrames` frames per connection, then resets the connection (RST). */
export function resettingServer(afterFrames: number): Promise<FakeServer> {
  return startFakeServer((socket, context) => {
    let served = 0;
    onFrames(socket, context, (received) => {
      if (served === afterFrames) return void socket.resetAndDestroy();
      served++;
      socket.write(frame(MessageType.SERVER_ECHO, received.payload));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/** Every child a helper started, so a test file can check nothing is left. */
const startedChildren = new Set<ChildProcess>();

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** PIDs of children started by these helpers that have not exited (should be none after a test file). */
export function runningChildren(): number[] {
  return [...startedChildren].filter((child) => !hasExited(child)).map((child) => child.pid!);
}

/** Last-resort cleanup: SIGKILLs (by PID) every helper-started child that is still running, and its descendants. */
export async function killRunningChildren(): Promise<void> {
  for (const child of startedChildren) {
    if (hasExited(child)) continue;
    const tree = descendantPids(child.pid!);
    killIfAlive(child.pid!);
    for (const pid of tree) killIfAlive(pid);
    await exitOf(child);
  }
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Alive: some thread of the process has not exited yet (the product's own rule, src/process/proctree.ts). */
export { isAlive };

/** Direct children of `pid`, found by the ppid field of /proc/N/stat. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    if (Number(statFields(Number(entry))?.[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/** Every live descendant of `pid` (not `pid` itself). */
export function descendantPids(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    for (const child of childPids(pending.pop()!)) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

/** `promise`'s value, or undefined if it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<ExitResult> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

function killIfAlive(pid: number): void {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone in between
  }
}

export interface RealServer {
  pid: number;
  host: string;
  port: number;
  child: ChildProcess;
  exited: Promise<ExitResult>;
  stdout(): string;
  stderr(): string;
  /**
   * Sends `signal` to the server's PID and waits for it to exit; SIGKILLs it and its former
   * descendants if it has not exited after `graceMs`. Returns how it exited and how long it took.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitResult & { ms: number; forced: boolean }>;
}

/** Spawns argv with piped output collected as it comes; the child is stopped by the suite's cleanup. */
function spawnTracked(argv: readonly string[]): { child: ChildProcess; pid: number; out: { stdout: string; stderr: string } } {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
  startedChildren.add(child);
  const out = { stdout: "", stderr: "" };
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (out.stdout += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (out.stderr += text));
  return { child, pid: child.pid, out };
}

/** Starts `tcpsweep server --port 0 ...args` (behind `wrapper`, such as `prlimit ...`, which execs node) and waits for its `listening on HOST:PORT` line. */
export async function startRealServer(
  args: readonly string[] = [],
  startTimeoutMs = 20_000,
  wrapper: readonly string[] = [],
): Promise<RealServer> {
  const { child, pid, out } = spawnTracked([...wrapper, process.execPath, CLI, "server", "--port", "0", ...args]);
  const exited = exitOf(child);

  const stop: RealServer["stop"] = async (signal = "SIGTERM", graceMs = 5000) => {
    const tree = descendantPids(pid);
    const started = performance.now();
    if (!hasExited(child)) process.kill(pid, signal);
    const result = await within(exited, graceMs);
    const ms = performance.now() - started;
    const forced = result === undefined;
    if (forced) killIfAlive(pid);
    for (const descendant of tree) killIfAlive(descendant);
    return { ...(result ?? (await exited)), ms, forced };
  };

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      killIfAlive(pid);
      reject(new Error(`tcpsweep server printed no "listening on" line within ${startTimeoutMs} ms; stderr: ${out.stderr}`));
    }, startTimeoutMs);
    const onData = () => {
      const match = /^listening on (\S+):(\d+)$/m.exec(out.stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve(Number(match[2]));
    };
    child.stdout!.on("data", onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`tcpsweep server exited (${signal ?? code}) before listening; stderr: ${out.stderr}`));
    });
  });
  return { pid, host: HOST, port, child, exited, stdout: () => out.stdout, stderr: () => out.stderr, stop };
}

export interface CliResult extends ExitResult {
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
  pid: number;
}

/**
 * Runs `node dist/cli/main.js ...args` (optionally behind a wrapper such as `prlimit ...` that
 * execs node) and collects its output. A run still going after `timeoutMs` is SIGKILLed and rejects.
 */
export function runCli(args: readonly string[], options: { wrapper?: readonly string[]; timeoutMs?: number } = {}): Promise<CliResult> {
  const wrapper = options.wrapper ?? [];
  const argv = [...wrapper, process.execPath, CLI, ...args];
  const started = performance.now();
  const { child, pid, out } = spawnTracked(argv);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killIfAlive(pid);
      reject(new Error(`tcpsweep ${args.join(" ")} still running after ${timeoutMs} ms; stderr: ${out.stderr}`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // "close", not "exit": all output has been read by then.
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr, ms: performance.now() - started, pid });
    });
  });
}

/** Runs the client with `--json` and parses its one line of output. */
export async function runClientJson(
  args: readonly string[],
  options?: { timeoutMs?: number },
): Promise<CliResult & { report: ClientJson }> {
  const result = await runCli(["client", "--json", ...args], options);
  if (result.code !== 0) throw new Error(`client exited ${result.code ?? result.signal}: ${result.stderr}`);
  const lines = result.stdout.trim().split("\n");
  if (lines.length !== 1) throw new Error(`client --json printed ${lines.length} lines: ${result.stdout}`);
  return { ...result, report: JSON.parse(lines[0]!) as ClientJson };
}

/** The client's `--json` report, as the client itself declares it. */
export type ClientJson = ClientReport;

// ---------------------------------------------------------------------------------------------
// A raw frame-level client
// ---------------------------------------------------------------------------------------------

/** A plain TCP connection that buffers what it receives and hands it out 1024 bytes at a time. */
export class RawClient {
  private received = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    socket.on("error", () => undefined); // a reset shows up as "close"
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = HOST): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawClient(socket));
      });
      socket.once("error", reject);
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** Waits for `count` whole 1024-byte frames and returns copies of them. */
  async frames(count: number, timeoutMs = 5000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count * FRAME_SIZE) {
      if (this.ended) throw new Error(`connection closed after ${this.received.length} of ${count * FRAME_SIZE} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`got ${this.received.length} of ${count * FRAME_SIZE} bytes within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const frames = Array.from({ length: count }, (_, i) => Buffer.from(this.received.subarray(i * FRAME_SIZE, (i + 1) * FRAME_SIZE)));
    this.received = this.received.subarray(count * FRAME_SIZE);
    return frames;
  }

  /** Bytes received and not yet taken by frames(). */
  get buffered(): number {
    return this.received.length;
  }

  /** Resolves true once the peer closes the connection, false if it is still open after `timeoutMs`. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    return (
      (await within(
        this.closed.then(() => true),
        timeoutMs,
      )) ?? false
    );
  }

  /** Half-closes: no more writes from this side (FIN), reading goes on. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
