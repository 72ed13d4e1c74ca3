/**
 * DeleteModel, CopyModel and UnloadModel: one Ollama call per target backend,
 * all at once, one BackendResult each. The call fails only when every backend
 * failed (see failIfNoneSucceeded); otherwise the results say where it worked.
 */
import type {
  CopyModelRequest,
  CopyModelResponse,
  DeleteModelRequest,
  DeleteModelResponse,
  UnloadModelRequest,
  UnloadModelResponse,
} from "../../gen/ollama/v1/ollama.js";
import { UpstreamError } from "../ollama/errors.js";
import type { ExtraHeaders, OllamaClient } from "../ollama/client.js";
import type { OllamaKeepAlive } from "../ollama/types.js";
import { resolveTargets } from "./backend-targets.js";
import type { CallRecord } from "./call-record.js";
import { callEach, failIfNoneSucceeded, toBackendResult } from "./fleet-call.js";
import type { Backends } from "./fleet.js";
import { invalidArgument } from "./status.js";
import { checkModel, type FieldViolation } from "./validate-request.js";

/** Shared dependencies of the admin calls. */
export interface AdminContext {
  fleet: Backends;
  signal: AbortSignal;
  record: CallRecord;
  /** Per-backend limit on each call. */
  timeoutMs: number;
}

/** DELETE /api/delete on each target. */
export async function deleteModel(ctx: AdminContext, request: DeleteModelRequest): Promise<DeleteModelResponse> {
  const targets = prepare(ctx, request.model, request.backends);
  const outcomes = await callEach(
    targets,
    ctx.signal,
    ctx.timeoutMs,
    ({ client }, signal, headers) => client.json("DELETE", "/api/delete", { model: request.model }, signal, headers),
    { operation: "delete_model", model: request.model },
  );
  const results = outcomes.map((outcome) => toBackendResult(outcome));
  failIfNoneSucceeded("DeleteModel", request.model, results);
  return { results };
}

/** POST /api/copy on each target. */
export async function copyModel(ctx: AdminContext, request: CopyModelRequest): Promise<CopyModelResponse> {
  const violations: FieldViolation[] = [];
  checkModel(request.destination, violations);
  const targets = prepare(ctx, request.source, request.backends, violations, "source");
  const outcomes = await callEach(
    targets,
    ctx.signal,
    ctx.timeoutMs,
    ({ client }, signal, headers) => client.json("POST", "/api/copy", { source: request.source, destination: request.destination }, signal, headers),
    { operation: "copy_model", model: request.source },
  );
  const results = outcomes.map((outcome) => toBackendResult(outcome));
  failIfNoneSucceeded("CopyModel", request.source, results);
  return { results };
}

/** Unloads on each target: an empty request with keep_alive 0. */
export async function unloadModel(ctx: AdminContext, request: UnloadModelRequest): Promise<UnloadModelResponse> {
  const targets = prepare(ctx, request.model, request.backends);
  const outcomes = await callEach(
    targets,
    ctx.signal,
    ctx.timeoutMs,
    ({ client }, signal, headers) => emptyRequest(client, request.model, 0, signal, headers),
    { operation: "unload_model", model: request.model },
  );
  const results = outcomes.map((outcome) => toBackendResult(outcome));
  failIfNoneSucceeded("UnloadModel", request.model, results);
  return { results };
}

/**
 * Ollama's load/unload shortcut: a request with nothing to do, carrying only
 * keep_alive (absent = Ollama's default, 0 = unload). Completion models take
 * it on /api/generate; embedding-only models refuse generate, so for them it
 * goes to /api/embed with an empty input, which Ollama treats the same way.
 */
export async function emptyRequest(
  client: OllamaClient,
  model: string,
  keepAlive: OllamaKeepAlive | undefined,
  signal: AbortSignal,
  headers?: ExtraHeaders,
): Promise<void> {
  const keep = keepAlive === undefined ? {} : { keep_alive: keepAlive };
  try {
    await client.json("POST", "/api/generate", { model, prompt: "", stream: false, ...keep }, signal, headers);
  } catch (error) {
    if (!(error instanceof UpstreamError && error.kind === "capability_missing")) throw error;
    await client.json("POST", "/api/embed", { model, input: [], ...keep }, signal, headers);
  }
}

/** Validates the model and target names (throwing INVALID_ARGUMENT) and returns the targets. */
function prepare(ctx: AdminContext, model: string, names: readonly string[], violations: FieldViolation[] = [], field = "model") {
  ctx.record.model = model;
  const before = violations.length;
  checkModel(model, violations);
  for (const violation of violations.slice(before)) violation.field = field;
  const targets = resolveTargets(ctx.fleet, names, violations);
  if (violations.length > 0) throw invalidArgument(violations);
  return targets;
}
