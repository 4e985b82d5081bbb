import { InvalidArgumentError } from "commander";
import { checkDuration } from "../sweep/spec/duration.js";

/** Commander argument parsers that reject bad values with a message naming the allowed range. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return number;
  };
}

/** Seconds from a duration (`10`, `2s`, `500ms`, `1m30s`), parsed as the spec parses one (src/sweep/spec/duration.ts). */
export function duration(options: { allowZero: boolean }): (value: string) => number {
  return (value) => {
    const checked = checkDuration(value, !options.allowZero);
    if (typeof checked !== "number") throw new InvalidArgumentError(checked.message);
    return checked;
  };
}

export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, got "${value}"`);
    }
    return value as T;
  };
}

export function positiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number <= 0) {
    throw new InvalidArgumentError(`expected a number above 0, got "${value}"`);
  }
  return number;
}
