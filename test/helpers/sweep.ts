/**
 * Shared helpers for the end-to-end sweep tests: specs in temp dirs, the CLI as a real child
 * process, its descendants tracked through /proc, the CSV read back with csv-parse.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { stringify as toYaml } from "yaml";
import { TCP_LISTEN, socketInodes, tcpSockets } from "../../src/process/sockets.js";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = path.join(REPO, "dist/cli/main.js");
export const NODE = process.execPath;
export const FAULT_SERVER = path.join(REPO, "test/fixtures/programs/fault-server.mjs");
export const FAULT_CLIENT = path.join(REPO, "test/fixtures/programs/fault-client.mjs");

// ---------------------------------------------------------------------------
// Temp dirs and specs
// ---------------------------------------------------------------------------

const tempDirs: string[] = [];

/** A fresh directory under the OS temp dir; removed by {@link removeTempDirs}. */
export function makeTempDir(prefix = "tcpsweep-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes a spec (YAML text, or an object serialised as YAML) into `dir`; returns its path. */
export function writeSpec(dir: string, spec: string | Record<string, unknown>, name = "spec.yaml"): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof spec === "string" ? spec : toYaml(spec));
  return file;
}

/** Every entry under `dir`, as paths relative to it (for "nothing was written" checks). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      out.push(rel);
      if (entry.isDirectory()) walk(rel);
    }
  };
  walk("");
  return out.sort();
}

// ---------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------

interface Stat {
  ppid: number;
  state: string;
  starttime: string;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "?", ppid: Number(fields[1]), starttime: fields[19] ?? "" };
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

function numericEntries(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

export interface ProcInfo {
  pid: number;
  /** With the PID, identifies the process even if the PID is reused later. */
  starttime: string;
  cmdline: string;
}

/** Whether this exact process (pid + start time) still exists and is not a zombie. */
export function stillAlive(proc: ProcInfo): boolean {
  const stat = readStat(proc.pid);
  return stat !== undefined && stat.starttime === proc.starttime && stat.state !== "Z" && stat.state !== "X";
}

/** Every process's stat, and the children of each PID: one pass over /proc. */
interface ProcSnapshot {
  stats: Map<number, Stat>;
  children: Map<number, number[]>;
}

function readProcSnapshot(): ProcSnapshot {
  const children = new Map<number, number[]>();
  const stats = new Map<number, Stat>();
  for (const pid of numericEntries()) {
    const stat = readStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  return { stats, children };
}

/**
 * Trackers share one pass over /proc every 40 ms however many CLIs run at once (a pass reads every
 * process's stat: one pass per CLI would cost the test process a core when several trials run).
 */
const activeTrackers = new Set<DescendantTracker>();
let sharedScan: NodeJS.Timeout | undefined;

function scanForAllTrackers(): void {
  const snapshot = readProcSnapshot();
  for (const tracker of activeTrackers) tracker.update(snapshot);
}

/** Records every process descended from `root`, by polling parent PIDs in /proc. */
class DescendantTracker {
  readonly seen = new Map<number, ProcInfo>();

  constructor(private readonly root: number) {
    this.update(readProcSnapshot());
    activeTrackers.add(this);
    sharedScan ??= setInterval(scanForAllTrackers, 40);
  }

  update({ stats, children }: ProcSnapshot): void {
    const pending = [...(children.get(this.root) ?? [])];
    while (pending.length > 0) {
      const pid = pending.pop()!;
      const stat = stats.get(pid)!;
      const known = this.seen.get(pid);
      const cmdline = readCmdline(pid);
      if (!known || known.starttime !== stat.starttime) this.seen.set(pid, { pid, starttime: stat.starttime, cmdline });
      else if (cmdline) known.cmdline = cmdline; // right after fork the cmdline is still the parent's
      pending.push(...(children.get(pid) ?? []));
    }
  }

  stop(): void {
    activeTrackers.delete(this);
    if (activeTrackers.size === 0 && sharedScan) {
      clearInterval(sharedScan);
      sharedScan = undefined;
    }
  }
}

/** Processes (other than this one) whose environment carries `TCPSWEEP_TEST_TAG=tag`. */
function taggedProcesses(tag: string): ProcInfo[] {
  const needle = `TCPSWEEP_TEST_TAG=${tag}`;
  const found: ProcInfo[] = [];
  for (const pid of numericEntries()) {
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue;
    }
    if (!environ.split("\0").includes(needle)) continue;
    const stat = readStat(pid);
    if (stat && stat.state !== "Z" && stat.state !== "X") found.push({ pid, starttime: stat.starttime, cmdline: readCmdline(pid) });
  }
  return found;
}

// ---------------------------------------------------------------------------
// The CLI as a child process
// ---------------------------------------------------------------------------

export interface CliResult {
  pid: number;
  /** Exit code, or undefined when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** code, or 128 + signal number as a shell reports it. */
  status: number;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** Every descendant seen while it ran. */
  descendants: ProcInfo[];
  tag: string;
}

export interface CliHandle {
  pid: number;
  child: ChildProcess;
  /** Descendants seen so far (updated while it runs). */
  descendants(): ProcInfo[];
  stderrSoFar(): string;
  result: Promise<CliResult>;
}

export interface CliOptions {
  cwd: string;
  /** Run under another command, e.g. ["prlimit", "--nofile=200:200"]. */
  prefix?: string[];
  /** Hard limit for the whole CLI run; it is killed (and the test fails) past it. */
  timeoutMs?: number;
  env?: Record<string, string>;
}

const running = new Set<CliHandle>();

