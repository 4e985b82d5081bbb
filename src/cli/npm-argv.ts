/**
 * The words the user gave `npm run`, read back from npm's own debug log. npm rewrites its process
 * title (flags dropped) and exports only the flags it accepted as npm_config_*; a flag whose value
 * it rejects (`--only threads=1`: "invalid config") leaves no trace there. npm writes its parsed
 * command line (`verbose argv "run" "sweep" …`) to `<cache>/_logs/<start time>-debug-0.log`,
 * synchronously, before it runs the script. The log is ours when its title line is our npm
 * process's title and it was started right after that process: the first such log from then on.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

const CLOCK_TICKS_PER_S = 100; // USER_HZ: 100 on every Linux architecture Node runs on
/** The start time read back is good to a few 10 ms steps (uptime and starttime); npm logs its start well after. */
const START_SLACK_MS = 50;

/** PID, start time (ms since the epoch) and title of the nearest ancestor whose title is `npm …`. */
function npmAncestor(): { title: string; startMs: number } | undefined {
  try {
    // Boot time from now and the uptime (10 ms steps): /proc/stat's btime is whole seconds, and a
    // second's error let the log of an npm started just before ours pass for ours.
    const bootMs = Date.now() - Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;
    let pid = process.ppid;
    for (let depth = 0; depth < 4 && pid > 1; depth++) {
      const title = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").trim();
      // Fields after the command name in parentheses: state is field 3, ppid 4, starttime 22.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
        .replace(/^.*\) /s, "")
        .split(" ");
      if (/^npm( |$)/.test(title)) return { title, startMs: bootMs + (Number(fields[19]) / CLOCK_TICKS_PER_S) * 1000 };
      pid = Number(fields[1]);
    }
  } catch {
    // no /proc, or the process is gone
  }
  return undefined;
}

/** `2026-12-07T05_04_27_592Z-debug-0.log` → its time in ms. */
function logTime(name: string): number | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d)_(\d\d)_(\d\d)_(\d{3})Z-debug-\d+\.log$/.exec(name);
  return match ? Date.parse(`${match[1]}:${match[2]}:${match[3]}.${match[4]}Z`) : undefined;
}

/** The quoted words of a `verbose argv "run" "sweep" …` line. */
function argvOf(text: string): string[] | undefined {
  const line = /^\d+ verbose argv (.*)$/m.exec(text)?.[1];
  return line?.match(/"(?:[^"\\]|\\.)*"/g)?.map((word) => JSON.parse(word) as string);
}

/** npm's parsed command line (`["run", "sweep", "a.yaml", "--only", "threads=1"]`), or undefined when it cannot be found. */
export function npmCommandLine(env: Env): string[] | undefined {
  const npm = npmAncestor();
  const dir = env.npm_config_logs_dir ?? (env.npm_config_cache ? path.join(env.npm_config_cache, "_logs") : undefined);
  if (!npm || !dir) return undefined;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const candidates = names
    .map((name) => ({ name, at: logTime(name) }))
    .filter((log): log is { name: string; at: number } => log.at !== undefined && log.at >= npm.startMs - START_SLACK_MS)
    .sort((a, b) => a.at - b.at);
  for (const log of candidates) {
    const text = readQuietly(path.join(dir, log.name));
    if (text.includes(` verbose title ${npm.title}\n`)) return argvOf(text);
  }
  return undefined;
}

function readQuietly(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return ""; // removed by npm's log cleaning meanwhile
  }
}
