/**
 * ListModels: asks every backend for its catalogue (GET /api/tags) at once
 * and merges the answers by model name. A backend that fails, or does not
 * answer within `timeoutMs`, is reported in `backends` instead of failing
 * the call. The merge is a pure function, tested on its own.
 */
import type { BackendStatus, ListModelsResponse, Model, ModelLocation } from "../../gen/ollama/v1/ollama.js";
import { isAbortError, linkSignals } from "../common/abort.js";
import { parseRfc3339 } from "../common/rfc3339.js";
import type { OllamaTagsModel } from "../ollama/types.js";
import type { Fleet } from "./fleet.js";

/** One backend's answer: its models, or why it has none to report. */
export type CatalogueAnswer = { backend: string; models: OllamaTagsModel[] } | { backend: string; error: string };

/** Fetches every backend's catalogue; never rejects except on abort of `signal`. */
export async function fetchCatalogues(fleet: Fleet, signal: AbortSignal, timeoutMs: number): Promise<CatalogueAnswer[]> {
  return Promise.all(
    fleet.all().map(async ({ endpoint, client }): Promise<CatalogueAnswer> => {
      const linked = linkSignals(signal);
      const timer = setTimeout(() => linked.controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
      try {
        const body = await client.getJson("/api/tags", linked.signal);
        if (!Array.isArray(body.models)) return { backend: endpoint.name, error: "/api/tags answered without a models list" };
        return { backend: endpoint.name, models: body.models as OllamaTagsModel[] };
      } catch (error) {
        if (signal.aborted) throw error;
        const reason = linked.signal.aborted && isAbortError(error) ? (linked.signal.reason as Error).message : (error as Error).message;
        return { backend: endpoint.name, error: reason };
      } finally {
        clearTimeout(timer);
        linked.cleanup();
      }
    }),
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
          details: {
            parentModel: entry.details?.parent_model ?? "",
            format: entry.details?.format ?? "",
            family: entry.details?.family ?? "",
            families: entry.details?.families ?? [],
            parameterSize: entry.details?.parameter_size ?? "",
            quantizationLevel: entry.details?.quantization_level ?? "",
          },
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

