/**
 * The load client and the reference server end to end: real processes (`node dist/cli/main.js`),
 * real sockets on 127.0.0.1, short bounded loads. Fake servers run in this process.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spreadConnections } from "../src/client/manager.js";
import { freePort } from "../src/process/ports.js";
import { FRAME_SIZE, FrameError, MAX_PAYLOAD, MessageType, decodeFrame, encodeFrame, type Frame } from "../src/protocol/index.js";
import {
  HOST,
  RawClient,
  childPids,
  closingServer,
  descendantPids,
  garbageServer,
  isAlive,
  killRunningChildren,
  resettingServer,
  runCli,
  runClientJson,
  runningChildren,
  shortFrameServer,
  silentServer,
  startRealServer,
  within,
  wrongEchoServer,
  wrongTypeServer,
  type ClientJson,
  type FakeServer,
  type RealServer,
} from "./helpers/fake-servers.js";

afterAll(async () => {
  const leftovers = runningChildren();
  await killRunningChildren();
  expect(leftovers, "child processes still running after the tests").toEqual([]);
});

// ---------------------------------------------------------------------------------------------

function frameOf(type: number, payload: Uint8Array): Buffer {
  const encoded = encodeFrame(type as MessageType, payload);
  if (encoded instanceof FrameError) throw new Error(encoded.message);
  return encoded;
}

function decoded(raw: Buffer): Frame {
  const frame = decodeFrame(raw);
  if (frame instanceof FrameError) throw new Error(`not a frame: ${frame.message}`);
  return frame;
}

function patterned(length: number, seed: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buffer[i] = (i * 7 + seed * 13) & 0xff;
  return buffer;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host: HOST, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

const stderrLines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

const NUMBER_KEYS = ["requests", "responses", "req_per_s", "resp_per_s", "success_rate_pct", "elapsed_s", "peak_rss_kb"] as const;

/** Every key a consumer of `client --json` reads is there, numeric, and self-consistent. */
function expectReportShape(report: ClientJson): void {
  for (const key of NUMBER_KEYS) {
    expect(typeof report[key], key).toBe("number");
    expect(Number.isFinite(report[key]), key).toBe(true);
  }
  expect(report.errors).toEqual({
    connect_failed: expect.any(Number),
    timed_out: expect.any(Number),
    closed_by_server: expect.any(Number),
    bad_frame: expect.any(Number),
    total: expect.any(Number),
  });
  expect(report.errors.total).toBe(
    report.errors.connect_failed + report.errors.timed_out + report.errors.closed_by_server + report.errors.bad_frame,
  );
  expect(report.connections).toEqual({
    requested: expect.any(Number),
    established: expect.any(Number),
    in_window: expect.any(Number),
    served: expect.any(Number),
    starved: expect.any(Number),
  });
  // Per-connection accounting: served + starved = established; the counts add up to the responses.
  expect(report.connections.served + report.connections.starved).toBe(report.connections.established);
  expect(report.conn_resp.min).toBeLessThanOrEqual(report.conn_resp.p50);
  expect(report.conn_resp.p50).toBeLessThanOrEqual(report.conn_resp.max);
  expect(report.conn_resp.max).toBeLessThanOrEqual(report.responses);
  if (report.responses === 0) expect(report.fairness_jain).toBeNull();
  else expect(report.fairness_jain).toBeGreaterThanOrEqual(1 / report.connections.requested - 1e-4);
  expect(report.payload_mismatches).toBeLessThanOrEqual(report.responses);
  // The series covers the window's whole seconds. It counts every reply arriving in the window: the
  // window's own (some drained after it) plus, in a closed loop, at most one per connection to a
  // request sent before the window opened.
  expect(report.resp_per_s_series).toHaveLength(Math.floor(report.elapsed_s));
  if (report.mode === "closed-loop")
    expect(report.resp_per_s_series.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(report.responses + report.connections.established);
  expect(report.cpu).toEqual({ user_s: expect.any(Number), sys_s: expect.any(Number) });
  expect(report.cpu.user_s).toBeGreaterThanOrEqual(0);
  expect(report.cpu.sys_s).toBeGreaterThanOrEqual(0);
  expect(report.peak_rss_kb).toBeGreaterThan(10_000); // a Node process with worker threads is tens of MiB
  expect(report.elapsed_s).toBeGreaterThan(0);
  expect(report.responses).toBeLessThanOrEqual(report.requests);
  if (report.responses > 0) {
    const latency = report.latency_us!;
    expect(latency).toEqual({
      p50: expect.any(Number),
      p90: expect.any(Number),
      p99: expect.any(Number),
      p999: expect.any(Number),
      max: expect.any(Number),
      mean: expect.any(Number),
    });
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.p50).toBeLessThanOrEqual(latency.p90);
    expect(latency.p90).toBeLessThanOrEqual(latency.p99);
    expect(latency.p99).toBeLessThanOrEqual(latency.p999);
    // HdrHistogram percentiles are bucket upper bounds: p99.9 may exceed the exact max by < 0.1 %.
    expect(latency.p999).toBeLessThanOrEqual(latency.max * 1.001 + 1);
    expect(latency.mean).toBeGreaterThan(0);
    expect(latency.mean).toBeLessThanOrEqual(latency.max);
  }
}

