/**
 * The built-in server's command line as a sweep runs it: the server owns its flags, a spec
 * only says which matrix keys feed them (as `{placeholder}`s).
 */
export interface BuiltinServerOptions {
  matrixKeys: readonly string[];
  reply?: "echo" | "ack";
  /** The protocol the sweep's client speaks (`client.protocol`); undefined: the server's default, chat. */
  protocol?: string;
  /** `server.work_us`: CPU work per reply (--work-us); 0 or undefined: none. */
  workUs?: number;
  /** Node writes /tmp/perf-PID.map (`--perf-basic-prof`) so a CPU profile names JavaScript frames; only when one is taken. */
  perfMap?: boolean;
}

/**
 * Node writes /tmp/perf-PID.map for perf to name JavaScript frames. `--perf-basic-prof` alone also
 * turns on V8's log, one isolate-*.log per process in the working directory (the user's); `+` sends
 * it to a temporary file that is gone with the process, one for all isolates (Node 20 to 26).
 */
export const PERF_MAP_FLAG = "--perf-basic-prof";
const PERF_MAP_FLAGS = [PERF_MAP_FLAG, "--logfile=+", "--no-logfile-per-isolate"];

/** `[node, cliEntry, "server", ...]` with `{host}`, `{port}` and the matrix keys it understands (threads, reply, protocol, accept). */
export function builtinServerArgv(cliEntry: string, opts: BuiltinServerOptions): string[] {
  const has = (k: string) => opts.matrixKeys.includes(k);
  const argv = [process.execPath, ...(opts.perfMap ? PERF_MAP_FLAGS : []), cliEntry, "server", "--host", "{host}", "--port", "{port}"];
  if (has("threads")) argv.push("--threads", "{threads}");
  argv.push("--reply", has("reply") ? "{reply}" : (opts.reply ?? "echo"));
  if (has("protocol")) argv.push("--protocol", "{protocol}");
  else if (opts.protocol !== undefined) argv.push("--protocol", opts.protocol);
  if (has("accept")) argv.push("--accept", "{accept}");
  if (opts.workUs) argv.push("--work-us", String(opts.workUs));
  return argv;
}
