/**
 * The warm client's process: runs one `tcpsweep client` command line after another, each with fresh
 * connections, worker threads and load processes (runLoad starts and ends them), so a sweep pays Node's
 * start and module loading once rather than per run. Each run gets its own Command (no flag carries
 * over) and its own output; a run's exit is a message, not the process's.
 */
import { createInterface } from "node:readline";
import { Command } from "commander";
import type { ClientIo } from "./io.js";
import type { FromWarmClient, ToWarmClient } from "./warm-protocol.js";

/** Ends one client run with its exit status (thrown by io.fail and commander's exit). */
class RunEnded extends Error {
  constructor(readonly code: number) {
    super(`client run ended with status ${code}`);
  }
}

const send = (message: FromWarmClient) => void process.stdout.write(`${JSON.stringify(message)}\n`);

/** Serves runs from stdin until it ends; `register` adds the client command to a program with the given output. */
export function serveWarmClient(register: (program: Command, io: ClientIo) => void): void {
  const starts = new Map<number, () => void>();
  const started = new Set<number>();
  let queue = Promise.resolve();
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const message = JSON.parse(line) as ToWarmClient;
    if (message.kind === "start") {
      started.add(message.id);
      starts.get(message.id)?.();
    } else queue = queue.then(() => runOnce(message.id, message.argv, register, () => waitForStart(message.id)));
  });
  const waitForStart = (id: number) =>
    started.has(id) ? Promise.resolve() : new Promise<void>((resolve) => starts.set(id, () => (starts.delete(id), resolve())));
  // The sweep is gone (or done): nothing will read another report.
  lines.on("close", () => void queue.then(() => process.exit(0)));
}

async function runOnce(
  id: number,
  argv: string[],
  register: (program: Command, io: ClientIo) => void,
  waitForStart: () => Promise<void>,
): Promise<void> {
  const io: ClientIo = {
    out: (text) => send({ id, out: text }),
    err: (text) => send({ id, err: text }),
    waitForStart,
    fail: (message, code) => {
      send({ id, err: `${message}\n` });
      throw new RunEnded(code);
    },
  };
  const program = new Command("tcpsweep")
    .exitOverride((error) => {
      throw new RunEnded(error.exitCode === 0 ? 0 : 2);
    })
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
  register(program, io);
  let code = 0;
  try {
    await program.parseAsync(["node", "tcpsweep", ...argv]);
  } catch (error) {
    if (error instanceof RunEnded) code = error.code;
    else {
      // What `tcpsweep client` would end with (exit 3, one line); the process stays for the next run.
      io.err(`tcpsweep: unexpected error: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
      code = 3;
    }
  }
  send({ id, exit: code });
}
