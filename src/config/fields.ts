/**
 * Field checks shared by the configuration sections that report problems
 * through a callback (auth, quotas). Each check records a problem naming the
 * field path (`quotas.per_principal.burst: expected ...`) and returns a
 * placeholder on failure, so validation goes on and reports every problem at
 * once. Checks of fields that may hold a credential never echo the value.
 */
import { parseDurationMs } from "../common/duration.js";

/** A YAML mapping as parsed. */
export type Raw = Record<string, unknown>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Field checks: each records a problem naming `path` and returns a placeholder on failure. */
export class Fields {
  readonly #problem: (text: string) => void;
  readonly #reported = new Set<string>();

  constructor(problem: (text: string) => void) {
    this.#problem = problem;
  }

  problem(text: string): void {
    this.#reported.add(text.slice(0, text.indexOf(":")));
    this.#problem(text);
  }

  /** True when no problem was reported under any of `paths`. */
  clean(...paths: string[]): boolean {
    return ![...this.#reported].some((reported) => paths.some((path) => reported === path || reported.startsWith(`${path}.`) || reported.startsWith(`${path}[`)));
  }

  keys(value: Raw, prefix: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.problem(`${prefix}${key}: unknown setting (expected one of ${allowed.join(", ")})`);
    }
  }

  mapping(value: unknown, path: string): Raw {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Raw;
    this.problem(`${path}: expected a mapping, got ${kind(value)}`);
    return {};
  }

  list<T>(value: unknown, path: string, item: (value: unknown, path: string, index: number) => T): T[] {
    if (!Array.isArray(value)) {
      this.problem(`${path}: expected a list, got ${kind(value)}`);
      return [];
    }
    return value.map((entry: unknown, i) => item(entry, `${path}[${i}]`, i));
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.problem(`${path}: expected true or false, got ${show(value)}`);
    return false;
  }

  text(value: unknown, path: string): string {
    if (typeof value === "string" && value.trim() !== "") return value;
    this.problem(`${path}: expected a non-empty string, got ${show(value)}`);
    return "";
  }

  /** A non-empty string without whitespace (names, tenants, scopes, globs, claim names). */
  word(value: unknown, path: string): string {
    if (typeof value === "string" && value !== "" && !/\s/.test(value)) return value;
    this.problem(`${path}: expected a non-empty string without whitespace, got ${show(value)}`);
    return "";
  }

  /** One of `choices`. */
  choice<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
    if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
    this.problem(`${path}: expected one of ${choices.join(", ")}, got ${show(value)}`);
    return choices[0] as T;
  }

  /** A string or a non-empty list of strings. */
  oneOrMore(value: unknown, path: string, what: string): string[] {
    if (typeof value === "string" && value !== "") return [value];
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v !== "")) return value as string[];
    this.problem(`${path}: expected ${what}, a string or a list of strings, got ${show(value)}`);
    return [];
  }

  /** An integer in [min, max]. */
  int(value: unknown, path: string, min: number, max: number): number {
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    this.problem(`${path}: expected an integer between ${min} and ${max}, got ${show(value)}`);
    return min;
  }

  /** Never echoes the value: the secret itself pasted here by mistake must not reach the logs. */
  envName(value: unknown, path: string): string {
    if (typeof value === "string" && ENV_NAME.test(value)) return value;
    this.problem(`${path}: expected the name of an environment variable (letters, digits and _), not the secret itself`);
    return "";
  }

  duration(value: unknown, path: string): number {
    const ms = typeof value === "string" ? parseDurationMs(value) : value === 0 ? 0 : undefined;
    if (ms !== undefined && ms >= 0) return ms;
    this.problem(`${path}: expected a duration such as 500ms, 30s, 5m or 0, got ${show(value)}`);
    return 0;
  }

  positive(ms: number, path: string): number {
    if (ms > 0) return ms;
    if (this.clean(path)) this.problem(`${path}: must be greater than 0`);
    return 1;
  }
}

/** The type of a value, for fields where a credential may have been pasted by mistake. */
export function kind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "a list" : typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

/** A value as JSON, for messages about fields that cannot hold a credential. */
export function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}
