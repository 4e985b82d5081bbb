/**
 * A run's `<spec>.<run_id>.meta.json` (named and read by src/rundir/): the run, the environment
 * it measured in (probed by src/environment/, told which programs the cells run) and the
 * resolved spec with secrets redacted. Written as the run starts; never fails the run.
 */
import { probeEnvironment, type CommandToDescribe } from "../environment/environment.js";
import { META_VERSION, metaPath, writeRunMetaFile, type RunMeta } from "../rundir/run-dir.js";
import { cellTemplateValues, type Cell, type CommandTemplate, type SweepSpec } from "./spec.js";
import { specRedactor } from "./secrets.js";
import { expandTemplate } from "./template.js";

/** The spec as JSON: RegExps become their source, undefined keys disappear, secrets are redacted (docs/security.md). */
export function jsonSafeSpec(spec: SweepSpec): unknown {
  const redactor = specRedactor(spec);
  const safe = {
    ...spec,
    ...(spec.server ? { server: { ...spec.server, env: redactor.env(spec.server.env) } } : {}),
    ...(spec.servers
      ? { servers: Object.fromEntries(Object.entries(spec.servers).map(([name, s]) => [name, { ...s, env: redactor.env(s.env) }])) }
      : {}),
    client: { ...spec.client, env: redactor.env(spec.client.env) },
    ...(spec.clients
      ? { clients: Object.fromEntries(Object.entries(spec.clients).map(([name, c]) => [name, { ...c, env: redactor.env(c.env) }])) }
      : {}),
  };
  return redactor.deep(JSON.parse(JSON.stringify(safe, (_key, value: unknown) => (value instanceof RegExp ? value.source : value))));
}

/** A command as the environment probe needs it: argv[0] may hold placeholders, so one program per value the cells give it. */
function toDescribe(command: CommandTemplate & { builtin: boolean }, spec: SweepSpec, cells: readonly Cell[]): CommandToDescribe {
  if (command.builtin) return { builtin: true };
  const programs = new Set<string>();
  for (const cell of cells.length > 0 ? cells : [{ values: {} }]) {
    try {
      programs.add(expandTemplate([command.argv[0]!], { ...cellTemplateValues(spec, cell, 0) })[0]!);
    } catch {
      programs.add(command.argv[0]!);
    }
  }
  return {
    builtin: false,
    argv: command.argv,
    programs: [...programs],
    cwd: command.cwd ?? process.cwd(),
    ...(command.env.PATH !== undefined ? { envPath: command.env.PATH } : {}),
  };
}

/** Gathers a run's meta.json (see {@link RunMeta}). */
export async function collectRunMeta(spec: SweepSpec, cells: readonly Cell[], runId: string): Promise<RunMeta> {
  const now = new Date().toISOString();
  const environment = await probeEnvironment({
    server: spec.server ? toDescribe(spec.server, spec, cells) : null,
    client: toDescribe(spec.client, spec, cells),
  });
  // Everything the probe found (command lines, environment) goes through the redactor too.
  return specRedactor(spec).deep({
    meta_version: META_VERSION,
    run_id: runId,
    spec_name: spec.name,
    spec_file: spec.file,
    csv: spec.output.csv,
    written_at: now,
    started_at: now,
    finished_at: null,
    resumed_at: [],
    ...environment,
    placement: { server_cpus: spec.server?.cpus ?? null, client_cpus: spec.client.cpus ?? null },
    spec: jsonSafeSpec(spec),
  }) as RunMeta;
}

/**
 * Writes the run's meta.json beside the CSV. Never fails the run: a problem becomes one
 * warning line on `out`. Returns the file written, or undefined.
 */
export async function writeRunMeta(
  spec: SweepSpec,
  cells: readonly Cell[],
  runId: string,
  out: NodeJS.WritableStream,
  extra: Pick<RunMeta, "remote_hosts"> = {},
): Promise<string | undefined> {
  const file = metaPath(spec.output.csv, spec.name, runId);
  try {
    await writeRunMetaFile(file, { ...(await collectRunMeta(spec, cells, runId)), ...extra });
    return file;
  } catch (error) {
    out.write(`warning: could not write ${file}: ${(error as Error).message}\n`);
    return undefined;
  }
}