/** The rates are the counts over the measured window (rounding aside). */
function expectRatesMatchCounts(report: ClientJson): void {
  expect(Math.abs(report.resp_per_s - report.responses / report.elapsed_s)).toBeLessThanOrEqual(0.001 * Math.max(1, report.resp_per_s));
  expect(Math.abs(report.req_per_s - report.requests / report.elapsed_s)).toBeLessThanOrEqual(0.001 * Math.max(1, report.req_per_s));
}

function expectAllAnswered(report: ClientJson, connections: number): void {
  expectReportShape(report);
  expect(report.requests).toBeGreaterThan(0);
  expect(report.responses).toBe(report.requests);
  expect(report.success_rate_pct).toBe(100);
  expect(report.errors).toEqual({ connect_failed: 0, timed_out: 0, closed_by_server: 0, bad_frame: 0, total: 0 });
  // Every connection stayed alive into the window and sent there.
  expect(report.connections).toEqual({
    requested: connections,
    established: connections,
    in_window: connections,
    served: connections,
    starved: 0,
  });
  expect(report.payload_mismatches).toBe(0);
  expect(report.unanswered_before_window).toBe(0);
  expectRatesMatchCounts(report);
}

// ---------------------------------------------------------------------------------------------

describe("client against the real server", () => {
  let server: RealServer;
  let address: string;

  beforeAll(async () => {
    server = await startRealServer();
    address = `${server.host}:${server.port}`;
  });
  afterAll(async () => {
    const exit = await server.stop("SIGTERM");
    expect(exit).toMatchObject({ code: 0, signal: null, forced: false });
  });

  it.each([1, 2])("--json with --threads %i: every key, all answered, rates over the window only", async (threads) => {
    const { report, ms } = await runClientJson(["-a", address, "-c", "4", "--threads", String(threads), "-t", "1", "--warmup", "0.5"]);
    expectAllAnswered(report, 4);
    expect(report.threads).toBe(threads);
    // The window is -t, not warmup + -t: the process itself ran through both.
    expect(report.elapsed_s).toBeGreaterThanOrEqual(0.99);
    expect(report.elapsed_s).toBeLessThan(1.5);
    expect(ms).toBeGreaterThanOrEqual(1500);
    expect(report.warmup_s).toBe(0.5);
  });

  it.each([
    { connections: 1, threads: 1 },
    { connections: 8, threads: 2 },
  ])(
    "reports the client's own turnaround per reply at $connections connection(s), $threads thread(s): finite, ≥ 0, below the p50 latency",
    async ({ connections, threads }) => {
      const { report } = await runClientJson([
        "-a",
        address,
        "-c",
        String(connections),
        "--threads",
        String(threads),
        "-t",
        "1",
        "--warmup",
        "0.2",
      ]);
      expectAllAnswered(report, connections);
      const turnaround = report.client_turnaround_us;
      expect(turnaround).not.toBeNull();
      expect(Number.isFinite(turnaround!.p50)).toBe(true);
      expect(turnaround!.p50).toBeGreaterThanOrEqual(0);
      expect(turnaround!.p99).toBeGreaterThanOrEqual(turnaround!.p50);
      expect(turnaround!.p50).toBeLessThan(report.latency_us!.p50);
      // The JSON carries its histogram too, so load hosts merge it exactly (src/remote/merge.ts).
      expect(typeof (report as { turnaround_histogram?: unknown }).turnaround_histogram).toBe("string");
    },
  );

  it("prints the reference text lines first, in the form scrapers match", async () => {
    const result = await runCli(["client", "-a", address, "-c", "2", "-t", "1", "--warmup", "0"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.split("\n");
    const speed = /^Speed: (\d+(?:\.\d+)?) request\/sec, (\d+(?:\.\d+)?) response\/sec$/.exec(lines[0] ?? "");
    const requests = /^Requests: (\d+)$/.exec(lines[1] ?? "");
    const responses = /^Responses: (\d+)$/.exec(lines[2] ?? "");
    const success = /^Success rate: (\d+(?:\.\d+)?)%$/.exec(lines[3] ?? "");
    expect(speed, lines[0]).not.toBeNull();
    expect(requests, lines[1]).not.toBeNull();
    expect(responses, lines[2]).not.toBeNull();
    expect(success, lines[3]).not.toBeNull();
    const requestCount = Number(requests![1]);
    expect(requestCount).toBeGreaterThan(0);
    expect(Number(responses![1])).toBe(requestCount);
    expect(Number(success![1])).toBe(100);
    expect(Number(speed![1])).toBe(Number(speed![2]));
    // Speed is requests over the measured window (reported further down).
    const window = /window (\d+(?:\.\d+)?) s/.exec(result.stdout);
    expect(window).not.toBeNull();
    expect(Number(speed![1])).toBeCloseTo(requestCount / Number(window![1]), -1);
    // The same scrape without anchors finds each line exactly once.
    expect(result.stdout.match(/Speed: /g)).toHaveLength(1);
    expect(result.stdout.match(/Success rate: /g)).toHaveLength(1);
  });

  it("-l 0 sends empty payloads and still gets every reply", async () => {
    const { report } = await runClientJson(["-a", address, "-c", "2", "--threads", "1", "-l", "0", "-t", "1", "--warmup", "0"]);
    expectAllAnswered(report, 2);
    expect(report.length).toBe(0);
  });

  it("spreads 200 connections over 3 threads and drops none", async () => {
    expect(spreadConnections(200, 3)).toEqual([67, 67, 66]);
    expect(spreadConnections(2, 3)).toEqual([1, 1]);
    const { report } = await runClientJson(["-a", address, "-c", "200", "--threads", "3", "-t", "1", "--warmup", "0.2"]);
    expectAllAnswered(report, 200);
    expect(report.threads).toBe(3);
    // Every connection made round trips in the window, not just a few of them.
    expect(report.requests).toBeGreaterThanOrEqual(200);
  });

  it("1000 connections for 2 s: all established, at least 99.9 % success", async () => {
    const { report } = await runClientJson(["-a", address, "-c", "1000", "-t", "2", "--warmup", "1"], { timeoutMs: 50_000 });
    expectReportShape(report);
    expect(report.connections).toMatchObject({ requested: 1000, established: 1000 });
    // Saturated by 1000 connections, the one-thread server must still take every one of them in
    // (it once left hundreds waiting in the accept queue, see README "Known issues").
    expect(report.connections.in_window).toBe(1000);
    expect(report.errors.connect_failed).toBe(0);
    expect(report.errors.timed_out).toBe(0);
    expect(report.requests).toBeGreaterThanOrEqual(1000);
    expect(report.success_rate_pct).toBeGreaterThanOrEqual(99.9);
    expectRatesMatchCounts(report);
  });
});

describe("the reference server under saturation (--threads 2, as many event loops as this machine's cores)", () => {
  it("4000 connections: every one is taken in and answered, none times out", async () => {
    const server = await startRealServer(["--threads", "2"]);
    try {
      // Before the fix (one accept per poll round, see README "Known issues") hundreds of these
      // connections were still waiting in the accept queue for their first reply after the window.
      const { report } = await runClientJson(["-a", `${server.host}:${server.port}`, "-c", "4000", "-t", "2", "--warmup", "3"], {
        timeoutMs: 60_000,
      });
      expect(report.connections).toMatchObject({ requested: 4000, established: 4000, in_window: 4000 });
      expect(report.errors).toMatchObject({ connect_failed: 0, timed_out: 0, closed_by_server: 0, bad_frame: 0 });
      expect(report.responses).toBeGreaterThanOrEqual(4000);
    } finally {
      expect(await server.stop("SIGTERM")).toMatchObject({ code: 0, forced: false });
    }
  });
});

describe("client against a server started with --reply ack", () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer(["--reply", "ack"]);
  });
  afterAll(async () => {
    expect(await server.stop("SIGTERM")).toMatchObject({ code: 0, forced: false });
  });

  it("the server answers CLIENT_CHAT with an empty SERVER_ACK", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.write(frameOf(MessageType.CLIENT_CHAT, patterned(500, 1)));
      const [reply] = await raw.frames(1);
      const frame = decoded(reply!);
      expect(frame.type).toBe(MessageType.SERVER_ACK);
      expect(frame.payload.length).toBe(0);
    } finally {
      raw.destroy();
    }
  });

  it("the client counts ACKs as successes", async () => {
    const { report } = await runClientJson(["-a", `${HOST}:${server.port}`, "-c", "3", "-t", "1", "--warmup", "0"]);
    expectAllAnswered(report, 3);
  });
});

