/**
 * One run of a cell, with its passes and profilers: one clean pass, or, when the spec profiles,
 * a clean pass whose figures fill the row and a traced pass whose syscall tables fill the syscall
 * columns (`pass: same`: the traced pass alone, its rate kept out of resp_per_s). The runner
 * orders runs; cell.ts runs one pass; tracing.ts holds a traced pass's profilers.
 */
import type { Launcher } from "../launch/launcher.js";
import { summarize, type ProfileTarget } from "../profile/profiler.js";
import { PROFILERS } from "../profile/registry.js";
import type { RunResult } from "../record/run-record.js";
import { rawRunBase } from "../rundir/run-dir.js";
import { runPass, type PassContext, type PassResult } from "./cell.js";
import { HeldServer } from "./servers.js";
import { TracedPassProfilers, addProfileFindings, type TracePlan } from "./tracing.js";

/** The spec's profiling, when it profiles: the plan, and where its profilers start. */
export interface Profiling {
  plan: TracePlan;
  launcher: Launcher;
}

/** One run: its figures, status and (profiled) syscall summaries, ready to become a RunRecord. */
export async function runOnce(context: PassContext, profiling: Profiling | undefined): Promise<RunResult> {
  return profiling ? runProfiled(context, profiling) : (await runPass(context)).row;
}

async function runProfiled(context: PassContext, { plan, launcher }: Profiling): Promise<RunResult> {
  const rawBase = rawRunBase(context.rawDir, context.cell.id, context.repeat);
  // Profilers that attach to the running server let both passes share one (a launch profiler must start it).
  const attaches = plan.kind ? PROFILERS[plan.kind].attachesToRunning : true; // the CPU sampler attaches
  const held = plan.pass === "separate" && attaches && context.servers ? new HeldServer(context.servers) : undefined;
  const passContext = held ? { ...context, servers: held } : context;
  const runTraced = () => runPass({ ...passContext, traced: new TracedPassProfilers(plan, rawBase, launcher) });
  let base: RunResult;
  let cleanRespPerS: number | undefined;
  let traced: PassResult;
  if (plan.pass === "same") {
    traced = await runTraced();
    const { req_per_s: _req, resp_per_s: _resp, ...rest } = traced.row;
    base = rest;
  } else {
    try {
      base = (await runPass(passContext)).row;
      // A broken cell is not worth tracing; a degraded one is (an io_uring server whose echoes differ is still profiled).
      if (base.status !== "ok" && base.status !== "degraded") return base;
      cleanRespPerS = base.resp_per_s;
      held?.lastPass();
      traced = await runTraced();
    } finally {
      await held?.releaseHeld();
    }
  }
  const row: RunResult = { ...base, profiler: plan.from, syscall_source: plan.source, traced_resp_per_s: traced.row.resp_per_s };
  // Both passes' time outside their windows (pass: same has one pass, which `base` came from).
  if (plan.pass === "separate") row.overhead_s = Number(((base.overhead_s ?? 0) + (traced.row.overhead_s ?? 0)).toFixed(3));
  if (cleanRespPerS && traced.row.resp_per_s !== undefined) row.traced_ratio = Number((traced.row.resp_per_s / cleanRespPerS).toFixed(3));
  addSyscallSummaries(row, traced);
  addProfileFindings(row, plan, traced.syscalls?.cpu);
  const problems = [...(traced.syscalls?.problems ?? [])];
  // A degraded traced pass still counted the server's syscalls over a real window.
  if (plan.pass === "separate" && traced.row.status !== "ok" && traced.row.status !== "degraded")
    problems.push(`traced pass: ${traced.row.status}: ${traced.row.error}`);
  if (problems.length > 0) {
    if (row.status === "ok") row.status = "profile_failed";
    row.error = [row.error, ...problems].filter(Boolean).join("; ");
  }
  return row;
}

/** Each traced target's summary into its columns, and the tables for the syscall table sink. */
function addSyscallSummaries(row: RunResult, traced: PassResult): void {
  const counts = traced.syscalls?.counts ?? [];
  for (const table of counts) {
    const summary = summarize(table, traced.row.responses || undefined);
    const columns = SYSCALL_SUMMARY_COLUMNS[table.target];
    row[columns.total] = summary.syscalls_total;
    row[columns.errors] = summary.syscall_errors;
    row[columns.perRequest] = summary.syscalls_per_request;
    row[columns.top] = summary.top_syscall;
    if (table.target === "server" && summary.note) row.syscall_note = summary.note;
  }
  if (counts.length > 0) row.syscallTables = counts;
}

/** Where each target's syscall summary goes in the record. */
const SYSCALL_SUMMARY_COLUMNS = {
  server: {
    total: "server_syscalls_total",
    errors: "server_syscall_errors",
    perRequest: "server_syscalls_per_request",
    top: "server_top_syscall",
  },
  client: {
    total: "client_syscalls_total",
    errors: "client_syscall_errors",
    perRequest: "client_syscalls_per_request",
    top: "client_top_syscall",
  },
} as const satisfies Record<ProfileTarget, Record<string, keyof RunResult>>;
