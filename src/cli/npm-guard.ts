/**
 * `npm run sweep SPEC --dry-run` must not run the sweep. npm reads every flag written before `--`
 * as its own config, exports it to the script as `npm_config_<name>` (`npm_config_dry_run=true`)
 * and runs the script without it, so tcpsweep would start a real sweep. When tcpsweep runs from
 * `npm run` and npm took one of tcpsweep's flags, it refuses before anything runs: exit 2, one line
 * with the command that keeps the flag.
 *
 * Decision (docs/cli.md, "npm run"): npm rewrites its process title, so its command line cannot be
 * read back from /proc; npm's debug log has it (npm-argv.ts), and every tcpsweep flag written
 * before `--` there was taken, whether npm accepted its value or rejected it (`--only threads=1`).
 * Without that log, the npm_config_* variables are all there is: only tcpsweep's own long flags
 * count, a key that an .npmrc file sets (user, global, project) is config, not a flag, and a value
 * npm took that cannot be paired back is said to be lost rather than guessed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Command, Option } from "commander";
import { fail } from "./exit.js";
import { npmCommandLine } from "./npm-argv.js";

type Env = Readonly<Record<string, string | undefined>>;

/** What npm took: the tcpsweep flags, and the command line that keeps them. */
export interface EatenFlags {
  flags: string[];
  /** Undefined when the values npm took cannot be known. */
  command?: string;
}

/** The long options of `subcommand` and the program's global ones. */
function knownOptions(program: Command, subcommand: string | undefined): Option[] {
  const commands = [program, ...program.commands.filter((c) => c.name() === subcommand)];
  return commands.flatMap((c) => c.options).filter((o) => o.long);
}

