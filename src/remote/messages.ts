/**
 * Every agent-protocol message is checked against these schemas before it is acted on, at both
 * ends (the agent's stdin, the controller's reading of the agent's stdout): whoever can write to
 * one end is not trusted to write well-formed JSON (docs/remote-hosts.md, "Trust model"). A line
 * that does not fit is dropped and counted, never thrown.
 */
import { constants as osConstants } from "node:os";
import { z } from "zod";
import type { Event, Notice, Request } from "./protocol.js";
import { PROFILER_KINDS } from "../profile/registry.js";

const signal = z.string().refine((name) => name in osConstants.signals, "not a signal name") as unknown as z.ZodType<NodeJS.Signals>;
const count = z.number().int().nonnegative();
const ms = z.number().finite();
const profilerKind = z.enum(PROFILER_KINDS);

const requestSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), profiler: profilerKind.optional(), connections: count.optional() }),
  z.object({ type: z.literal("time") }),
  z.object({ type: z.literal("freePort"), host: z.string().max(256) }),
  z.object({
    type: z.literal("waitAccepting"),
    host: z.string().max(256),
    port: z.number().int().min(1).max(65535),
    timeoutMs: z.number().min(0).max(3_600_000),
  }),
  z.object({
    type: z.literal("start"),
    argv: z.array(z.string()).min(1),
    self: z.boolean(),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    stdin: z.boolean().optional(),
    warm: z.boolean().optional(),
  }),
  z.object({ type: z.literal("stop"), signal, graceMs: z.number().min(0).max(3_600_000) }),
  z.object({ type: z.literal("endRun"), signal, graceMs: z.number().min(0).max(3_600_000) }),
  z.object({
    type: z.literal("profileBegin"),
    kind: profilerKind,
    target: z.enum(["server", "client"]),
    pids: z.array(count),
    extraArgs: z.array(z.string()),
  }),
  z.object({ type: z.literal("profileEnd") }),
  z.object({ type: z.literal("window"), startAtMs: ms }),
  z.object({ type: z.literal("signal"), signal }),
  z.object({ type: z.literal("ping") }),
]);
const agentInput = z.intersection(requestSchema, z.object({ id: count.optional() }));

const usage = z.looseObject({
  cpuS: z.number(),
  peakRssKb: z.number(),
  voluntaryCtxSwitches: z.number(),
  involuntaryCtxSwitches: z.number(),
  processes: z.number(),
});
const eventSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("reply"), id: count, error: z.string().optional() }),
  z.object({ type: z.enum(["stdout", "stderr"]), line: z.string() }),
  z.object({ type: z.literal("usage"), usage, pids: z.array(count) }),
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("windowStarted"), atMs: ms }),
  z.object({ type: z.literal("windowEnded"), atMs: ms, usage: usage.optional() }),
  z.object({
    type: z.literal("exit"),
    exit: z.looseObject({
      exitCode: z.number().int().optional(),
      signal: z.string().optional(),
      startError: z.string().optional(),
      lost: z.string().optional(),
    }),
  }),
]);

export type Checked<T> = { ok: true; message: T } | { ok: false; why: string };

function check<T>(schema: z.ZodType, line: string): Checked<T> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, why: "not JSON" };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, message: result.data as T };
  const issue = result.error.issues[0];
  return { ok: false, why: `${issue?.path.join(".") || "message"}: ${issue?.message ?? "does not fit"}` };
}

/** A line the agent read: a request or notice it knows, or why not. */
export const checkAgentInput = (line: string) => check<(Request | Notice) & { id?: number }>(agentInput, line);

/** A line the controller read from an agent: an event it knows, or why not. */
export const checkAgentEvent = (line: string) => check<Event>(eventSchema, line);
