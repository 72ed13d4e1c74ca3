/**
 * `ollama-grpc ps`: the models loaded in memory across the fleet
 * (ListRunningModels), one row per model and backend; backends that did not
 * answer are listed on stderr.
 */
import type { ListRunningModelsResponse } from "../../gen/ollama/v1/ollama.js";
import { formatBytes, formatTable } from "./cli-output.js";
import { READ_COMMAND_FLAGS, runFleetRead } from "./fleet-read-command.js";

export const PS_HELP = `Usage: ollama-grpc ps [options]

Lists the models loaded in memory on the gateway's backends.

Options:
${READ_COMMAND_FLAGS}`;

/** Runs the command; resolves with the exit code. */
export function psCommand(argv: string[]): Promise<number> {
  return runFleetRead(argv, {
    help: PS_HELP,
    call: (client, options) => client.listRunningModels({}, options),
    format: (response) => formatRunningTable(response, Date.now()),
  });
}

/** Renders the loaded models as a table, then a summary line; `now` is the epoch ms UNTIL is relative to. */
export function formatRunningTable(response: ListRunningModelsResponse, now: number): string {
  const rows = [["NAME", "BACKEND", "SIZE", "VRAM", "CONTEXT", "UNTIL"]];
  for (const model of response.models) {
    const context = model.contextLength > 0 ? String(model.contextLength) : "-";
    rows.push([model.name, model.backend, formatBytes(model.size), formatVram(model.size, model.sizeVram), context, formatUntil(model.expiresAt, now)]);
  }
  const reachable = response.backends.filter((b) => b.reachable).length;
  const summary = `${response.models.length} loaded on ${reachable}/${response.backends.length} backends\n`;
  return (response.models.length > 0 ? formatTable(rows) : "") + summary;
}

/** VRAM in bytes, with the GPU share when the model is partly in system memory: "1.0 GB (50%)". */
export function formatVram(size: number, sizeVram: number): string {
  if (sizeVram <= 0) return size > 0 ? "- (CPU)" : "-";
  if (size <= 0 || sizeVram >= size) return formatBytes(sizeVram);
  return `${formatBytes(sizeVram)} (${Math.round((sizeVram / size) * 100)}%)`;
}

const FOREVER_AFTER_MS = 20 * 365 * 24 * 3_600_000;

/**
 * When the model unloads if it stays idle, relative to `now`: "in 4m59s",
 * "forever" (Ollama stores a keep-alive of -1 as a date centuries away),
 * "stopping" once the time has passed, "-" when unknown.
 */
export function formatUntil(expiresAt: Date | undefined, now: number): string {
  if (expiresAt === undefined || expiresAt.getTime() <= 0) return "-";
  const left = expiresAt.getTime() - now;
  if (left > FOREVER_AFTER_MS) return "forever";
  if (left <= 0) return "stopping";
  const seconds = Math.ceil(left / 1_000);
  const h = Math.floor(seconds / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  if (h > 0) return `in ${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `in ${m}m${String(s).padStart(2, "0")}s`;
  return `in ${s}s`;
}
