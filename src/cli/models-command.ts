/**
 * `ollama-grpc models`: the fleet's model catalogue as a table (ListModels):
 * one row per model with its size, parameters, quantization and the backends
 * holding it; digest mismatches flagged; unreachable backends listed on stderr.
 */
import type { ListModelsResponse } from "../../gen/ollama/v1/ollama.js";
import { formatBytes, formatTable } from "./cli-output.js";
import { READ_COMMAND_FLAGS, runFleetRead } from "./fleet-read-command.js";

export const MODELS_HELP = `Usage: ollama-grpc models [options]

Lists the models installed across the gateway's backends.

Options:
${READ_COMMAND_FLAGS}`;

/** Runs the command; resolves with the exit code. */
export function modelsCommand(argv: string[]): Promise<number> {
  return runFleetRead(argv, {
    help: MODELS_HELP,
    call: (client, options) => client.listModels({}, options),
    format: formatModelTable,
  });
}

/** Renders the catalogue as an aligned text table. */
export function formatModelTable(response: ListModelsResponse): string {
  const rows = [["NAME", "SIZE", "PARAMS", "QUANT", "BACKENDS"]];
  for (const model of response.models) {
    const backends = model.locations.map((l) => l.backend).join(",") + (model.digestMismatch ? "  (digests differ!)" : "");
    rows.push([model.name, formatBytes(model.size), model.details?.parameterSize ?? "", model.details?.quantizationLevel ?? "", backends]);
  }
  const reachable = response.backends.filter((b) => b.reachable).length;
  return `${formatTable(rows)}${response.models.length} models on ${reachable}/${response.backends.length} backends\n`;
}
