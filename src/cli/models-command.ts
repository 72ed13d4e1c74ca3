/**
 * `ollama-grpc models`: the fleet's model catalogue as a table (ListModels):
 * one row per model with its size, parameters, quantization and the backends
 * holding it; digest mismatches flagged; unreachable backends listed on stderr.
 */
import { ClientError, Status } from "nice-grpc";
import type { ListModelsResponse } from "../../gen/ollama/v1/ollama.js";
import { parseDurationMs } from "../common/duration.js";
import { createGatewayClient } from "./gateway-client.js";
import { ExitCode, parseCommandArgs, UsageError } from "./usage.js";

export const MODELS_HELP = `Usage: ollama-grpc models [options]

Lists the models installed across the gateway's backends.

Options:
  --target HOST:PORT   gateway address (default 127.0.0.1:50051)
  --deadline DUR       gRPC deadline (default 10s)
  --json               print the response as JSON
  -h, --help           show this help`;

/** Runs the command; resolves with the exit code. */
export async function modelsCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    target: { type: "string", default: "127.0.0.1:50051" },
    deadline: { type: "string", default: "10s" },
    json: { type: "boolean" },
  });
  if (values.help) {
    console.log(MODELS_HELP);
    return ExitCode.OK;
  }
  const deadlineMs = parseDurationMs(values.deadline);
  if (deadlineMs === undefined) throw new UsageError(`--deadline: not a duration: "${values.deadline}"`);
  const { client, channel } = createGatewayClient(values.target);
  try {
    const response = await client.listModels({}, { deadline: new Date(Date.now() + deadlineMs) });
    process.stdout.write(values.json ? JSON.stringify(response, null, 2) + "\n" : formatModelTable(response));
    for (const backend of response.backends.filter((b) => !b.reachable)) {
      process.stderr.write(`warning: backend ${backend.backend} did not answer: ${backend.error}\n`);
    }
    return ExitCode.OK;
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    process.stderr.write(`error: ${Status[error.code]}: ${error.details}\n`);
    return ExitCode.RPC_BASE + error.code;
  } finally {
    channel.close();
  }
}

/** Renders the catalogue as an aligned text table. */
export function formatModelTable(response: ListModelsResponse): string {
  const rows = [["NAME", "SIZE", "PARAMS", "QUANT", "BACKENDS"]];
  for (const model of response.models) {
    const backends = model.locations.map((l) => l.backend).join(",") + (model.digestMismatch ? "  (digests differ!)" : "");
    rows.push([model.name, formatBytes(model.size), model.details?.parameterSize ?? "", model.details?.quantizationLevel ?? "", backends]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  "));
  const reachable = response.backends.filter((b) => b.reachable).length;
  return `${lines.join("\n")}\n${response.models.length} models on ${reachable}/${response.backends.length} backends\n`;
}

function formatBytes(bytes: number): string {
  if (bytes <= 0) return "-";
  const units = ["B", "KB", "MB", "GB", "TB"];
  const exponent = Math.min(units.length - 1, Math.floor(Math.log10(bytes) / 3));
  return `${(bytes / 1000 ** exponent).toFixed(exponent === 0 ? 0 : 1)} ${units[exponent]}`;
}
