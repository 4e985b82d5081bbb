/**
 * How the reference server's workers take in connections (src/server/accept/): the chooser by Node
 * version, and real servers under the Node running the tests (process.execPath) with each strategy
 * this Node has, seen from outside: the kernel's listening sockets on the port, and which worker
 * answers each connection (SERVER_INFO names its pid).
 */
import { afterAll, describe, expect, it } from "vitest";
import { MessageType, decodeFrame, encodeFrame, FrameError } from "../src/protocol/index.js";
import { TCP_LISTEN, tcpSockets } from "../src/process/sockets.js";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { REUSE_PORT_SOCKETS_TOTAL, chooseAcceptStrategy, hasReusePort } from "../src/server/accept/index.js";
import { openConnections } from "../src/server/accept/strategy.js";
import { waitFor } from "./helpers/sweep.js";
import { RawClient, childPids, killRunningChildren, runCli, runningChildren, startRealServer } from "./helpers/fake-servers.js";

afterAll(async () => {
  const leftovers = runningChildren();
  await killRunningChildren();
  expect(leftovers, "child processes still running after the tests").toEqual([]);
});

describe("which Node has reusePort, and what --accept auto picks", () => {
  it.each([
    ["v20.19.0", false],
    ["v20.20.2", false],
    ["v22.11.0", false],
    ["v22.12.0", true],
    ["v23.0.0", false],
    ["v23.1.0", true],
    ["v24.22.3", true],
    ["v26.12.1", true],
  ])("Node %s has listen({ reusePort }): %s", (version, expected) => {
    expect(hasReusePort(version)).toBe(expected);
  });

  it("auto: balanced on every Node (docs/server.md: it serves connections evenly, measured side by side)", () => {
    for (const version of ["v20.19.0", "v22.12.0", "v24.22.3", "v26.12.1"]) expect(chooseAcceptStrategy(version, "linux")).toBe("balanced");
  });

  it("auto, where reuse-port is preferred: reuse-port on Node >= 22.12 / 23.1 on Linux, the fallback on older Node and other systems", () => {
    const prefer = (version: string, platform: NodeJS.Platform = "linux") => chooseAcceptStrategy(version, platform, true);
    expect(prefer("v20.20.2")).toBe("balanced");
    expect(prefer("v22.11.0")).toBe("balanced");
    expect(prefer("v22.12.0")).toBe("reuse-port");
    expect(prefer("v24.22.3")).toBe("reuse-port");
    expect(prefer("v26.12.1")).toBe("reuse-port");
    expect(prefer("v24.22.3", "darwin")).toBe("balanced");
    expect(prefer("v24.22.3", "freebsd")).toBe("balanced");
  });
});

/** Listening TCP sockets on 127.0.0.1:`port`, from the kernel's table (one per socket, however many descriptors share it). */
function listeningSockets(port: number): number {
  return tcpSockets().filter((socket) => socket.localAddress === "0100007F" && socket.localPort === port && socket.state === TCP_LISTEN)
    .length;
}

/** Connections on 127.0.0.1:`port` that the server has not closed yet (any state but listening), from the kernel's table. */
function serverSideSockets(port: number): number {
  return tcpSockets().filter((socket) => socket.localAddress === "0100007F" && socket.localPort === port && socket.state !== TCP_LISTEN)
    .length;
}

/** Opens `count` connections at once; each asks CLIENT_INFO and returns the pid of the worker that answered. */
async function answeringPids(port: number, count: number): Promise<number[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => RawClient.connect(port)));
  try {
    const info = encodeFrame(MessageType.CLIENT_INFO, new Uint8Array(0));
    if (info instanceof FrameError) throw new Error(info.message);
    return await Promise.all(
      clients.map(async (client) => {
        await client.write(info);
        const frame = decodeFrame((await client.frames(1, 15_000))[0]!);
        if (frame instanceof FrameError) throw new Error(frame.message);
        expect(frame.type).toBe(MessageType.SERVER_INFO);
        return Number(/pid (\d+)/.exec(Buffer.from(frame.payload).toString())?.[1]);
      }),
    );
  } finally {
    for (const client of clients) client.destroy();
  }
}

const THREADS = 4;

