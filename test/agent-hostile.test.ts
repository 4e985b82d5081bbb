/**
 * Issue 20, the agent: every input line is validated (zod) and what does not fit is dropped and
 * counted, lines are capped at 1 MiB, and on every exit path (EOF, SIGTERM, after any bad input)
 * no process the agent started outlives it. The agent runs as a real child process through the
 * CLI, locally (no ssh needed: the agent only reads stdin and writes stdout).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { lineReader, MAX_LINE_LENGTH } from "../src/remote/protocol.js";
import { checkAgentEvent, checkAgentInput } from "../src/remote/messages.js";
import { AgentSession } from "../src/remote/session.js";
import { DROPS_SHOWN, DroppedMessages } from "../src/agent/dropped.js";
import { CLI, stillAlive, waitFor, type ProcInfo } from "./helpers/sweep.js";

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
});

function procInfo(pid: number): ProcInfo {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return { pid, starttime: text.slice(text.lastIndexOf(")") + 2).split(" ")[19]!, cmdline: "" };
}

/** The agent, with a tree of two long-running processes started through it: their pids. */
async function agentWithTree(): Promise<{
  agent: ChildProcessWithoutNullStreams;
  tree: ProcInfo[];
  stderr: () => string;
  request: (line: string) => Promise<Record<string, unknown>>;
}> {
  const agent = spawn(process.execPath, [CLI, "agent"], { stdio: ["pipe", "pipe", "pipe"] });
  started.push(agent.pid!);
  let stderr = "";
  agent.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const events: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  agent.stdout.on(
    "data",
    lineReader((line) => {
      events.push(JSON.parse(line) as Record<string, unknown>);
      for (const wake of waiters.splice(0)) wake();
    }),
  );
  const next = async (match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = events.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  let id = 100;
  const request = (line: string) => {
    agent.stdin.write(`${line}\n`);
    const asked = ++id;
    agent.stdin.write(`${JSON.stringify({ type: "time", id: asked })}\n`);
    return next((event) => event.type === "reply" && event.id === asked);
  };
  const program =
    "const c = require('node:child_process').spawn('sleep', ['1000']); console.log('grandchild ' + c.pid); setInterval(() => {}, 1000);";
  agent.stdin.write(`${JSON.stringify({ type: "start", id: 1, argv: [process.execPath, "-e", program], self: false })}\n`);
  const reply = await next((event) => event.type === "reply" && event.id === 1);
  const line = await next((event) => event.type === "stdout" && String(event.line).startsWith("grandchild "));
  const pids = [Number(reply.pid), Number(String(line.line).split(" ")[1])];
  started.push(...pids);
  return { agent, tree: pids.map(procInfo), stderr: () => stderr, request };
}

const exited = (agent: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) =>
    agent.exitCode !== null ? resolve(agent.exitCode) : agent.once("exit", (code) => resolve(code)),
  );

async function expectTreeGone(tree: ProcInfo[]): Promise<void> {
  expect(await waitFor(() => tree.every((proc) => !stillAlive(proc)), 10_000), "a process the agent started outlived it").toBe(true);
}