// ---------------------------------------------------------------------------------------------

type ErrorKind = "bad_frame" | "closed_by_server" | "timed_out";

const CLOSE_AFTER = 20;
const misbehaving: {
  name: string;
  start: () => Promise<FakeServer>;
  kind: ErrorKind;
  framesPerConnection?: number;
  answeredInWindow?: boolean;
}[] = [
  { name: "garbage (unknown type byte)", start: () => garbageServer("unknown-type"), kind: "bad_frame", framesPerConnection: 1 },
  { name: "garbage (length field over 1021)", start: () => garbageServer("bad-length"), kind: "bad_frame", framesPerConnection: 1 },
  { name: "a wrong message type (CLIENT_CHAT back)", start: wrongTypeServer, kind: "bad_frame", framesPerConnection: 1 },
  { name: "a short frame, then nothing", start: () => shortFrameServer(100), kind: "timed_out", framesPerConnection: 1 },
  { name: "no reply at all", start: silentServer, kind: "timed_out", framesPerConnection: 1 },
  {
    name: `a close after ${CLOSE_AFTER} frames`,
    start: () => closingServer({ afterFrames: CLOSE_AFTER }),
    kind: "closed_by_server",
    framesPerConnection: CLOSE_AFTER + 1,
  },
  {
    name: "a close 400 ms into the window",
    start: () => closingServer({ afterMs: 400 }),
    kind: "closed_by_server",
    answeredInWindow: true,
  },
  {
    name: `a reset after ${CLOSE_AFTER} frames`,
    start: () => resettingServer(CLOSE_AFTER),
    kind: "closed_by_server",
    framesPerConnection: CLOSE_AFTER + 1,
  },
];

