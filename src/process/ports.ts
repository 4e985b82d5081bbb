import { connect, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A port nobody listens on right now, chosen by the kernel. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Whether something accepts TCP connections on host:port. */
export function accepts(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Polls until host:port accepts, `giveUp()` says to stop (e.g. the server exited), or the
 * deadline passes. Probing beats sleeping: a cell starts as soon as the server is ready.
 */
export async function waitUntilAccepting(host: string, port: number, deadline: number, giveUp: () => boolean): Promise<boolean> {
  while (Date.now() < deadline && !giveUp()) {
    if (await accepts(host, port)) return true;
    await sleep(25);
  }
  return false;
}
