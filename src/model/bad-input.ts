/**
 * Input a command cannot use, that the user can fix: a missing or foreign CSV, an unknown run,
 * a bad flag value, no cell in common. Thrown anywhere below the command line (rundir/, compare/,
 * report/, calibrate/), caught by cli/bad-input.ts, which prints it (and with --json one JSON
 * object) and exits 2. The message says what was wrong, where, and what to do.
 */
export class BadInputError extends Error {
  override name = "BadInputError";
}