/** Starts `node dist/cli/main.js ...args` and tracks its descendants. */
export function startCli(args: string[], options: CliOptions): CliHandle {
  const tag = randomBytes(8).toString("hex");
  const argv = [...(options.prefix ?? []), NODE, CLI, ...args];
  const started = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, TCPSWEEP_TEST_TAG: tag },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid!;
  const tracker = new DescendantTracker(pid);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timeoutMs = options.timeoutMs ?? 50_000;
  const killer = setTimeout(() => {
    stderr += `\n[test helper: killed after ${timeoutMs} ms]\n`;
    killHandle(handle);
  }, timeoutMs);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(killer);
      tracker.stop();
      running.delete(handle);
      const signo = signal ? (osConstants.signals[signal] ?? 0) : 0;
      resolve({
        pid,
        code,
        signal,
        status: code ?? 128 + signo,
        stdout,
        stderr,
        elapsedMs: Date.now() - started,
        descendants: [...tracker.seen.values()],
        tag,
      });
    });
  });
  const handle: CliHandle = { pid, child, descendants: () => [...tracker.seen.values()], stderrSoFar: () => stderr, result };
  running.add(handle);
  return handle;
}

export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).result;
}

function killHandle(handle: CliHandle): void {
  for (const proc of handle.descendants()) if (stillAlive(proc)) safeKill(proc.pid, "SIGKILL");
  safeKill(handle.pid, "SIGKILL");
}

/** For afterEach: kills CLIs (and their descendants) a failed test left running. */
export function killRunningClis(): void {
  for (const handle of running) killHandle(handle);
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/**
 * Processes the CLI started that are still alive: tracked descendants, plus anything carrying
 * its environment tag (a grandchild that was re-parented before we saw it). Kills them (they
 * are ours) so one failing test does not poison the next, and returns them for an assertion.
 */
export function leftoverProcesses(result: CliResult): ProcInfo[] {
  const alive = new Map<number, ProcInfo>();
  for (const proc of result.descendants) if (stillAlive(proc)) alive.set(proc.pid, proc);
  for (const proc of taggedProcesses(result.tag)) alive.set(proc.pid, proc);
  for (const proc of alive.values()) safeKill(proc.pid, "SIGKILL");
  return [...alive.values()];
}

/** `--port N` of the first tracked descendant whose command line matches `pattern`. */
export function portsOf(descendants: readonly ProcInfo[], pattern: RegExp = /./): number[] {
  const ports = new Set<number>();
  for (const proc of descendants) {
    if (!pattern.test(proc.cmdline)) continue;
    const match = /--port (\d+)/.exec(proc.cmdline) ?? /-a \S+:(\d+)/.exec(proc.cmdline);
    if (match) ports.add(Number(match[1]));
  }
  return [...ports];
}

/**
 * Whether nobody listens on `port` any more (on any address): no LISTEN socket with that local port
 * in /proc/net/tcp or tcp6. Not "can we bind it": with other tests running, a client elsewhere may
 * hold the same number as its ephemeral source port, which blocks a bind but is no listener of ours.
 * With `run`, only a listener held by one of that run's processes (a live descendant, or one carrying
 * its tag) counts: runs going on at the same time may be given the port once the run let it go.
 * A port that is not a real one (undefined, 0) is an error, not a pass.
 */
export async function portIsFree(port: number, run?: Pick<CliResult, "descendants" | "tag">): Promise<boolean> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`portIsFree: no port to check (got ${port})`);
  const listening = new Set(
    tcpSockets()
      .filter((socket) => socket.state === TCP_LISTEN && socket.localPort === port)
      .map((socket) => socket.inode),
  );
  if (listening.size === 0) return true;
  if (!run) return false;
  const ours = new Set([
    ...run.descendants.filter(stillAlive).map((proc) => proc.pid),
    ...taggedProcesses(run.tag).map((proc) => proc.pid),
  ]);
  for (const pid of ours) if (socketInodes(pid).some((inode) => listening.has(inode))) return false;
  return true;
}

// ---------------------------------------------------------------------------
// The CSV
// ---------------------------------------------------------------------------

export interface CsvContent {
  header: string[];
  /** Data records as arrays (whatever their length). */
  records: string[][];
  rows: Record<string, string>[];
  text: string;
}

/** Parses the CSV strictly enough to notice a torn row (wrong column count shows up in `records`). */
export function readCsv(file: string): CsvContent {
  const text = readFileSync(file, "utf8");
  const all = parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
  const header = all[0] ?? [];
  const records = all.slice(1);
  const rows = records.map((record) => Object.fromEntries(header.map((column, i) => [column, record[i] ?? ""])));
  return { header, records, rows, text };
}

export function csvExists(file: string): boolean {
  return existsSync(file);
}

/** The port a row's client was pointed at, from the command line saved in its raw output; throws when there is none. */
export function rowPort(cwd: string, row: Record<string, string> | undefined): number {
  if (!row?.raw_output) throw new Error(`rowPort: the row has no raw_output to read a port from: ${JSON.stringify(row)}`);
  const raw = readFileSync(path.resolve(cwd, row.raw_output), "utf8");
  const match = /^### client: .*?(?:-a|--address) \S*?:(\d+)/m.exec(raw);
  if (!match) throw new Error(`rowPort: no "-a host:port" on the client line of ${row.raw_output}`);
  return Number(match[1]);
}

/** Runs the progress output reports as finished (a row is appended just before each such line). */
export const finishedRuns = (stderr: string) => stderr.match(/^\S+ \[\d+\/\d+\] \S+ #\d+: /gm)?.length ?? 0;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 20 ms until true or `timeoutMs` passes; returns its last value. */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}
