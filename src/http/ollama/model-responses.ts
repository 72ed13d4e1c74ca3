/**
 * Fleet-wide proto answers -> the bodies of Ollama's model routes:
 * GET /api/tags, GET /api/ps, POST /api/show, GET /api/version, and the
 * embedding routes. Field order and omitempty follow Ollama's api types;
 * the proto's per-backend fields (`backend`, `locations`, `backends`...)
 * are the gateway's additions and are never written.
 */
import type {
  EmbedResponse,
  GetVersionResponse,
  ListModelsResponse,
  ListRunningModelsResponse,
  RunningModel,
  ShowModelResponse,
} from "../../../gen/ollama/v1/ollama.js";
import { encodeGoJson, float32Shortest } from "../../ollama/go-json.js";
import { lowestVersion } from "./versions.js";
import { detailsObject, durationNanos, sortedKeysDeep, timestampText } from "./wire-values.js";

/**
 * GET /api/tags: `{"models":[{name, model, modified_at, size, digest, details}]}`,
 * most recently modified first (Ollama sorts by modification time in whole
 * seconds, stably). `modified_at` is written in UTC ("Z"); Ollama uses the
 * server's local offset, which no client depends on.
 */
export function tagsJson(response: ListModelsResponse): string {
  const models = [...response.models].sort((a, b) => unixSeconds(b.modifiedAt) - unixSeconds(a.modifiedAt));
  return encodeGoJson({
    models: models.map((model) => ({
      name: model.name,
      model: model.name,
      modified_at: timestampText(model.modifiedAt),
      size: model.size,
      digest: model.digest,
      details: detailsObject(model.details),
    })),
  });
}

/**
 * GET /api/ps: `{"models":[{name, model, size, digest, details, expires_at,
 * size_vram, context_length}]}`, latest expiry first (whole seconds, stable).
 * The gateway lists one entry per backend holding a model; an Ollama client
 * expects a name once, so the instance that stays loaded longest represents
 * it (its own size and VRAM, not a sum, so the CPU/GPU split stays right).
 */
export function psJson(response: ListRunningModelsResponse): string {
  const byName = new Map<string, RunningModel>();
  for (const model of response.models) {
    const kept = byName.get(model.name);
    if (kept === undefined || expiry(model) > expiry(kept)) byName.set(model.name, model);
  }
  const models = [...byName.values()].sort((a, b) => unixSeconds(b.expiresAt) - unixSeconds(a.expiresAt));
  return encodeGoJson({
    models: models.map((model) => ({
      name: model.name,
      model: model.name,
      size: model.size,
      digest: model.digest,
      details: detailsObject(model.details),
      expires_at: timestampText(model.expiresAt),
      size_vram: model.sizeVram,
      context_length: model.contextLength,
    })),
  });
}

/**
 * POST /api/show, in api.ShowResponse's order: license, modelfile,
 * parameters, template, system (each omitted when empty), details (always),
 * model_info and projector_info (omitted when empty; keys sorted, as Go
 * writes a map), capabilities (omitted when empty), modified_at (always).
 */
export function showJson(response: ShowModelResponse): string {
  const out: Record<string, unknown> = {};
  if (response.license !== "") out.license = response.license;
  if (response.modelfile !== "") out.modelfile = response.modelfile;
  if (response.parameters !== "") out.parameters = response.parameters;
  if (response.template !== "") out.template = response.template;
  if (response.system !== "") out.system = response.system;
  out.details = detailsObject(response.details);
  if (hasKeys(response.modelInfo)) out.model_info = sortedKeysDeep(response.modelInfo);
  if (hasKeys(response.projectorInfo)) out.projector_info = sortedKeysDeep(response.projectorInfo);
  if (response.capabilities.length > 0) out.capabilities = response.capabilities;
  out.modified_at = timestampText(response.modifiedAt);
  return encodeGoJson(out);
}

/**
 * GET /api/version: `{"version": ...}`. A fleet has many versions; the
 * lowest among the backends that answered is reported, because clients gate
 * features on this number and only what every backend supports is safe to
 * use. With no backend reachable it is the gateway's own version.
 */
export function versionJson(response: GetVersionResponse): string {
  const reachable = response.backends.filter((backend) => backend.reachable).map((backend) => backend.version);
  return encodeGoJson({ version: lowestVersion(reachable) ?? response.gatewayVersion });
}

/**
 * POST /api/embed: `{model, embeddings, total_duration?, load_duration?,
 * prompt_eval_count?}`. `embeddings` is always written (`[]` for a load-only
 * request); values are float32, written as Go writes float32.
 */
export function embedJson(response: EmbedResponse): string {
  const out: Record<string, unknown> = {
    model: response.model,
    embeddings: response.embeddings.map((embedding) => embedding.values.map(float32Shortest)),
  };
  const total = durationNanos(response.timings?.totalDuration);
  const load = durationNanos(response.timings?.loadDuration);
  if (total !== 0) out.total_duration = total;
  if (load !== 0) out.load_duration = load;
  if (response.promptEvalCount !== 0) out.prompt_eval_count = response.promptEvalCount;
  return encodeGoJson(out);
}

/**
 * POST /api/embeddings (legacy): `{"embedding":[...]}`, the one vector
 * (`[]` for an empty prompt). Ollama's legacy route returns the model's raw
 * vector, the gateway's Embed the L2-normalized one: same direction, so
 * cosine similarity (what the vectors are used for) is unchanged.
 */
export function embeddingsJson(response: EmbedResponse): string {
  return encodeGoJson({ embedding: response.embeddings[0]?.values ?? [] });
}

function hasKeys(map: Record<string, unknown> | undefined): map is Record<string, unknown> {
  return map !== undefined && Object.keys(map).length > 0;
}

/** Go's `Time.Unix()`; an absent time is Go's zero time (year 1). */
function unixSeconds(date: Date | undefined): number {
  return date === undefined ? GO_ZERO_UNIX_SECONDS : Math.floor(date.getTime() / 1000);
}

const GO_ZERO_UNIX_SECONDS = -62_135_596_800;

function expiry(model: RunningModel): number {
  return model.expiresAt?.getTime() ?? Number.NEGATIVE_INFINITY;
}
