/** Turns a client's stdout into row figures, by the spec's `client.parser`. */
import { z } from "zod";
import type { ClientReport } from "../client/index.js";
import type { RemoteSummary } from "../remote/merge.js";
import { FIGURE_COLUMNS, IDENTITY_COLUMNS } from "../output/columns.js";
import type { ClientFigures, RunResult } from "../record/run-record.js";
import type { ClientSpec } from "../model/spec-types.js";

/** What a client's output says: figures for the record, and a regex client's extra named groups. */
export type ParsedOutput = { figures: Partial<RunResult>; extra?: Record<string, string | number> } | { error: string };

const SEED_TEXT_LINES = {
  speed: /^Speed:\s*([\d.]+)\s*request\/sec,\s*([\d.]+)\s*response\/sec\s*$/m,
  requests: /^Requests:\s*(\d+)\s*$/m,
  responses: /^Responses:\s*(\d+)\s*$/m,
  success: /^Success rate:\s*([\d.]+)\s*%\s*$/m,
};

/**
 * The figure columns a client's own report may fill (a regex group of that name, a JSON field):
 * numbers only. Every other standard column (identity, status, error, the server's figures, the
 * raw output's path) is tcpsweep's to write, so a regex group of that name is refused by the spec.
 */
export const CLIENT_FIGURE_COLUMNS = [
  ...FIGURE_COLUMNS.slice(FIGURE_COLUMNS.indexOf("duration_s"), FIGURE_COLUMNS.indexOf("stall_seconds") + 1),
  "target_rate",
  "achieved_rate",
  "late_sends",
] as const;

/** Standard columns a regex group may not be named after (the spec validator says so, located). */
export function reservedGroupNames(names: readonly string[]): string[] {
  const standard = new Set<string>([...IDENTITY_COLUMNS, ...FIGURE_COLUMNS]);
  const fillable = new Set<string>(CLIENT_FIGURE_COLUMNS);
  return names.filter((name) => standard.has(name) && !fillable.has(name));
}

/** The numeric figures of a report that are neither a finite number nor absent, as "name (value)". */
function nonNumericFigures(figures: Record<string, unknown>): string[] {
  return Object.entries(figures)
    .filter(([name, value]) => (CLIENT_FIGURE_COLUMNS as readonly string[]).includes(name) && value !== undefined && value !== null)
    .filter(([, value]) => typeof value !== "number" || !Number.isFinite(value))
    .map(([name, value]) => `${name} (${JSON.stringify(value)?.slice(0, 40) ?? String(value)})`);
}

const remoteSummarySchema = z.object({
  client_hosts: z.number().int().nonnegative(),
  clock_offset_max_ms: z.number().finite(),
  client_bound_hosts: z.array(z.string().max(256)),
});

/** The reference client's report; all four lines must be there. */
function parseSeedText(stdout: string): ParsedOutput {
  const missing = Object.entries(SEED_TEXT_LINES)
    .filter(([, pattern]) => !pattern.test(stdout))
    .map(([line]) => line);
  if (missing.length > 0) return { error: `seed-text report incomplete: no ${missing.join(", ")} line` };
  const speed = SEED_TEXT_LINES.speed.exec(stdout)!;
  return {
    figures: {
      req_per_s: Number(speed[1]),
      resp_per_s: Number(speed[2]),
      requests: Number(SEED_TEXT_LINES.requests.exec(stdout)![1]),
      responses: Number(SEED_TEXT_LINES.responses.exec(stdout)![1]),
      success_rate_pct: Number(SEED_TEXT_LINES.success.exec(stdout)![1]),
    },
  };
}