describe("client against misbehaving servers", () => {
  it.each(misbehaving)(
    "counts $name as $kind, exits 0 and reports under 100 % success",
    async ({ start, kind, framesPerConnection, answeredInWindow }) => {
      const fake = await start();
      try {
        const result = await runClientJson([
          "-a",
          `${HOST}:${fake.port}`,
          "-c",
          "2",
          "--threads",
          "1",
          "-t",
          "1",
          "--warmup",
          "0",
          "--timeout",
          "1",
        ]);
        const { report } = result;
        expect(result.stderr).toBe("");
        expectReportShape(report);
        expect(report.connections).toMatchObject({ requested: 2, established: 2 });
        // Each connection fails exactly once, and as this kind.
        expect(report.errors[kind]).toBe(2);
        expect(report.errors.total).toBe(2);
        expect(report.success_rate_pct).toBeLessThan(100);
        expect(report.responses).toBeLessThan(Math.max(1, report.requests));
        expect(fake.connections).toBe(2);
        if (framesPerConnection !== undefined) expect(fake.framesReceived).toBe(2 * framesPerConnection);
        if (answeredInWindow) {
          // Replies before the close count; the request the close cut off does not.
          expect(report.responses).toBeGreaterThan(0);
          expect(report.success_rate_pct).toBeGreaterThan(0);
          expect(report.requests - report.responses).toBe(2);
        }
        // A timeout is detected after --timeout, not sooner and not much later.
        if (kind === "timed_out") expect(result.ms).toBeLessThan(8000);
      } finally {
        await fake.close();
      }
    },
  );
});

