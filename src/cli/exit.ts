/** Prints one line a user can act on and ends the process with `code`. */
export function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
