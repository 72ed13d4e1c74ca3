/**
 * Argument parsing shared by the commands: node:util parseArgs in strict
 * mode (an unknown flag is a usage error), help text, and exit codes.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

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
