/** Flag parsers that fail with a message saying what was wrong and what is allowed. */
import { InvalidArgumentError } from 'commander';

export function intFlag(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)}).`);
    }
    return n;
  };
}

export function numberFlag(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max} (got ${JSON.stringify(value)}).`);
    }
    return n;
  };
}

export function sizeFlag(value: string): string {
  if (!/^\d{1,5}x\d{1,5}$/.test(value.trim()))
    throw new InvalidArgumentError(`--size must look like WIDTHxHEIGHT, for example 1024x1024 (got ${JSON.stringify(value)}).`);
  return value.trim();
}

export function aspectFlag(value: string): string {
  if (!/^\d{1,3}(\.\d+)?:\d{1,3}(\.\d+)?$/.test(value.trim()))
    throw new InvalidArgumentError(`--aspect must look like W:H, for example 16:9 (got ${JSON.stringify(value)}).`);
  return value.trim();
}

export function choiceFlag<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')} (got ${JSON.stringify(value)}).`);
    return value as T;
  };
}