/** `tcpsweep client --json`: the last line that is a JSON object with resp_per_s. */
function parseJson(stdout: string): ParsedOutput {
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.trimStart().startsWith("{"));
  if (!line) return { error: "no JSON object in the client's output" };
  let report: ClientReport;
  try {
    report = JSON.parse(line) as ClientReport;
  } catch (error) {
    return { error: `client output is not valid JSON: ${(error as Error).message}` };
  }
  if (typeof report !== "object" || report === null || Array.isArray(report))
    return { error: "client output's last JSON line is not an object" };
  if (typeof report.resp_per_s !== "number" || typeof report.requests !== "number") {
    return { error: "client JSON has no numeric requests / resp_per_s" };
  }
  const nested = (["latency_us", "errors", "connections", "conn_resp"] as const).filter(
    (key) => report[key] !== undefined && report[key] !== null && (typeof report[key] !== "object" || Array.isArray(report[key])),
  );
  if (nested.length > 0) return { error: `client JSON: ${nested.join(", ")} must be objects` };
  const latency = report.latency_us;
  const figures: ClientFigures = {
    duration_s: report.elapsed_s,
    requests: report.requests,
    responses: report.responses,
    req_per_s: report.req_per_s,
    resp_per_s: report.resp_per_s,
    success_rate_pct: report.success_rate_pct,
    latency_p50_us: latency?.p50,
    latency_p90_us: latency?.p90,
    latency_p99_us: latency?.p99,
    latency_p999_us: latency?.p999,
    latency_max_us: latency?.max,
    latency_mean_us: latency?.mean,
    client_turnaround_p50_us: report.client_turnaround_us?.p50,
    errors: report.errors?.total,
    errors_connect: report.errors?.connect_failed,
    errors_timeout: report.errors?.timed_out,
    errors_closed: report.errors?.closed_by_server,
    errors_bad_frame: report.errors?.bad_frame,
    payload_mismatches: report.payload_mismatches,
    connections_established: report.connections?.established,
    connections_in_window: report.connections?.in_window,
    // Fields an older or external JSON client lacks stay empty (and are never read as a failure).
    connections_requested: report.connections?.requested,
    connections_served: report.connections?.served,
    connections_starved: report.connections?.starved,
    fairness_jain: report.fairness_jain ?? undefined,
    conn_resp_min: report.conn_resp?.min,
    conn_resp_p50: report.conn_resp?.p50,
    conn_resp_max: report.conn_resp?.max,
    resp_per_s_min_1s: report.resp_per_s_min_1s ?? undefined,
    resp_per_s_max_1s: report.resp_per_s_max_1s ?? undefined,
    stall_seconds: report.stall_seconds ?? undefined,
    ...(report.mode === "open-loop"
      ? { mode: "open" as const, target_rate: report.target_rate, achieved_rate: report.req_per_s, late_sends: report.late_sends }
      : report.mode === "closed-loop"
        ? { mode: "closed" as const }
        : {}),
    client_threads: typeof report.threads === "number" ? report.threads : undefined,
    connect_s: report.connect_s,
    connect_retries: report.connect_retries,
    errors_connect_refused: report.connect_errors?.refused,
    errors_connect_timeout: report.connect_errors?.timed_out,
    errors_connect_other: report.connect_errors?.other,
  };
  // Several load hosts (remote/merge.ts): their count, clock offsets and which of them were client-bound.
  const remote = (report as { remote?: unknown }).remote;
  if (remote !== undefined) {
    const checked = remoteSummarySchema.safeParse(remote);
    if (!checked.success) {
      const where = checked.error.issues.map((issue) => ["remote", ...issue.path].join(".")).join(", ");
      return { error: `client JSON: ${where} missing or not of the right type` };
    }
    const summary: Pick<RemoteSummary, keyof typeof checked.data> = checked.data;
    figures.client_hosts = summary.client_hosts;
    figures.clock_offset_max_ms = summary.clock_offset_max_ms;
    figures.client_bound_hosts = summary.client_bound_hosts.join(" ");
  }
  const bad = nonNumericFigures({ ...figures, mode: undefined });
  if (bad.length > 0) return { error: `client JSON: not a number: ${bad.join(", ")}` };
  // null ("not measured") is an empty cell, like a missing field.
  for (const [name, value] of Object.entries(figures)) if (value === null) delete (figures as Record<string, unknown>)[name];
  return { figures };
}

/** Named groups become columns; a group named like a standard column fills that column. */
function parseRegex(stdout: string, pattern: RegExp): ParsedOutput {
  const match = pattern.exec(stdout);
  if (!match?.groups) return { error: `client output does not match ${pattern}` };
  const figures: Record<string, string | number> = {};
  const extra: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(match.groups)) {
    if (value === undefined) continue;
    const number = Number(value);
    const typed = value.trim() !== "" && Number.isFinite(number) ? number : value;
    if ((CLIENT_FIGURE_COLUMNS as readonly string[]).includes(name)) figures[name] = typed;
    else if (reservedGroupNames([name]).length === 0) extra[name] = typed;
  }
  // A group named like a client figure fills that column, and must be a number there.
  const bad = nonNumericFigures(figures);
  if (bad.length > 0) return { error: `client output: not a number: ${bad.join(", ")}` };
  return { figures: figures, extra };
}

export function parseClientOutput(client: ClientSpec, stdout: string): ParsedOutput {
  switch (client.parser) {
    case "json":
      return parseJson(stdout);
    case "seed-text":
      return parseSeedText(stdout);
    case "regex":
      return parseRegex(stdout, client.regex!);
  }
}

/** Columns a regex client adds beyond the standard ones (its named groups, in order). */
export function regexColumns(client: ClientSpec, standard: readonly string[]): string[] {
  if (client.parser !== "regex" || !client.regex) return [];
  const names = regexGroupNames(client.regex.source);
  return names.filter((name) => !standard.includes(name));
}

/** The named groups of a regex source, in order. */
export function regexGroupNames(source: string): string[] {
  return [...source.matchAll(/\(\?<([A-Za-z_$][A-Za-z0-9_$]*)>/g)].map((m) => m[1]!);
}
