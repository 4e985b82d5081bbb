/**
 * The client past one process's limits: its connections spread over several load processes
 * (each under its own descriptor limit) and several loopback source addresses, and the results
 * merged exactly. Real processes under a lowered limit (prlimit), real sockets on 127.0.0.0/8.
 */
import { spawnSync } from "node:child_process";
import type { Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { planSpread } from "../src/client/spread.js";
import { FrameDecoder, FrameError, MessageType, encodeFrame } from "../src/protocol/index.js";
import { HOST, killRunningChildren, runCli, startFakeServer, startRealServer, type ClientJson } from "./helpers/fake-servers.js";

afterAll(async () => {
  await killRunningChildren();
});

const hasPrlimit = spawnSync("prlimit", ["--version"]).status === 0;
// Node raises its soft limit to the hard one at startup, so both are lowered.
const underLimit = (n: number) => (hasPrlimit ? ["prlimit", `--nofile=${n}:${n}`] : ["sh", "-c", `ulimit -n ${n} && exec "$0" "$@"`]);

describe("planSpread", () => {
  const machine = { openFileLimit: 20_000, portsPerAddress: 28_232, host: HOST, threads: 2 };

  it("50,000 connections: processes for the descriptor limit, loopback addresses for the ports, equal loops per address", () => {
    const plan = planSpread({ ...machine, connections: 50_000 });
    if ("problems" in plan) throw new Error(plan.problems.join("; "));
    // Each address fills at most a quarter of its 28,232 ports (connect() slows down in a full range): 8 addresses.
    expect(plan.sourceAddresses).toEqual(Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}`));
    expect(plan.processes).toBe(plan.loops.length);
    expect(plan.loops.length).toBe(8);
    expect(plan.loops.reduce((sum, loop) => sum + loop.connections, 0)).toBe(50_000);
    for (const loop of plan.loops) expect(loop.connections + 64).toBeLessThanOrEqual(20_000);
    for (const address of plan.sourceAddresses) {
      const onAddress = plan.loops.filter((loop) => loop.localAddress === address).reduce((sum, loop) => sum + loop.connections, 0);
      expect(onAddress).toBeLessThanOrEqual(28_232);
    }
  });

  it("few connections stay in this process's threads, from the kernel's source address", () => {
    expect(planSpread({ ...machine, connections: 7000 })).toMatchObject({ processes: 1, sourceAddresses: [] });
    expect(planSpread({ ...machine, connections: 1000 })).toEqual({
      processes: 1,
      loops: [{ connections: 500 }, { connections: 500 }],
      sourceAddresses: [],
    });
  });

  it("names every limit in the way when the counts are given too small, or the server is not on loopback", () => {
    const plan = planSpread({ ...machine, connections: 30_000, processes: 1, sourceAddresses: 1 });
    expect("problems" in plan && plan.problems).toEqual([
      expect.stringContaining("use 2 processes or more"),
      expect.stringContaining("--source-addresses 2"),
    ]);
    const remote = planSpread({ ...machine, host: "10.0.0.5", connections: 30_000 });
    expect("problems" in remote && remote.problems.join(" ")).toContain("client.hosts");
  });
});

describe("client over several processes and source addresses", () => {
  it("spreads 500 connections over 3 processes under a 256-descriptor limit and merges their results", async () => {
    const server = await startRealServer(["--host", HOST, "--threads", "2"]);
    try {
      const result = await runCli(["client", "--json", "-a", `${HOST}:${server.port}`, "-c", "500", "-t", "1", "--warmup", "0.5"], {
        wrapper: underLimit(256),
        timeoutMs: 90_000,
      });
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as ClientJson;
      expect(report.processes).toBe(3); // 192 connections fit one process under 256 descriptors
      expect(report.connections).toEqual({ requested: 500, established: 500, in_window: 500, served: 500, starved: 0 });
      expect(report.responses).toBe(report.requests);
      expect(report.errors.total).toBe(0);
      // Every process's CPU is in the total: the manager itself sends nothing.
      expect(report.cpu.user_s + report.cpu.sys_s).toBeGreaterThan(0);
      expect(report.latency_us).not.toBeNull();
    } finally {
      await server.stop();
    }
  });

  it.each(["balanced", "shared-descriptors"])(
    "--accept %s: a built-in server worker at its descriptor limit stops accepting, so the others take the rest: all served",
    async (accept) => {
      // 3 workers of 192 connections each under 256 descriptors hold 576; an even split of 570 is 190
      // each, but connections race for the accept queue, so one worker alone would go past its limit.
      // balanced's supervisor, under the same limit, deals the first ones of the burst.
      const server = await startRealServer(["--host", HOST, "--threads", "3", "--accept", accept], 20_000, underLimit(256));
      try {
        const result = await runCli(["client", "--json", "-a", `${HOST}:${server.port}`, "-c", "570", "-t", "1", "--warmup", "0.5"], {
          timeoutMs: 90_000,
        });
        expect(result.code, result.stderr).toBe(0);
        const report = JSON.parse(result.stdout) as ClientJson;
        expect(report.errors).toMatchObject({ closed_by_server: 0, timed_out: 0, connect_failed: 0 });
        expect(report.connections.served).toBe(570);
      } finally {
        await server.stop();
      }
    },
  );

  it("connects from 127.0.0.1, 127.0.0.2 and 127.0.0.3 in equal shares with --source-addresses 3", async () => {
    const peers = new Map<string, number>();
    const fake = await startFakeServer((socket: Socket) => {
      peers.set(socket.remoteAddress!, (peers.get(socket.remoteAddress!) ?? 0) + 1);
      const decoder = new FrameDecoder();
      socket.on("data", (chunk: Buffer) =>
        decoder.push(chunk, (frame) => {
          const reply = encodeFrame(MessageType.SERVER_ECHO, frame.payload);
          if (!(reply instanceof FrameError) && !socket.destroyed) socket.write(reply);
        }),
      );
    });
    try {
      const result = await runCli([
        "client",
        "--json",
        "-a",
        `${HOST}:${fake.port}`,
        "-c",
        "30",
        "--threads",
        "3",
        "--source-addresses",
        "3",
        "-t",
        "0.5",
        "--warmup",
        "0",
      ]);
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as ClientJson;
      expect(report.source_addresses).toEqual(["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
      expect(Object.fromEntries(peers)).toEqual({ "127.0.0.1": 10, "127.0.0.2": 10, "127.0.0.3": 10 });
      expect(report.connections.served).toBe(30);
    } finally {
      await fake.close();
    }
  });
});
