/**
 * The warm client's line protocol (one JSON object per line): the sweep writes runs and start signals
 * to its stdin, it answers each run's output and exit status on its stdout. Plain pipes rather than a
 * Node IPC channel, so any launcher that gives a process stdin and stdout (local, pinned, ssh) can drive it.
 */

/** `tcpsweep warm-client`: hidden command; its process runs `tcpsweep client` command lines until its stdin ends. */
export const WARM_CLIENT_COMMAND = "warm-client";

export type ToWarmClient =
  /** Run `tcpsweep <argv…>` (argv[0] is "client") as run `id`. */
  | { kind: "run"; id: number; argv: string[] }
  /** The start signal of run `id` (its --wait-for-start). */
  | { kind: "start"; id: number };

/** Output of run `id` (stdout or stderr text), or its end with the exit status a cold client would have had. */
export interface FromWarmClient {
  id: number;
  out?: string;
  err?: string;
  exit?: number;
}
