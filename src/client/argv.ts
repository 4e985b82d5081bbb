/**
 * The built-in client's command line as a sweep runs it: the client owns its flags, a spec
 * only says which matrix keys and settings feed them (as `{placeholder}`s).
 */
export interface BuiltinClientOptions {
  matrixKeys: readonly string[];
  threads?: number;
  length?: number;
  /** `client.protocol`; undefined: the client's default, chat. */
  protocol?: string;
  timeoutS?: number;
  verify?: "type" | "payload";
  /** Open loop: requests per second in total, or a placeholder such as "{rate}"; undefined = closed loop. */
  rate?: number | string;
  /** Connects per second; load processes; loopback source addresses (undefined: automatic). */
  connectRate?: number;
  processes?: number;
  sourceAddresses?: number;
}

/** `[node, cliEntry, "client", ...]` with `{address}`, `{connections}`, `{duration_s}`, `{warmup_s}` and matrix keys it understands. */
export function builtinClientArgv(cliEntry: string, opts: BuiltinClientOptions): string[] {
  const has = (k: string) => opts.matrixKeys.includes(k);
  const argv = [
    process.execPath,
    cliEntry,
    "client",
    "-a",
    "{address}",
    "-c",
    "{connections}",
    "-t",
    "{duration_s}",
    "--warmup",
    "{warmup_s}",
    "--json",
    "--announce-window",
  ];
  if (opts.threads !== undefined) argv.push("--threads", String(opts.threads));
  if (has("protocol")) argv.push("--protocol", "{protocol}");
  else if (opts.protocol !== undefined) argv.push("--protocol", opts.protocol);
  if (has("length")) argv.push("-l", "{length}");
  else if (opts.length !== undefined) argv.push("-l", String(opts.length));
  if (opts.timeoutS !== undefined) argv.push("--timeout", String(opts.timeoutS));
  if (opts.verify === "payload") argv.push("--verify", "payload");
  if (opts.rate !== undefined) argv.push("--rate", String(opts.rate));
  if (opts.connectRate !== undefined) argv.push("--connect-rate", String(opts.connectRate));
  if (opts.processes !== undefined) argv.push("--processes", String(opts.processes));
  if (opts.sourceAddresses !== undefined) argv.push("--source-addresses", String(opts.sourceAddresses));
  return argv;
}
