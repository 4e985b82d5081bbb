/**
 * `--dry-run`: every program a real run would start, resolved as the kernel would find it (PATH, or
 * against the command's cwd), so a missing server binary is named before the sweep, not as one
 * server_failed row per cell. A program on a remote host is not looked up here: the real run's
 * ssh preflight asks that host (docs/cli.md, "--dry-run").
 */
import { resolveProgram } from "../environment/environment.js";
import { PROFILE_KINDS, namedKinds } from "./profile-kinds.js";
import { cellTemplateValues, type Cell, type SweepSpec } from "./spec.js";
import { expandTemplate, placeholdersOf } from "./template.js";
import { specForCell } from "./named-runs.js";

export interface ResolvedProgram {
  /** What starts it: "server", "client", "profiler", "taskset (server.cpus)", "ssh (remote hosts)". */
  role: string;
  program: string;
  /** Where it resolves; null: not found. */
  path: string | null;
  /** Set when it runs elsewhere and was not looked up here. */
  note?: string;
}

/** Every distinct program of the sweep with its path (null when missing). */
export async function resolvePrograms(spec: SweepSpec, cells: readonly Cell[]): Promise<ResolvedProgram[]> {
  const wanted: { role: string; program: string; cwd: string; envPath?: string; note?: string }[] = [];
  const add = (entry: (typeof wanted)[number]) => {
    if (!wanted.some((w) => w.role === entry.role && w.program === entry.program && w.cwd === entry.cwd)) wanted.push(entry);
  };
  const here = process.cwd();
  // A server or client whose program word has no placeholder starts the same program in every cell: looked at once.
  const fixed = (argv: readonly string[]) => placeholdersOf(argv.slice(0, 1)).length === 0;
  const seen = new Set<object>();
  const once = (program: { argv: readonly string[] }) => {
    if (seen.has(program)) return false;
    if (fixed(program.argv)) seen.add(program);
    return true;
  };
  for (const cell of cells) {
    // with servers: / clients:, each cell's own server and client
    const own = specForCell(spec, cell);
    let values: Record<string, string | number> | undefined;
    const programOf = (argv: readonly string[]) =>
      // Only the program word is expanded, and the cell's values only when it has a placeholder.
      expandTemplate(argv.slice(0, 1), fixed(argv) ? {} : (values ??= cellTemplateValues(own, cell, 0)))[0] ?? "";
    if (own.server && once(own.server)) {
      const program = programOf(own.server.argv);
      const remote = own.server.host !== undefined ? `on host ${own.server.host}: checked there over ssh when the run starts` : undefined;
      add({ role: "server", program, cwd: own.server.cwd ?? here, envPath: own.server.env.PATH, ...(remote ? { note: remote } : {}) });
    }
    if (!once(own.client)) continue;
    const client = programOf(own.client.argv);
    const remoteClient = own.client.hosts
      ? `on hosts ${own.client.hosts.join(", ")}: checked there over ssh when the run starts`
      : undefined;
    add({
      role: "client",
      program: client,
      cwd: own.client.cwd ?? here,
      envPath: own.client.env.PATH,
      ...(remoteClient ? { note: remoteClient } : {}),
    });
  }
  for (const { name } of namedKinds(spec)) add({ role: "profiler", program: PROFILE_KINDS[name].program, cwd: here });
  if (spec.server?.cpus !== undefined && spec.server.host === undefined)
    add({ role: "taskset (server.cpus)", program: "taskset", cwd: here });
  if (spec.client.cpus !== undefined && !spec.client.hosts) add({ role: "taskset (client.cpus)", program: "taskset", cwd: here });
  if (spec.server?.host !== undefined || spec.client.hosts) add({ role: "ssh (remote hosts)", program: "ssh", cwd: here });
  return Promise.all(
    wanted.map(async ({ role, program, cwd, envPath, note }) => ({
      role,
      program,
      path: note ? null : await resolveProgram(program, cwd, envPath ?? process.env.PATH),
      ...(note ? { note } : {}),
    })),
  );
}

/** One line per program that is not there (the profiler's own check already says how to install it). */
export function missingProgramProblems(spec: SweepSpec, programs: readonly ResolvedProgram[]): string[] {
  return programs
    .filter((p) => p.path === null && p.note === undefined && p.role !== "profiler")
    .map((p) => {
      const where = p.program.includes("/") ? `no executable file at ${p.program}` : "not found on PATH";
      return `${spec.file}: ${p.role} program "${p.program}": ${where}; install it or fix ${p.role.startsWith("taskset") ? "the cpus setting (taskset is in util-linux)" : p.role.startsWith("ssh") ? "ssh (openssh-client)" : `${p.role}.command`}`;
    });
}
