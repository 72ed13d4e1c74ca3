/**
 * ListRunningModels: GET /api/ps on every backend at once, merged into one
 * list labelled by backend. A backend that fails is reported, not fatal.
 */
import type { BackendStatus, ListRunningModelsResponse, RunningModel } from "../../gen/ollama/v1/ollama.js";
import { parseRfc3339 } from "../common/rfc3339.js";
import { UpstreamProtocolError } from "../ollama/errors.js";
import type { OllamaModelDetails } from "../ollama/types.js";
import { callEach, describeFailure } from "./fleet-call.js";
import type { Backends } from "./fleet.js";
import { toModelDetails } from "./model-catalogue.js";

/** One entry of GET /api/ps. */
interface OllamaProcessModel {
  name?: string;
  model?: string;
  size?: number;
  size_vram?: number;
  context_length?: number;
  expires_at?: string;
  digest?: string;
  details?: OllamaModelDetails;
}

/** Runs one ListRunningModels call. */
export async function listRunningModels(fleet: Backends, signal: AbortSignal, timeoutMs: number): Promise<ListRunningModelsResponse> {
  const outcomes = await callEach(
    fleet.all(),
    signal,
    timeoutMs,
    async ({ client }, backendSignal, headers) => {
      const body = await client.json("GET", "/api/ps", undefined, backendSignal, headers);
      if (!Array.isArray(body.models)) throw new UpstreamProtocolError("UNEXPECTED_VALUE", "/api/ps answered without a models list");
      return body.models as OllamaProcessModel[];
    },
    { operation: "list_running_models" },
  );
  const models: RunningModel[] = [];
  const backends: BackendStatus[] = [];
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      backends.push({ backend: outcome.backend, reachable: false, error: describeFailure(outcome.error).message });
      continue;
    }
    backends.push({ backend: outcome.backend, reachable: true, error: "" });
    for (const entry of outcome.value) {
      models.push({
        name: entry.name ?? entry.model ?? "",
        backend: outcome.backend,
        size: entry.size ?? 0,
        sizeVram: entry.size_vram ?? 0,
        contextLength: entry.context_length ?? 0,
        expiresAt: parseRfc3339(entry.expires_at),
        digest: entry.digest ?? "",
        details: toModelDetails(entry.details),
      });
    }
  }
  models.sort((a, b) => (a.name === b.name ? compare(a.backend, b.backend) : compare(a.name, b.name)));
  return { models, backends };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
