/**
 * The built-in server's command line as a sweep runs it: the server owns its flags, a spec
 * only says which matrix keys feed them (as `{placeholder}`s).
 */
export interface BuiltinServerOptions {
  matrixKeys: readonly string[];
  reply?: "echo" | "ack";
}

/** `[node, cliEntry, "server", ...]` with `{host}`, `{port}` and the matrix keys it understands (threads, reply, accept). */
export function builtinServerArgv(cliEntry: string, opts: BuiltinServerOptions): string[] {
  const has = (k: string) => opts.matrixKeys.includes(k);
  const argv = [process.execPath, cliEntry, "server", "--host", "{host}", "--port", "{port}"];
  if (has("threads")) argv.push("--threads", "{threads}");
  argv.push("--reply", has("reply") ? "{reply}" : (opts.reply ?? "echo"));
  if (has("accept")) argv.push("--accept", "{accept}");
  return argv;
}