describe("the study's reply rule: a whole ECHO / ACK / INFO frame is a response", () => {
  it("counts ECHOs with a different payload as responses and as payload_mismatches; --verify payload refuses them as bad frames", async () => {
    const fake = await wrongEchoServer();
    try {
      const args = ["-a", `${HOST}:${fake.port}`, "-c", "2", "--threads", "1", "-t", "1", "--warmup", "0", "--timeout", "1"];
      const { report } = await runClientJson(args);
      expectReportShape(report);
      expect(report.verify).toBe("type");
      expect(report.responses).toBeGreaterThan(0);
      expect(report.payload_mismatches).toBe(report.responses);
      expect(report.errors.total).toBe(0);
      expect(report.connections).toMatchObject({ served: 2, starved: 0 });

      const strict = await runClientJson([...args, "--verify", "payload"]);
      expectReportShape(strict.report);
      expect(strict.report.verify).toBe("payload");
      expect(strict.report.errors.bad_frame).toBe(2);
      expect(strict.report.responses).toBe(0);
      expect(strict.report.payload_mismatches).toBe(0);
      expect(strict.report.fairness_jain).toBeNull();
    } finally {
      await fake.close();
    }
  });

  it("a request that waits forever counts against the success rate, even when it was sent before the window", async () => {
    // Every request is sent in warmup and never answered: the window's own counts are 0 of 0.
    const fake = await silentServer();
    try {
      const { report } = await runClientJson([
        "-a",
        `${HOST}:${fake.port}`,
        "-c",
        "3",
        "--threads",
        "1",
        "-t",
        "1",
        "--warmup",
        "0.5",
        "--timeout",
        "1",
      ]);
      expect(report.requests).toBe(0);
      expect(report.unanswered_before_window).toBe(3);
      expect(report.success_rate_pct).toBe(0);
      expect(report.connections).toMatchObject({ requested: 3, established: 3, served: 0, starved: 3 });
    } finally {
      await fake.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

const HELP_HINT = "(run with --help for usage)";

describe("client command-line errors", () => {
  let fake: FakeServer;
  beforeAll(async () => {
    fake = await silentServer();
  });
  afterAll(async () => {
    await fake.close();
  });

  it("exits 1 with one clear stderr line when nothing listens", async () => {
    const port = await freePort(HOST);
    const result = await runCli(["client", "-a", `${HOST}:${port}`, "-c", "3", "-t", "1", "--warmup", "0"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = stderrLines(result.stderr);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^tcpsweep client: no connection to 127\\.0\\.0\\.1:${port} could be made: .*ECONNREFUSED`));
  });

  const badFlags: { args: string[]; option: string; value: string }[] = [
    { args: ["-c", "0"], option: "--connections", value: "0" },
    { args: ["-c", "abc"], option: "--connections", value: "abc" },
    { args: ["-l", "2000"], option: "--length", value: "2000" },
    { args: ["-a", "nonsense"], option: "--address", value: "nonsense" },
    { args: ["-a", "host:99999"], option: "--address", value: "99999" },
  ];
  it.each(badFlags)("$args exits 2 with one line naming $option", async ({ args, option, value }) => {
    const address = args[0] === "-a" ? [] : ["-a", `${HOST}:${fake.port}`];
    const before = fake.connections;
    const result = await runCli(["client", ...address, ...args, "-t", "1", "--warmup", "0"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const problems = stderrLines(result.stderr).filter((line) => line !== HELP_HINT);
    expect(problems, result.stderr).toHaveLength(1);
    expect(problems[0]).toContain(option);
    expect(problems[0]).toContain(value);
    expect(fake.connections).toBe(before); // refused before any load
  });

  describe("open-file limit", () => {
    const hasPrlimit = spawnSync("prlimit", ["--version"]).status === 0;
    // Node raises its soft limit to the hard one at startup, so both must be lowered. (Far lower
    // limits, around 100, make Node itself fail to load the CLI's modules: EMFILE before any check.)
    const wrapper = (n: number) => (hasPrlimit ? ["prlimit", `--nofile=${n}:${n}`] : ["sh", "-c", `ulimit -n ${n} && exec "$0" "$@"`]);

    it("refuses -c 500 in one process under a 256-descriptor limit: exit 2, one line that says ulimit -n", async () => {
      const before = fake.connections;
      const result = await runCli(["client", "-a", `${HOST}:${fake.port}`, "-c", "500", "--processes", "1", "-t", "1", "--warmup", "0"], {
        wrapper: wrapper(256),
      });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      const lines = stderrLines(result.stderr);
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^tcpsweep client: 500 connections in 1 client process need \d+ open files/);
      expect(lines[0]).toContain("ulimit -n");
      expect(lines[0]).toContain("256");
      expect(fake.connections).toBe(before);
    });

    it("runs normally under the same limit when the connections fit", async () => {
      const server = await startRealServer();
      try {
        const result = await runCli(["client", "--json", "-a", `${HOST}:${server.port}`, "-c", "20", "-t", "1", "--warmup", "0"], {
          wrapper: wrapper(256),
        });
        expect(result.code, result.stderr).toBe(0);
        expectAllAnswered(JSON.parse(result.stdout) as ClientJson, 20);
      } finally {
        expect(await server.stop("SIGTERM")).toMatchObject({ code: 0, forced: false });
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe("reference server over raw sockets", () => {
  let server: RealServer;
  const open: RawClient[] = [];
  const connect = async () => {
    const raw = await RawClient.connect(server.port);
    open.push(raw);
    return raw;
  };
  const expectEcho = async (raw: RawClient, payload: Buffer) => {
    await raw.write(frameOf(MessageType.CLIENT_CHAT, payload));
    const frame = decoded((await raw.frames(1))[0]!);
    expect(frame.type).toBe(MessageType.SERVER_ECHO);
    expect(Buffer.compare(frame.payload, payload)).toBe(0);
  };

  beforeAll(async () => {
    server = await startRealServer();
  });
  afterAll(async () => {
    for (const raw of open) raw.destroy();
    expect(await server.stop("SIGTERM")).toMatchObject({ code: 0, forced: false });
  });

  const badFrames: { name: string; frame: () => Buffer }[] = [
    {
      name: "an unknown type",
      frame: () => {
        const bad = frameOf(MessageType.CLIENT_CHAT, patterned(10, 2));
        bad[0] = 0x42;
        return bad;
      },
    },
    {
      name: "a length field over 1021",
      frame: () => {
        const bad = frameOf(MessageType.CLIENT_CHAT, Buffer.alloc(0));
        bad.writeUInt16LE(MAX_PAYLOAD + 1, 1);
        return bad;
      },
    },
    { name: "a server message type", frame: () => frameOf(MessageType.SERVER_ECHO, patterned(10, 3)) },
  ];
  it.each(badFrames)("a frame with $name closes that connection only", async ({ frame }) => {
    const victim = await connect();
    const bystander = await connect();
    await expectEcho(victim, patterned(64, 4));
    await expectEcho(bystander, patterned(64, 5));
    await victim.write(frame());
    expect(await victim.closesWithin(3000)).toBe(true);
    expect(victim.buffered).toBe(0); // no reply to the bad frame
    await expectEcho(bystander, patterned(MAX_PAYLOAD, 6));
    expect(bystander.isClosed).toBe(false);
    await expectEcho(await connect(), patterned(1, 7)); // and new connections are still accepted
  });

  it("answers CLIENT_INFO with SERVER_INFO", async () => {
    const raw = await connect();
    await raw.write(frameOf(MessageType.CLIENT_INFO, Buffer.alloc(0)));
    const reply = (await raw.frames(1))[0]!;
    const frame = decoded(reply);
    expect(frame.type).toBe(MessageType.SERVER_INFO);
    expect(frame.payload.toString("utf8")).toMatch(/^tcpsweep reference server, pid \d+$/);
    expect(reply.subarray(3 + frame.payload.length).every((b) => b === 0)).toBe(true);
  });

  it("replies to frames written one byte at a time, only once each frame is whole", async () => {
    const raw = await connect();
    const payload = patterned(MAX_PAYLOAD, 8);
    const stream = Buffer.concat([frameOf(MessageType.CLIENT_CHAT, payload), frameOf(MessageType.CLIENT_INFO, Buffer.alloc(0))]);
    // Pause at the awkward places (inside the header, right after it, one byte short) so the
    // server surely reads those pieces separately.
    const pauses = new Set([1, 2, 3, 4, FRAME_SIZE - 1, FRAME_SIZE + 1, 2 * FRAME_SIZE - 1]);
    for (let i = 0; i < stream.length; i++) {
      raw.socket.write(stream.subarray(i, i + 1));
      if (pauses.has(i + 1)) {
        await sleep(30);
        if (i + 1 < FRAME_SIZE) expect(raw.buffered).toBe(0);
        if (i + 1 === FRAME_SIZE - 1) expect(raw.isClosed).toBe(false);
      }
    }
    const [echo, info] = await raw.frames(2);
    expect(decoded(echo!).type).toBe(MessageType.SERVER_ECHO);
    expect(Buffer.compare(decoded(echo!).payload, payload)).toBe(0);
    expect(decoded(info!).type).toBe(MessageType.SERVER_INFO);
  });

  it("replies to every frame of one write, in order", async () => {
    const raw = await connect();
    const payloads = Array.from({ length: 12 }, (_, i) => patterned(i * 85, 20 + i)); // 0 … 935 bytes
    const frames = payloads.map((p) => frameOf(MessageType.CLIENT_CHAT, p));
    frames.splice(5, 0, frameOf(MessageType.CLIENT_INFO, Buffer.alloc(0)));
    await raw.write(Buffer.concat(frames));
    const replies = (await raw.frames(frames.length)).map(decoded);
    expect(replies.map((f) => f.type)).toEqual([
      ...Array(5).fill(MessageType.SERVER_ECHO),
      MessageType.SERVER_INFO,
      ...Array(7).fill(MessageType.SERVER_ECHO),
    ]);
    const echoed = replies.filter((f) => f.type === MessageType.SERVER_ECHO).map((f) => Buffer.from(f.payload));
    echoed.forEach((p, i) => expect(Buffer.compare(p, payloads[i]!), `frame ${i}`).toBe(0));
    // Exactly one reply per frame: replies come in order, so any extra one would arrive before the
    // reply to one more INFO frame (an event to wait for, not a guessed pause).
    await raw.write(frameOf(MessageType.CLIENT_INFO, Buffer.alloc(0)));
    const [next] = (await raw.frames(1)).map(decoded);
    expect(next!.type).toBe(MessageType.SERVER_INFO);
  });

  it("still replies to frames sent just before the client half-closes, then closes too", async () => {
    const raw = await connect();
    const payloads = [patterned(10, 50), patterned(MAX_PAYLOAD, 51), patterned(0, 52)];
    await raw.write(Buffer.concat(payloads.map((p) => frameOf(MessageType.CLIENT_CHAT, p))));
    raw.end();
    const replies = (await raw.frames(3)).map(decoded);
    replies.forEach((f, i) => expect(Buffer.compare(f.payload, payloads[i]!)).toBe(0));
    expect(await raw.closesWithin(3000)).toBe(true);
  });

  it("replies to frames cut across writes at odd places", async () => {
    const raw = await connect();
    const payloads = [patterned(MAX_PAYLOAD, 40), patterned(3, 41), patterned(700, 42)];
    const stream = Buffer.concat(payloads.map((p) => frameOf(MessageType.CLIENT_CHAT, p)));
    for (const [from, to] of [
      [0, 1500],
      [1500, 1501],
      [1501, 2050],
      [2050, stream.length],
    ] as const) {
      await raw.write(stream.subarray(from, to));
      await sleep(10);
    }
    const replies = (await raw.frames(3)).map(decoded);
    replies.forEach((f, i) => {
      expect(f.type).toBe(MessageType.SERVER_ECHO);
      expect(Buffer.compare(f.payload, payloads[i]!)).toBe(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Live server worker processes started for `port` (their environment carries the server options), wherever they were reparented. */
function serverWorkersFor(port: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || !commandLine(Number(entry)).includes("worker-process.js")) continue;
    let environ = "";
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "utf8");
    } catch {
      continue;
    }
    if (environ.includes(`"port":${port},`) && isAlive(Number(entry))) found.push(Number(entry));
  }
  return found;
}

describe("server start-up failure", () => {
  it.each([1, 3])("--threads %i on a port in use: exit 2 with one line, no worker left behind", async (threads) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: HOST, port: 0 }, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(["server", "--port", String(port), "--threads", String(threads)], { timeoutMs: 20_000 });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      const lines = stderrLines(result.stderr);
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^tcpsweep server: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
      expect(serverWorkersFor(port)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe("server shutdown", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s to `server --threads 3` exits 0 within 2 s, leaving no worker and a free port",
    async (signal) => {
      const server = await startRealServer(["--threads", "3"]);
      const workers = childPids(server.pid);
      expect(workers).toHaveLength(3);
      for (const pid of workers) expect(commandLine(pid)).toContain("worker-process.js");
      // Serving, with a connection open while the signal arrives.
      const raw = await RawClient.connect(server.port);
      try {
        await raw.write(frameOf(MessageType.CLIENT_CHAT, patterned(32, 9)));
        expect(decoded((await raw.frames(1))[0]!).type).toBe(MessageType.SERVER_ECHO);

        const exit = await server.stop(signal, 5000);
        expect(exit).toMatchObject({ code: 0, signal: null, forced: false });
        expect(exit.ms).toBeLessThan(2000);
        expect(workers.filter(isAlive)).toEqual([]);
        expect(descendantPids(server.pid)).toEqual([]);
        expect(await raw.closesWithin(2000)).toBe(true);
        expect(await canBind(server.port)).toBe(true);
        expect(server.stderr()).toBe("");
      } finally {
        raw.destroy();
      }
    },
  );

  it("SIGTERM to a one-thread server with an open connection exits 0 and frees the port", async () => {
    const server = await startRealServer();
    const workers = childPids(server.pid);
    expect(workers).toHaveLength(1);
    const raw = await RawClient.connect(server.port);
    try {
      await raw.write(frameOf(MessageType.CLIENT_CHAT, patterned(32, 10)));
      await raw.frames(1);
      const exit = await server.stop("SIGTERM", 5000);
      expect(exit).toMatchObject({ code: 0, signal: null, forced: false });
      expect(exit.ms).toBeLessThan(2000);
      expect(isAlive(server.pid)).toBe(false);
      expect(workers.filter(isAlive)).toEqual([]);
      expect(await raw.closesWithin(2000)).toBe(true);
      expect(await canBind(server.port)).toBe(true);
    } finally {
      raw.destroy();
    }
  });

  it("SIGKILL to the supervisor: its workers notice and exit, freeing the port", async () => {
    const server = await startRealServer(["--threads", "2"]);
    const workers = childPids(server.pid);
    expect(workers).toHaveLength(2);
    for (const pid of workers) expect(commandLine(pid)).toContain("worker-process.js");
    try {
      process.kill(server.pid, "SIGKILL");
      expect(await server.exited).toEqual({ code: null, signal: "SIGKILL" });
      const deadline = Date.now() + 5000;
      while (workers.some(isAlive) && Date.now() < deadline) await sleep(25);
      expect(workers.filter(isAlive)).toEqual([]);
      expect(await canBind(server.port)).toBe(true);
    } finally {
      for (const pid of workers.filter(isAlive)) process.kill(pid, "SIGKILL"); // only on failure: our own orphans
    }
  });

  it("a dead server worker stops the whole server with exit 1 and a message", async () => {
    const server = await startRealServer(["--threads", "2"]);
    const workers = childPids(server.pid);
    expect(workers).toHaveLength(2);
    process.kill(workers[0]!, "SIGKILL"); // a child of a process this test started
    const exit = await within(server.exited, 5000);
    if (exit === undefined) await server.stop("SIGKILL", 1000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(server.stderr()).toMatch(/worker \d+ died/);
    expect(workers.filter(isAlive)).toEqual([]);
  });
});
