/**
 * Output shared by the CLI commands: aligned tables, byte sizes, help text,
 * and how a failed RPC is shown (status, details, rich details; exit 64 + code).
 */
import { ClientError, Status } from "nice-grpc";
import { RichClientError } from "nice-grpc-error-details";
import { ExitCode } from "./usage.js";

/** Aligned columns separated by two spaces; the last column is not padded. Ends with a newline. */
export function formatTable(rows: ReadonlyArray<readonly string[]>): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  const lines = rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ").trimEnd());
  return lines.join("\n") + "\n";
}

/** Decimal byte sizes, as Ollama prints them: 2019393189 -> "2.0 GB"; "-" for 0. */
export function formatBytes(bytes: number): string {
  if (bytes <= 0) return "-";
  const units = ["B", "KB", "MB", "GB", "TB"];
  const exponent = Math.min(units.length - 1, Math.floor(Math.log10(bytes) / 3));
  return `${(bytes / 1000 ** exponent).toFixed(exponent === 0 ? 0 : 1)} ${units[exponent]}`;
}

/** Prints a failed RPC (status, details, rich error details) and returns 64 + its code; rethrows anything else. */
export function reportRpcError(error: unknown): number {
  if (!(error instanceof ClientError)) throw error;
  process.stderr.write(`error: ${Status[error.code]}: ${error.details}\n`);
  if (error instanceof RichClientError) {
    for (const detail of error.extra) process.stderr.write(`  ${JSON.stringify(detail)}\n`);
  }
  return ExitCode.RPC_BASE + error.code;
}

/** Prints a help text; returns exit code 0. */
export function printHelp(text: string): number {
  console.log(text);
  return ExitCode.OK;
}
