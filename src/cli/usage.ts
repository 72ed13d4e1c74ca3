/**
 * Argument parsing shared by the commands: node:util parseArgs in strict
 * mode (an unknown flag is a usage error), help text, and exit codes.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Duration } from "../../gen/google/protobuf/duration.js";
import { parseDurationMs } from "../common/duration.js";

/** Exit codes (documented in the README). RPC failures exit with 64 + the gRPC status code, as grpcurl does. */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  CONFIG: 3,
  RPC_BASE: 64,
  INTERRUPTED: 130,
} as const;

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` for a command; `--help` is always accepted. Throws UsageError. */
export function parseCommandArgs<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses a non-negative integer flag. */
export function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`--${name}: expected a non-negative integer, got "${value}"`);
  return number;
}

/** Parses a --deadline value (undefined stays undefined: no deadline). @throws UsageError. */
export function deadlineFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--deadline: not a positive duration: "${text}"`);
  return ms;
}

/**
 * The call option for a deadline `ms` from now. nice-grpc's `deadline` must be
 * an absolute Date here: a number would be read as a relative offset.
 */
export function deadlineOption(ms: number | undefined): { deadline?: Date } {
  return ms === undefined ? {} : { deadline: new Date(Date.now() + ms) };
}

/** Checks that exactly the named positional arguments were given; returns them. @throws UsageError. */
export function expectPositionals<const Names extends readonly string[]>(positionals: readonly string[], names: Names): { [K in keyof Names]: string } {
  if (positionals.length < names.length) throw new UsageError(`missing ${names.slice(positionals.length).join(" ")}`);
  if (positionals.length > names.length) throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  return [...positionals] as { [K in keyof Names]: string };
}

/** Parses --keep-alive: a duration, or -1 / "forever" (any negative duration keeps the model loaded). */
export function keepAliveFlag(text: string): Duration {
  const ms = text === "forever" || text === "-1" ? -1_000 : parseDurationMs(text);
  if (ms === undefined) throw new UsageError(`--keep-alive: not a duration: "${text}"`);
  // Both fields carry the sign, as google.protobuf.Duration requires.
  return { seconds: Math.trunc(ms / 1_000) + 0, nanos: Math.round((ms % 1_000) * 1e6) + 0 }; // + 0 turns -0 into 0
}
