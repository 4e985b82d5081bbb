/**
 * Exit statuses every tcpsweep command shares: 0 ok, 1 some runs (or cells) not ok, 2 bad input or a
 * failed precondition, 3 an error tcpsweep did not foresee (a full disk, a read-only directory, a bug).
 */
import { BadInputError } from "../model/bad-input.js";
import { stripControl } from "../untrusted/terminal.js";

export const EXIT_UNEXPECTED = 3;

/** Prints one line a user can act on and ends the process with `code`. */
export function fail(message: string, code: number): never {
  process.stderr.write(`${stripControl(message)}\n`); // messages quote file names and values: no escapes reach the terminal
  process.exit(code);
}

/**
 * Bad input (a BadInputError from anywhere below the command line): one line on stderr, with --json
 * also `{error, exit_status: 2}` on stdout, exit 2. Anything else is left to the caller (rethrow it).
 */
export function failOnBadInput(command: string, error: unknown, json: boolean | undefined): void {
  if (!(error instanceof BadInputError)) return;
  if (json) process.stdout.write(`${JSON.stringify({ error: error.message, exit_status: 2 })}\n`);
  fail(`tcpsweep ${command}: ${error.message}`, 2);
}

/**
 * An unforeseen error: one line saying what and where, the stack only with --debug, exit 3.
 * Node's own errors name the file (`EROFS: read-only file system, open '/x/y.log'`); ours say it.
 */
export function failUnexpected(error: unknown, debug: boolean): never {
  const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message.split("\n")[0]})` : "";
  const stack = error instanceof Error ? error.stack : undefined;
  process.stderr.write(
    `tcpsweep: unexpected error: ${stripControl(`${detail}${cause}`)}${debug ? "" : " (run again with --debug for the stack)"}\n`,
  );
  if (debug && stack) process.stderr.write(`${stack}\n`);
  process.exit(EXIT_UNEXPECTED);
}
