/**
 * What a run leaves behind for the next: the client closes first, so each of a run's connections
 * waits 60 s in TIME_WAIT, and 10,000+ connections opened while tens of thousands still wait take
 * far longer (docs/limits.md: 19,000 in 1.7 s with none left, 13–25 s with 38,000). Notes for the
 * user at the start of a sweep, so a slow `connect_s` has a cause and a fix in front of them.
 */
import { readFileSync } from "node:fs";
import type { Cell, SweepSpec } from "./spec.js";

/** Connections per run from which what the run before left matters. */
export const MANY_CONNECTIONS = 10_000;
/** Linux keeps a closed connection's 4-tuple this long (TCP_TIMEWAIT_LEN). */
const TIME_WAIT_S = 60;
/** Sockets in TIME_WAIT from which a run of MANY_CONNECTIONS is told. */
const NOTABLE_TIME_WAIT = 5_000;

/** TCP sockets in TIME_WAIT on this machine (network namespace), from /proc/net/sockstat; undefined if unreadable. */
export function timeWaitSockets(file = "/proc/net/sockstat"): number | undefined {
  try {
    const match = /^TCP:.*\btw (\d+)/m.exec(readFileSync(file, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function timeWaitNotes(
  spec: Pick<SweepSpec, "client" | "repeat" | "cooldownS">,
  cells: readonly Pick<Cell, "values">[],
  timeWait = timeWaitSockets(),
): string[] {
  if (spec.client.hosts) return []; // the connections come from other hosts: their TIME_WAIT is theirs
  const large = cells.filter((cell) => Number(cell.values.connections ?? 0) >= MANY_CONNECTIONS).length * spec.repeat;
  if (large === 0) return [];
  const notes: string[] = [];
  if (timeWait !== undefined && timeWait >= NOTABLE_TIME_WAIT) {
    notes.push(
      `${timeWait} TCP sockets on this machine are in TIME_WAIT (closed in the last ${TIME_WAIT_S} s): the first run of ${MANY_CONNECTIONS}+ connections will connect more slowly; a minute's wait avoids it (docs/limits.md)`,
    );
  }
  if (large > 1 && spec.cooldownS < TIME_WAIT_S) {
    notes.push(
      `${large} runs of ${MANY_CONNECTIONS}+ connections with cooldown ${spec.cooldownS} s: each leaves its connections in TIME_WAIT for ${TIME_WAIT_S} s, which slows the next one's connects; cooldown: ${TIME_WAIT_S}s avoids it (docs/limits.md)`,
    );
  }
  return notes;
}
