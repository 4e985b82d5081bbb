/** The TIME_WAIT notes at a sweep's start: read from the real /proc/net/sockstat, said only when they matter. */
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandCells } from "../src/sweep/matrix.js";
import { parseSpecText } from "../src/sweep/spec.js";
import { timeWaitNotes, timeWaitSockets } from "../src/sweep/time-wait.js";
import { CLI, makeTempDir, removeTempDirs } from "./helpers/sweep.js";

afterAll(() => removeTempDirs());

const sweep = (body: string) => {
  const spec = parseSpecText(`server: {builtin: true}\n${body}`, "tw.yaml", {}, { cliEntry: CLI, cwd: "/" });
  return { spec, cells: expandCells(spec) };
};

describe("TIME_WAIT notes", () => {
  it("counts this machine's TIME_WAIT sockets: 50 connections the client closed first are all there", async () => {
    const server = net.createServer((socket) => socket.on("end", () => socket.end()).resume());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await Promise.all(
        Array.from(
          { length: 50 },
          () =>
            new Promise<void>((resolve, reject) => {
              const socket = net.connect(port, "127.0.0.1", () => socket.end()); // our FIN first: our side waits in TIME_WAIT
              socket
                .on("error", reject)
                .on("close", () => resolve())
                .resume();
            }),
        ),
      );
    } finally {
      server.close();
    }
    expect(timeWaitSockets()).toBeGreaterThanOrEqual(50);
  });

  it("reads the tw field of a sockstat file, and nothing from one without it", () => {
    const dir = makeTempDir();
    const file = path.join(dir, "sockstat");
    writeFileSync(file, "sockets: used 68\nTCP: inuse 3 orphan 0 tw 38000 alloc 3 mem 280\nUDP: inuse 0 mem 0\n");
    expect(timeWaitSockets(file)).toBe(38000);
    writeFileSync(file, "sockets: used 1\n");
    expect(timeWaitSockets(file)).toBeUndefined();
    expect(timeWaitSockets(path.join(dir, "missing"))).toBeUndefined();
  });

  it("says so before runs of 10,000+ connections: sockets already waiting, and runs that follow each other within a minute", () => {
    const big = sweep("repeat: 2\nmatrix: {connections: [100, 19000]}\n");
    const notes = timeWaitNotes(big.spec, big.cells, 38000);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toBe(
      "38000 TCP sockets on this machine are in TIME_WAIT (closed in the last 60 s): the first run of 10000+ connections will connect more slowly; a minute's wait avoids it (docs/limits.md)",
    );
    expect(notes[1]).toBe(
      "2 runs of 10000+ connections with cooldown 0 s: each leaves its connections in TIME_WAIT for 60 s, which slows the next one's connects; cooldown: 60s avoids it (docs/limits.md)",
    );
    // Nothing to say: few sockets waiting, one large run, a minute's cooldown, or no large run at all.
    expect(timeWaitNotes(sweep("matrix: {connections: [19000]}\n").spec, sweep("matrix: {connections: [19000]}\n").cells, 100)).toEqual([]);
    const cooled = sweep("repeat: 3\ncooldown: 1m\nmatrix: {connections: [10000]}\n");
    expect(timeWaitNotes(cooled.spec, cooled.cells, 0)).toEqual([]);
    const small = sweep("repeat: 5\nmatrix: {connections: [1, 4000]}\n");
    expect(timeWaitNotes(small.spec, small.cells, 50_000)).toEqual([]);
  });
});
