import { InvalidArgumentError } from "commander";

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

export function seconds(options: { allowZero: boolean }): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number) || number < 0 || (!options.allowZero && number === 0)) {
      throw new InvalidArgumentError(`expected ${options.allowZero ? "0 or more" : "more than 0"} seconds, got "${value}"`);
    }
    return number;
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
