/**
 * Field readers for policy configs. Each policy owns its parser (grpc-js
 * `createFromJson`); these helpers only keep the error wording uniform:
 * `<policy>.<field>: expected ..., got <value>`, as in config/schema.ts.
 * They throw on the first problem, as `PolicyFactory.parseConfig` requires.
 *
 * Numbers may also be given as numeric strings, like the rest of the config
 * (values can come from environment overrides).
 */

type Raw = Record<string, unknown>;

/** Throws when `raw` has a field outside `allowed` (a typo must not be silently ignored). */
export function rejectUnknownFields(policy: string, raw: Raw, allowed: readonly string[]): void {
  for (const field of Object.keys(raw)) {
    if (!allowed.includes(field)) {
      const known = allowed.length === 0 ? "no fields" : `one of ${allowed.join(", ")}`;
      throw new Error(`${policy}.${field}: unknown field, expected ${known}`);
    }
  }
}

/** An integer in [min, max]; `fallback` when absent. */
export function readInt(policy: string, raw: Raw, field: string, fallback: number, min: number, max: number): number {
  const value = raw[field];
  if (value === undefined) return fallback;
  const number = toNumber(value);
  if (Number.isInteger(number) && number >= min && number <= max) return number;
  throw new Error(`${policy}.${field}: expected an integer between ${min} and ${max}, got ${show(value)}`);
}

/** A finite number in [min, max] (no upper bound by default); `fallback` when absent. */
export function readNumber(policy: string, raw: Raw, field: string, fallback: number, min: number, max = Number.POSITIVE_INFINITY): number {
  const value = raw[field];
  if (value === undefined) return fallback;
  const number = toNumber(value);
  if (Number.isFinite(number) && number >= min && number <= max) return number;
  const range = max === Number.POSITIVE_INFINITY ? `a finite number >= ${min}` : `a number between ${min} and ${max}`;
  throw new Error(`${policy}.${field}: expected ${range}, got ${show(value)}`);
}

/** One of `allowed` (the first is the default). */
export function readOneOf<T extends string>(policy: string, raw: Raw, field: string, allowed: readonly [T, ...T[]]): T {
  const value = raw[field];
  if (value === undefined) return allowed[0];
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`${policy}.${field}: expected one of ${allowed.join(", ")}, got ${show(value)}`);
}

function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") return Number(value);
  return Number.NaN;
}

function show(value: unknown): string {
  // JSON would print Infinity and NaN as null.
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
