/**
 * Echo servers nobody here wrote, as the tests run them: socat (a process forked per connection,
 * PIPE back to itself) and xinetd's internal `echo` service (RFC 862) on a port the test picks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import { requireTool } from "./system-tools.js";
import { waitFor } from "./sweep.js";

/**
 * socat's listening echo as a sweep's server command. backlog=128: socat's default listen backlog
 * is 5, and 100 connects at once overflow it; the kernel then drops handshakes and some connections
 * wait seconds to be accepted (rows come out degraded, starved connections: visible, but not what
 * these tests measure).
 */
export function socatEchoCommand(options: { nodelay: boolean }): string[] {
  const listen = ["TCP-LISTEN:{port}", "bind={host}", "fork", "reuseaddr", "backlog=128", ...(options.nodelay ? ["nodelay"] : [])].join(
    ",",
  );
  return [requireTool("socat"), listen, "PIPE"];
}

export interface XinetdEcho {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts xinetd in the foreground with only its internal TCP echo, bound to 127.0.0.1 on a free
 * port; resolves once its log says the service is up and the port accepts. Limits off: xinetd's
 * defaults (cps 50 per second) would switch the service off for 10 s when 100 connections arrive.
 */
export async function startXinetdEcho(dir: string): Promise<XinetdEcho> {
  const xinetd = requireTool("xinetd");
  const port = await freePort();
  const config = path.join(dir, "xinetd.conf");
  const log = path.join(dir, "xinetd.log");
  writeFileSync(
    config,
    [
      "defaults",
      "{",
      "  instances = UNLIMITED",
      "  per_source = UNLIMITED",
      "  cps = 100000 1",
      "}",
      // The service is named echo: xinetd finds its internal services by name.
      "service echo",
      "{",
      "  type = INTERNAL UNLISTED",
      "  id = echo-stream",
      "  socket_type = stream",
      "  protocol = tcp",
      "  wait = no",
      `  user = ${userInfo().username}`,
      "  bind = 127.0.0.1",
      `  port = ${port}`,
      "}",
      "",
    ].join("\n"),
  );
  writeFileSync(log, "");
  const child: ChildProcess = spawn(xinetd, ["-dontfork", "-f", config, "-filelog", log], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const logText = () => readFileSync(log, "utf8");
  const up = await waitFor(() => child.exitCode !== null || /Started working: 1 available service/.test(logText()), 20_000);
  if (!up || child.exitCode !== null || !(await accepts(port))) {
    child.kill("SIGKILL");
    throw new Error(`xinetd did not start its echo service on 127.0.0.1:${port}:\n${logText()}${stderr}`);
  }
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