describe("agent: bad input is dropped and counted; nothing outlives the agent", () => {
  const bad: [string, string][] = [
    ["null", "null"],
    ["a number", "42"],
    ["an unknown type", JSON.stringify({ type: "explode", id: 7 })],
    ["a start without argv", JSON.stringify({ type: "start", id: 8, self: false })],
    ["a stop with no signal name", JSON.stringify({ type: "stop", id: 9, signal: "SIGNOPE", graceMs: 1 })],
    ["a huge line (2 MiB)", "x".repeat(2 * 1024 * 1024)],
  ];
  for (const [what, line] of bad) {
    it(`${what}: dropped, the agent still answers, and after EOF its tree is gone`, async () => {
      const { agent, tree, stderr, request } = await agentWithTree();
      const reply = await request(line);
      expect(typeof reply.nowMs).toBe("number");
      // stderr is its own pipe: the line may reach us after the reply on stdout.
      expect(await waitFor(() => /tcpsweep agent: dropped message 1 \(/.test(stderr()), 10_000), stderr()).toBe(true);
      expect(tree.every(stillAlive)).toBe(true);
      const code = exited(agent);
      agent.stdin.end();
      expect(await code).toBe(0);
      await expectTreeGone(tree);
    }, 30_000);
  }

  it("EOF at once: the agent exits and its tree is gone", async () => {
    const { agent, tree } = await agentWithTree();
    const code = exited(agent);
    agent.stdin.end();
    expect(await code).toBe(0);
    await expectTreeGone(tree);
  }, 30_000);

  it("SIGTERM to the agent: it stops its tree and exits 143", async () => {
    const { agent, tree } = await agentWithTree();
    const code = exited(agent);
    agent.kill("SIGTERM");
    expect(await code).toBe(143);
    await expectTreeGone(tree);
  }, 30_000);
});

describe("agent: many dropped messages are summarised, not printed one by one", () => {
  it("20,000 bad lines: the first few in full, then summary lines; the last one counts all 20,000", async () => {
    const { agent, stderr, request } = await agentWithTree();
    agent.stdin.write(`${"null\n".repeat(20_000)}`);
    await request("42"); // answered after every line before it was read
    const code = exited(agent);
    agent.stdin.end();
    expect(await code).toBe(0);
    const lines = stderr()
      .trimEnd()
      .split("\n")
      .filter((line) => line.startsWith("tcpsweep agent: dropped"));
    expect(lines.filter((line) => line.startsWith("tcpsweep agent: dropped message ")).length).toBe(DROPS_SHOWN);
    expect(lines.length, stderr()).toBeLessThan(DROPS_SHOWN + 10);
    const summarised = lines.slice(DROPS_SHOWN).map((line) => Number(/dropped (\d+) more/.exec(line)?.[1]));
    expect(summarised.reduce((a, b) => a + b, 0) + DROPS_SHOWN).toBe(20_001);
    expect(lines.at(-1)).toMatch(/\(20001 in all; the last: /);
  }, 60_000);

  it("DroppedMessages: a summary at most every 10 s of its clock, and what was left at the end", () => {
    const written: string[] = [];
    let now = 0;
    const dropped = new DroppedMessages(
      (line) => written.push(line),
      () => now,
    );
    for (let i = 0; i < DROPS_SHOWN + 3; i++) dropped.drop("not JSON", `line ${i}`);
    expect(written).toHaveLength(DROPS_SHOWN + 1); // the sixth drop, summarised at once; the next two wait
    now = 5_000;
    dropped.drop("not JSON", "x");
    expect(written).toHaveLength(DROPS_SHOWN + 1);
    now = 10_001;
    dropped.drop("too long", "y");
    expect(written.at(-1)).toBe("tcpsweep agent: dropped 4 more messages (10 in all; the last: too long)\n");
    dropped.summarise();
    expect(written).toHaveLength(DROPS_SHOWN + 2); // nothing new to say
    dropped.drop("not JSON", "z"); // a drop, then quiet: the timer says it once 10 s have passed
    now = 15_000;
    dropped.tick();
    expect(written).toHaveLength(DROPS_SHOWN + 2);
    now = 20_001;
    dropped.tick();
    expect(written.at(-1)).toBe("tcpsweep agent: dropped 1 more message (11 in all; the last: not JSON)\n");
  });
});

describe("controller: what the remote side prints is validated too", () => {
  it("null, a number, an event of the wrong shape and a 2 MiB line are dropped and counted; the session goes on", async () => {
    // The remote end as a shell would run it: junk first (a login banner, a hostile host), then a real agent.
    const junk = `echo null; echo 42; echo '{"type":"usage","usage":"x","pids":[]}'; echo '{"type":"reply"}'; head -c 2097152 /dev/zero | tr '\\0' x; echo`;
    const session = new AgentSession(["sh", "-c", `${junk}; exec ${process.execPath} ${CLI} agent`], "hostile");
    const events: unknown[] = [];
    session.onEvent((event) => events.push(event));
    const reply = await session.request({ type: "time" }, 20_000);
    expect(typeof reply.nowMs).toBe("number");
    expect(session.dropped).toBe(5);
    expect(events).toEqual([]);
    const end = await session.close(2000);
    expect(end.code).toBe(0);
  }, 30_000);
});

describe("protocol checks (both ends)", () => {
  it("accepts the messages the controller sends, refuses the rest", () => {
    expect(checkAgentInput(JSON.stringify({ type: "stop", id: 3, signal: "SIGTERM", graceMs: 100 })).ok).toBe(true);
    for (const line of [
      "null",
      "42",
      "[]",
      '"x"',
      "{}",
      '{"type":"time","id":-1}',
      '{"type":"start","argv":[],"self":true}',
      '{"type":"waitAccepting","host":"h","port":0,"timeoutMs":1}',
    ]) {
      expect(checkAgentInput(line).ok, line).toBe(false);
    }
  });

  it("the controller refuses events that do not fit (null, a reply without id, usage of text)", () => {
    expect(checkAgentEvent(JSON.stringify({ type: "reply", id: 1, nowMs: 5 })).ok).toBe(true);
    for (const line of [
      "null",
      "7",
      '{"type":"reply"}',
      '{"type":"usage","usage":"x","pids":[]}',
      '{"type":"exit"}',
      '{"type":"stdout","line":5}',
    ]) {
      expect(checkAgentEvent(line).ok, line).toBe(false);
    }
  });

  it("lineReader drops a line over the limit without keeping it, and reads the next", () => {
    const lines: string[] = [];
    const oversize: number[] = [];
    const read = lineReader(
      (line) => lines.push(line),
      (length) => oversize.push(length),
    );
    const chunk = Buffer.from("y".repeat(64 * 1024));
    for (let i = 0; i < 20; i++) read(chunk); // 1.25 MiB, no newline yet
    read(Buffer.from("tail\nnext line\n"));
    expect(lines).toEqual(["next line"]);
    expect(oversize).toEqual([20 * 64 * 1024 + 4]);
    expect(oversize[0]).toBeGreaterThan(MAX_LINE_LENGTH);
  });
});