describe("a worker's open connections against its limit", () => {
  const fakeSocket = () => new EventEmitter() as unknown as Socket;

  it("counts each connection gone once, at the first of its events; full at the limit", () => {
    let changes = 0;
    const open = openConnections(2, ["end", "close"], () => changes++);
    const [first, second] = [fakeSocket(), fakeSocket()];
    open.add(first);
    expect([open.count, open.full]).toEqual([1, false]);
    open.add(second);
    expect([open.count, open.full]).toEqual([2, true]);
    first.emit("end");
    first.emit("close");
    expect([open.count, open.full, changes]).toEqual([1, false, 3]);
  });

  it("counted at close only, a connection whose peer ended still holds its place", () => {
    const open = openConnections(1, ["close"]);
    const socket = fakeSocket();
    open.add(socket);
    socket.emit("end");
    expect(open.full).toBe(true);
    socket.emit("close");
    expect(open.count).toBe(0);
  });
});

describe(`real servers under this Node (${process.version}), --threads ${THREADS}`, () => {
  it("--accept shared-descriptors: one listening socket shared by every worker; every connection answered by a worker", async () => {
    const server = await startRealServer(["--threads", String(THREADS), "--accept", "shared-descriptors"]);
    try {
      expect(listeningSockets(server.port)).toBe(1);
      const workers = childPids(server.pid);
      const pids = await answeringPids(server.port, 40);
      for (const pid of pids) expect(workers).toContain(pid);
    } finally {
      expect(await server.stop("SIGTERM")).toMatchObject({ code: 0, forced: false });
    }
  }, 60_000);

  it("--accept balanced: 100 connections at once are split evenly (25 ± 1 per worker), and again after they close", async () => {
    const server = await startRealServer(["--threads", String(THREADS), "--accept", "balanced"]);
    try {
      expect(listeningSockets(server.port)).toBe(1);
      const workers = childPids(server.pid);
      for (const round of [1, 2]) {
        const pids = await answeringPids(server.port, 100);
        const perWorker = workers.map((worker) => pids.filter((pid) => pid === worker).length);
        // The supervisor deals a burst itself (one process decides), so the split is exact, not a race.
        for (const n of perWorker) expect(n, `round ${round}: answers per worker ${perWorker.join("/")}`).toBeGreaterThanOrEqual(24);
        expect(perWorker.reduce((a, b) => a + b, 0)).toBe(100);
        // Round 2 starts as a sweep's next run does: once the server has closed the last run's connections
        // (the workers report a connection gone when its end arrives, before they close it).
        expect(await waitFor(() => serverSideSockets(server.port) === 0, 15_000), "round 1's connections still open at the server").toBe(
          true,
        );
      }
    } finally {
      expect(await server.stop("SIGTERM")).toMatchObject({ code: 0, forced: false });
    }
  }, 60_000);

  if (hasReusePort(process.version)) {
    it("--accept reuse-port: the workers' own SO_REUSEPORT sockets; connections spread over more than one worker", async () => {
      const server = await startRealServer(["--threads", String(THREADS), "--accept", "reuse-port"]);
      try {
        expect(listeningSockets(server.port)).toBe(REUSE_PORT_SOCKETS_TOTAL);
        const workers = childPids(server.pid);
        const pids = await answeringPids(server.port, 40);
        for (const pid of pids) expect(workers).toContain(pid);
        // 40 connections hashed over sockets spread evenly over 4 workers: all on one worker has odds of 4 × 4⁻⁴⁰.
        expect(new Set(pids).size).toBeGreaterThan(1);
      } finally {
        expect(await server.stop("SIGTERM")).toMatchObject({ code: 0, forced: false });
      }
    }, 60_000);
  } else {
    it("--accept reuse-port on a Node without it: exit 2, naming the version needed", async () => {
      const result = await runCli(["server", "--port", "0", "--accept", "reuse-port"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--accept reuse-port needs Node 22.12 or later (this is ${process.version})`);
    });
  }

  it(`the default (auto) is the chooser's pick for this Node: ${chooseAcceptStrategy(process.version)}`, async () => {
    const server = await startRealServer(["--threads", String(THREADS)]);
    try {
      expect(listeningSockets(server.port)).toBe(chooseAcceptStrategy(process.version) === "reuse-port" ? REUSE_PORT_SOCKETS_TOTAL : 1);
      expect(await answeringPids(server.port, 8)).toHaveLength(8);
    } finally {
      expect(await server.stop("SIGTERM")).toMatchObject({ code: 0, forced: false });
    }
  }, 60_000);
});
