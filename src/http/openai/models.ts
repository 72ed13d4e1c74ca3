/**
 * ListModelsResponse -> GET /v1/models and GET /v1/models/{model}, as Ollama's
 * ToListCompletion / ToModel write them: `id` is the model name, `created` the
 * Unix seconds of modified_at, `owned_by` the name's namespace ("library" for
 * official models, "user" for "user/model").
 */
import type { ListModelsResponse, Model } from "../../../gen/ollama/v1/ollama.js";
import { modelKey } from "../../ollama/model-name.js";
import { openAiFailure, type OpenAiFailure } from "./errors.js";

/** A model object of the /v1/models answers. */
export interface ModelJson {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/** The namespace Ollama's model.ParseName gives a name: the segment before the model, "library" by default. */
export function modelNamespace(name: string): string {
  const withoutDigest = name.split("@")[0] ?? "";
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  // A colon before the last slash is a host's port, not a tag.
  const path = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  const segments = path.split("/");
  return segments.length >= 2 ? (segments.at(-2) ?? "library") : "library";
}

function modelJson(id: string, model: Model): ModelJson {
  const created = model.modifiedAt === undefined ? 0 : Math.floor(model.modifiedAt.getTime() / 1000);
  return { id, object: "model", created, owned_by: modelNamespace(id) };
}

/**
 * The GET /v1/models body (application/json). An empty fleet answers
 * `"data":[]`, where Ollama writes `null` (OpenAI clients expect a list).
 */
export function modelListBody(list: ListModelsResponse): string {
  return `${JSON.stringify({ object: "list", data: list.models.map((model) => modelJson(model.name, model)) })}\n`;
}

/** The result of GET /v1/models/{model}: the body, or the 404 answer. */
export type ModelLookup = { ok: true; body: string } | ({ ok: false } & OpenAiFailure);

/**
 * Finds `name` in the catalogue the way Ollama resolves names (case-insensitive,
 * no tag meaning ":latest"). The answer's `id` is the name as requested, as
 * Ollama echoes it; an unknown model is 404 `model 'NAME' not found`.
 */
export function findModel(list: ListModelsResponse, name: string): ModelLookup {
  const key = modelKey(name);
  const model = list.models.find((candidate) => modelKey(candidate.name) === key);
  if (model === undefined || name.trim() === "") return { ok: false, ...openAiFailure(404, `model '${name}' not found`) };
  return { ok: true, body: `${JSON.stringify(modelJson(name, model))}\n` };
}
