/** The tests' "port free" check: a listener on the port (IPv4 or IPv6) makes it taken; a client's source port does not. */
import { readFileSync } from "node:fs";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { portIsFree } from "./helpers/sweep.js";

const listen = (host: string) =>
  new Promise<net.Server>((resolve) => {
    const server = net.createServer((socket) => socket.resume());
    server.listen(0, host, () => resolve(server));
  });
const close = (server: net.Server) => new Promise((resolve) => server.close(resolve));

describe("portIsFree", () => {
  it("is false while something listens there, on 127.0.0.1 or ::1, and true once it stops", async () => {
    for (const host of ["127.0.0.1", "::1"]) {
      const server = await listen(host);
      const port = (server.address() as net.AddressInfo).port;
      expect(await portIsFree(port), host).toBe(false);
      await close(server);
      expect(await portIsFree(port), host).toBe(true);
    }
  });

  it("a connected client's source port is not a listener", async () => {
    const server = await listen("127.0.0.1");
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    await new Promise((resolve) => client.once("connect", resolve));
    expect(await portIsFree(client.localPort!)).toBe(true);
    client.destroy();
    await close(server);
  });

  it("refuses a port that is not one", async () => {
    await expect(portIsFree(0)).rejects.toThrow(/no port to check/);
  });
});

describe("portIsFree with a run", () => {
  it("a listener of a process outside the run does not count; one of the run's does", async () => {
    const server = await listen("127.0.0.1");
    const port = (server.address() as net.AddressInfo).port;
    const me = { pid: process.pid, starttime: startTime(process.pid), cmdline: "" };
    // This test process holds the listener: foreign to a run with no processes, the run's own when listed.
    expect(await portIsFree(port, { descendants: [], tag: "no-such-tag" })).toBe(true);
    expect(await portIsFree(port, { descendants: [me], tag: "no-such-tag" })).toBe(false);
    await close(server);
  });
});

function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}