const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** The keys .npmrc files set (`dry-run=true` → dry_run): config the user chose, not a flag npm took. */
function npmrcKeys(files: readonly (string | undefined)[]): Set<string> {
  const keys = new Set<string>();
  for (const file of files) {
    let text = "";
    try {
      if (file) text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const match = /^\s*([^=#;\s][^=]*?)\s*=/.exec(line);
      if (match) keys.add(match[1]!.toLowerCase().replace(/-/g, "_"));
    }
  }
  return keys;
}

/**
 * The tcpsweep flags npm exported as npm_config_<name>, and the command that keeps them. `ourArgs`
 * are tcpsweep's arguments (`run sweeps/smoke.yaml 3`): the words the script itself starts with
 * are dropped, and a stray word beyond the command's arguments (`3` of `--repeat 3`, which npm took
 * for a flag without a value) goes back to its flag.
 */
export function eatenFlags(env: Env, program: Command, ourArgs: readonly string[]): EatenFlags | undefined {
  const subcommandName = ourArgs.find((arg) => !arg.startsWith("-"));
  const configured = npmrcKeys([
    env.npm_config_userconfig,
    env.npm_config_globalconfig,
    env.npm_config_local_prefix && path.join(env.npm_config_local_prefix, ".npmrc"),
  ]);
  const eaten = knownOptions(program, subcommandName).filter((option) => {
    const key = option.long!.slice(2).replace(/-/g, "_");
    return env[`npm_config_${key}`] !== undefined && !configured.has(key);
  });
  if (eaten.length === 0) return undefined;
  // The script's own words (`node dist/cli/main.js run`) come before the user's.
  const scriptWords = (env.npm_lifecycle_script ?? "").trim().split(/\s+/);
  const entry = scriptWords.findIndex((word) => /(main\.js|tcpsweep)$/.test(word));
  const userArgs = ourArgs.slice(entry < 0 ? 0 : scriptWords.length - entry - 1);
  const subcommand = program.commands.find((c) => c.name() === subcommandName);
  const declared = subcommand
    ? subcommand.registeredArguments.length + (entry >= 0 && entry === scriptWords.length - 1 ? 1 : 0)
    : userArgs.length;
  const strays = userArgs.slice(declared);
  const valueOf = (option: Option) => env[`npm_config_${option.long!.slice(2).replace(/-/g, "_")}`];
  // npm keeps no order: a stray word is given back to its flag only when one flag lost its value.
  const lostValues = eaten.filter((option) => !option.isBoolean() && valueOf(option) === "true");
  const pair = lostValues.length === 1 && strays.length === 1;
  const flags = eaten.map((option) => option.long!);
  // A value npm took with no word left over to pair it with cannot be rebuilt: say so rather than guess.
  if (lostValues.length > 0 && !pair) return { flags };
  const flagWords = eaten.flatMap((option) => {
    if (option.isBoolean()) return [option.long!];
    return [option.long!, valueOf(option) !== "true" ? valueOf(option)! : strays[0]!];
  });
  const kept = userArgs.slice(0, declared).concat(pair ? [] : strays);
  const command = ["npm", "run", env.npm_lifecycle_event ?? "SCRIPT", "--", ...kept, ...flagWords].map(quote).join(" ");
  return { flags, command };
}

/**
 * From npm's own parsed command line (npm-argv.ts): every word before `--` that is a tcpsweep flag
 * (with its value) was taken by npm, whether npm accepted its value or rejected it; the command that
 * keeps them is the same words in the same order after `--`, npm's own flags left before it.
 */
export function eatenFromNpmArgv(argv: readonly string[], program: Command, event: string, subcommandName: string | undefined) {
  const at = argv.findIndex((word, i) => ["run", "run-script", "rum", "urn"].includes(word) && argv[i + 1] === event);
  if (at < 0) return undefined;
  const rest = argv.slice(at + 2);
  const split = rest.indexOf("--");
  const before = split < 0 ? rest : rest.slice(0, split);
  const after = split < 0 ? [] : rest.slice(split + 1);
  const options = knownOptions(program, subcommandName);
  const optionOf = (word: string) =>
    options.find((o) => word === o.long || word.startsWith(`${o.long}=`) || (o.short !== undefined && word === o.short));
  const flags: string[] = [];
  const ours: string[] = [];
  const npmOwn: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const word = before[i]!;
    const option = optionOf(word);
    if (option) {
      flags.push(option.long!);
      ours.push(word);
      if (!option.isBoolean() && !word.includes("=") && i + 1 < before.length) ours.push(before[++i]!);
    } else (word.startsWith("-") ? npmOwn : ours).push(word);
  }
  if (flags.length === 0) return undefined;
  const command = ["npm", ...argv.slice(0, at), "run", event, ...npmOwn, "--", ...ours, ...after].map(quote).join(" ");
  return { flags: [...new Set(flags)], command };
}

/** Which tcpsweep flags npm took from the user, when tcpsweep runs from `npm run`; undefined otherwise. */
export function npmEatenFlags(program: Command, ourArgs: readonly string[], env: Env): EatenFlags | undefined {
  const viaNpmRun = env.npm_lifecycle_event && env.npm_config_user_agent?.startsWith("npm/") && env.npm_command !== "exec";
  // Only a script that is tcpsweep itself (`node dist/cli/main.js run`, `tcpsweep run`): the user's flags were
  // meant for it. Under another script (`npm test` running the test suite) npm's config is that script's business.
  const scriptIsTcpsweep = (env.npm_lifecycle_script ?? "")
    .trim()
    .split(/\s+/)
    .some((word) => /(main\.js|tcpsweep)$/.test(word));
  if (!viaNpmRun || !scriptIsTcpsweep) return undefined;
  // npm's own record of the command line says everything; without it, what npm exported.
  const argv = npmCommandLine(env);
  const subcommandName = ourArgs.find((arg) => !arg.startsWith("-"));
  return argv ? eatenFromNpmArgv(argv, program, env.npm_lifecycle_event!, subcommandName) : eatenFlags(env, program, ourArgs);
}

/** Set in tcpsweep's environment once checked, so the processes it starts do not check again. */
export const NPM_CHECKED_ENV = "TCPSWEEP_NPM_CHECKED";

/** Exit 2 with one line when npm took a tcpsweep flag; nothing has run yet. */
export function refuseNpmEatenFlags(program: Command, ourArgs: readonly string[]): void {
  // The servers and clients a sweep starts inherit npm's variables: only the command the user typed is checked.
  if (process.env[NPM_CHECKED_ENV] === "1") return;
  process.env[NPM_CHECKED_ENV] = "1";
  const eaten = npmEatenFlags(program, ourArgs, process.env);
  if (!eaten) return;
  const them = eaten.flags.length === 1 ? "it" : "them";
  const fix = eaten.command
    ? `Put tcpsweep's flags after --: ${eaten.command}`
    : `tcpsweep cannot tell which values npm took with ${them}, so it cannot rebuild your command: type it again with tcpsweep's flags and their values after -- (npm run ${process.env.npm_lifecycle_event ?? "sweep"} -- SPEC --flag VALUE)`;
  fail(`tcpsweep: npm took ${eaten.flags.join(", ")} for itself and would run tcpsweep without ${them}; nothing was run. ${fix}`, 2);
}
