/**
 * `ollama-grpc hash-key`: prints the SHA-256 of an API key for the config
 * (`auth.api_keys[].sha256`), which holds only hashes. The key is read from
 * stdin so it never lands in shell history or the process list.
 */
import { hashApiKey } from "../auth/api-keys.js";
import { printHelp } from "./cli-output.js";
import { ExitCode, parseCommandArgs, UsageError } from "./usage.js";

export const HASH_KEY_HELP = `Usage: printf %s "$KEY" | ollama-grpc hash-key

Prints the SHA-256 (hex) of the API key read from stdin, for auth.api_keys[].sha256.
A trailing newline is removed. Generate a key with e.g.: openssl rand -hex 24`;

/** Runs the command; resolves with the exit code. */
export async function hashKeyCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) return printHelp(HASH_KEY_HELP);
  if (process.stdin.isTTY) throw new UsageError("pipe the key on stdin (it must not appear on the command line)");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const key = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (key === "") throw new UsageError("stdin was empty");
  console.log(hashApiKey(key));
  return ExitCode.OK;
}
