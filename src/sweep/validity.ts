/**
 * Whether a finished run ran as specified. A run can end cleanly yet measure something else:
 * connections the server never answered, replies that echo the wrong bytes, a window with a
 * stall. Such a row is `degraded`, with the reasons in words and numbers, never `ok`.
 */
import { RATE_SHORTFALL, type RunResult } from "../record/run-record.js";
import type { SweepSpec } from "./spec.js";

/**
 * Reasons the row is degraded (empty when it is not). Only figures the client reported are
 * judged: a client that does not report a figure (seed-text, regex) is never marked for it.
 */
export function degradedReasons(row: RunResult, validity: SweepSpec["validity"]): string[] {
  const reasons: string[] = [];
  const { connections_requested: requested, connections_served: served } = row;
  if (requested !== undefined && served !== undefined && served * 100 < requested * validity.minServedPct) {
    const starved = row.connections_starved ?? 0;
    const unconnected = requested - (row.connections_established ?? requested);
    const threshold = validity.minServedPct < 100 ? ` (below validity.min_served_pct ${validity.minServedPct} %)` : "";
    reasons.push(
      `served ${served} of ${requested} connections; ${starved} starved${unconnected > 0 ? `, ${unconnected} never connected` : ""}${threshold}`,
    );
  }
  const mismatches = row.payload_mismatches;
  if (mismatches !== undefined && mismatches > 0) {
    reasons.push(
      `${mismatches} of ${row.responses ?? "?"} responses echoed a payload that differs from the request (verify: type counts them; verify: payload refuses them)`,
    );
  }
  const { target_rate: target, achieved_rate: achieved } = row;
  if (target !== undefined && achieved !== undefined && achieved < target * (1 - RATE_SHORTFALL)) {
    reasons.push(
      `achieved ${Math.round(achieved).toLocaleString("en-US")} of ${Math.round(target).toLocaleString("en-US")} req/s (the client could not send on schedule)`,
    );
  }
  const stall = row.stall_seconds;
  if (stall !== undefined && stall >= 1) reasons.push(`${stall} s without a reply in the window`);
  return reasons;
}
