/**
 * ListModels: asks every backend for its catalogue (GET /api/tags) at once
 * and merges the answers by model name. A backend that fails, or does not
 * answer within `timeoutMs`, is reported in `backends` instead of failing
 * the call. The merge is a pure function, tested on its own.
 */
import type { BackendStatus, ListModelsResponse, Model, ModelDetails, ModelLocation } from "../../gen/ollama/v1/ollama.js";
import { parseRfc3339 } from "../common/rfc3339.js";
import type { OllamaModelDetails, OllamaTagsModel } from "../ollama/types.js";
import { UpstreamProtocolError } from "../ollama/errors.js";
import type { Backends } from "./fleet.js";
import { callEach, describeFailure } from "./fleet-call.js";

/** One backend's answer: its models, or why it has none to report. */
export type CatalogueAnswer = { backend: string; models: OllamaTagsModel[] } | { backend: string; error: string };

/** Fetches every backend's catalogue; never rejects except on abort of `signal`. */
export async function fetchCatalogues(fleet: Backends, signal: AbortSignal, timeoutMs: number): Promise<CatalogueAnswer[]> {
  const outcomes = await callEach(
    fleet.all(),
    signal,
    timeoutMs,
    async ({ client }, backendSignal, headers) => {
      const body = await client.json("GET", "/api/tags", undefined, backendSignal, headers);
      if (!Array.isArray(body.models)) throw new UpstreamProtocolError("UNEXPECTED_VALUE", "/api/tags answered without a models list");
      return body.models as OllamaTagsModel[];
    },
    { operation: "list_models" },
  );
  return outcomes.map((outcome) =>
    outcome.ok
      ? { backend: outcome.backend, models: outcome.value }
      : { backend: outcome.backend, error: describeFailure(outcome.error).message },
  );
}

/** Merges the answers: models sorted by name, each with its locations and a digest-mismatch flag. */
export function mergeCatalogues(answers: CatalogueAnswer[]): ListModelsResponse {
  const byName = new Map<string, Model>();
  const backends: BackendStatus[] = [];
  for (const answer of answers) {
    if ("error" in answer) {
      backends.push({ backend: answer.backend, reachable: false, error: answer.error });
      continue;
    }
    backends.push({ backend: answer.backend, reachable: true, error: "" });
    for (const entry of answer.models) {
      const name = entry.name ?? entry.model ?? "";
      if (name === "") continue;
      const location: ModelLocation = {
        backend: answer.backend,
        digest: entry.digest ?? "",
        size: entry.size ?? 0,
        modifiedAt: parseRfc3339(entry.modified_at),
      };
      const model = byName.get(name);
      if (model === undefined) {
        byName.set(name, {
          name,
          size: location.size,
          digest: location.digest,
          modifiedAt: location.modifiedAt,
          details: toModelDetails(entry.details),
          locations: [location],
          digestMismatch: false,
        });
      } else {
        model.locations.push(location);
        if (location.digest !== model.digest) model.digestMismatch = true;
      }
    }
  }
  const models = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { models, backends };
}


/** Ollama's `details` object -> ModelDetails (absent fields empty). */
export function toModelDetails(details: OllamaModelDetails | undefined): ModelDetails {
  return {
    parentModel: details?.parent_model ?? "",
    format: details?.format ?? "",
    family: details?.family ?? "",
    families: details?.families ?? [],
    parameterSize: details?.parameter_size ?? "",
    quantizationLevel: details?.quantization_level ?? "",
  };
}
