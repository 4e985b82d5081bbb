import { afterEach, describe, expect, it } from "vitest";
import { FrameDecoder, MessageType, encodeFrame } from "../src/protocol/index.js";
import { HOST, killRunningChildren, runCli, runClientJson, startFakeServer, type FakeServer } from "./helpers/fake-servers.js";

/**
 * Echoes every frame, except that 1 s after the first frame it stops answering for `stallMs`,
 * then answers everything that arrived meanwhile: a server that pauses (GC, a lock, a page fault storm).
 */
function stallingServer(stallMs: number): Promise<FakeServer> {
  let stallFrom: number | undefined;
  return startFakeServer((socket, context) => {
    const decoder = new FrameDecoder();
    socket.on("data", (chunk: Buffer) => {
      decoder.push(chunk, (frame) => {
        context.countFrame();
        const now = Date.now();
        stallFrom ??= now + 1000;
        const reply = encodeFrame(MessageType.SERVER_ECHO, Buffer.from(frame.payload)) as Buffer;
        const wait = now >= stallFrom && now < stallFrom + stallMs ? stallFrom + stallMs - now : 0;
        if (wait === 0) socket.write(reply);
        else setTimeout(() => socket.destroyed || socket.write(reply), wait);
      });
    });
  });
}

let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  await killRunningChildren();
});

describe("open loop (--rate)", () => {
  it("sends at the target rate whether or not replies came, and says so", async () => {
    const server = await stallingServer(0);
    servers.push(server);
    const { report } = await runClientJson(["-a", `${HOST}:${server.port}`, "-c", "4", "-t", "2", "--warmup", "0.3", "--rate", "800"]);
    expect(report.mode).toBe("open-loop");
    expect(report.target_rate).toBe(800);
    expect(report.req_per_s).toBeGreaterThan(800 * 0.9);
    expect(report.req_per_s).toBeLessThan(800 * 1.1);
    expect(report.success_rate_pct).toBe(100);
    expect(typeof report.late_sends).toBe("number");
    // Sends follow the schedule, not the replies: there is no turnaround to report.
    expect(report.client_turnaround_us).toBeNull();
  });

  it("a 1 s server stall shows in the open-loop p99 but not in the closed-loop p99 (coordinated omission)", async () => {
    const closedServer = await stallingServer(1000);
    const openServer = await stallingServer(1000);
    servers.push(closedServer, openServer);
    const common = ["-c", "10", "-t", "3", "--warmup", "0.5", "--threads", "1"];
    const closed = (await runClientJson(["-a", `${HOST}:${closedServer.port}`, ...common])).report;
    const open = (await runClientJson(["-a", `${HOST}:${openServer.port}`, ...common, "--rate", "1000"])).report;

    // Both saw the stall: some request waited about a second.
    expect(closed.latency_us!.max).toBeGreaterThan(800_000);
    expect(open.latency_us!.max).toBeGreaterThan(800_000);
    // Closed loop: only the 10 requests in flight waited, hidden below the 99th percentile.
    expect(closed.latency_us!.p99).toBeLessThan(100_000);
    // Open loop: every request scheduled during the stall waited (about a third of the window).
    expect(open.latency_us!.p99).toBeGreaterThan(500_000);
    expect(open.success_rate_pct).toBe(100);
  });

  it("closed loop: a server that stops answering fails every connection as timed out after --timeout, one that pauses for less does not", async () => {
    const stopped = await stallingServer(10_000);
    const paused = await stallingServer(1000);
    servers.push(stopped, paused);
    const common = ["-c", "4", "-t", "2", "--warmup", "0.3", "--threads", "1"];
    const gone = (await runClientJson(["-a", `${HOST}:${stopped.port}`, ...common, "--timeout", "0.5"])).report;
    expect(gone.responses).toBeGreaterThan(0); // it answered until the stall
    expect(gone.errors.timed_out).toBe(4);
    expect(gone.success_rate_pct).toBeLessThan(100);
    const back = (await runClientJson(["-a", `${HOST}:${paused.port}`, ...common, "--timeout", "3"])).report;
    expect(back.errors.timed_out).toBe(0);
    expect(back.success_rate_pct).toBe(100);
  });

  it("rejects a rate that is not a positive number", async () => {
    const result = await runCli(["client", "-a", `${HOST}:9`, "--rate", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--rate/);
  });
});
