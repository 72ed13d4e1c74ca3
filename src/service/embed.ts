/**
 * Embed: validate, send POST /api/embed to one backend, map the vectors.
 * Batches above `maxInputs` are rejected rather than split: splitting would
 * hide the cost from the caller and spread one request over several models'
 * worth of load.
 */
import type { EmbedRequest, EmbedResponse } from "../../gen/ollama/v1/ollama.js";
import { UpstreamProtocolError } from "../ollama/errors.js";
import { genAiRequestAttributes } from "../observability/tracing.js";
import { withAttempts, type AttemptCall, type RetrySettings } from "./attempts.js";
import type { Backends } from "./fleet.js";
import { toOllamaOptions } from "./options-mapping.js";
import { toOllamaKeepAlive } from "./request-mapping.js";
import { nanosToDuration } from "./response-mapping.js";
import { invalidArgument } from "./status.js";
import { checkDuration, checkModel, checkOptions, type FieldViolation } from "./validate-request.js";

/** Validates an EmbedRequest. */
export function validateEmbedRequest(request: EmbedRequest, maxInputs: number): FieldViolation[] {
  const violations: FieldViolation[] = [];
  checkModel(request.model, violations);
  if (request.input.length > maxInputs) {
    violations.push({ field: "input", description: `${request.input.length} inputs; at most ${maxInputs} per request (send several requests)` });
  }
  if (request.dimensions !== undefined && request.dimensions <= 0) violations.push({ field: "dimensions", description: "must be positive" });
  if (request.keepAlive !== undefined) checkDuration(request.keepAlive, "keep_alive", violations);
  checkOptions(request.options, violations);
  return violations;
}

/** EmbedRequest -> body of POST /api/embed. */
export function toOllamaEmbedRequest(request: EmbedRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, input: request.input };
  if (request.truncate !== undefined) body.truncate = request.truncate;
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.keepAlive !== undefined) body.keep_alive = toOllamaKeepAlive(request.keepAlive);
  const options = toOllamaOptions(request.options);
  if (options !== undefined) body.options = options;
  return body;
}

/** Runs one Embed call (retried on another backend like a stream before its first message). */
export async function embed(fleet: Backends, retry: RetrySettings, request: EmbedRequest, call: AttemptCall, maxInputs: number): Promise<EmbedResponse> {
  call.record.model = request.model;
  const violations = validateEmbedRequest(request, maxInputs);
  if (violations.length > 0) throw invalidArgument(violations);
  const body = toOllamaEmbedRequest(request);
  const tracing = { operation: "embeddings" as const, path: "/api/embed", attributes: genAiRequestAttributes(body, false) };
  // The loop runs to the end (no early return): withAttempts then sees the attempt complete and
  // reports it as a success (outlier detection, learned load times, the model marked resident).
  let result: EmbedResponse | undefined;
  for await (const response of withAttempts(fleet, retry, call, tracing, async function* attempt({ lease, client }, signal, span) {
    const answer = await client.json("POST", "/api/embed", body, signal, span.headers);
    if (!Array.isArray(answer.embeddings)) throw new UpstreamProtocolError("UNEXPECTED_VALUE", "/api/embed answered without embeddings");
    call.record.promptTokens = Number(answer.prompt_eval_count ?? 0);
    span.response({ model: typeof answer.model === "string" ? answer.model : undefined, inputTokens: call.record.promptTokens });
    yield toEmbedResponse(answer, request.model, lease.endpoint.name);
    const loadNs = answer.load_duration as number | undefined;
    return { model: call.modelKey, ...(loadNs !== undefined && { loadMs: loadNs / 1e6 }) };
  })) {
    result = response;
  }
  if (result === undefined) throw new Error("embed: no response"); // unreachable: withAttempts either yields once or throws
  return result;
}

function toEmbedResponse(answer: Record<string, unknown>, model: string, backend: string): EmbedResponse {
  return {
    model: typeof answer.model === "string" ? answer.model : model,
    embeddings: (answer.embeddings as unknown[]).map((vector) => ({ values: Array.isArray(vector) ? (vector as number[]) : [] })),
    promptEvalCount: Number(answer.prompt_eval_count ?? 0),
    timings: {
      totalDuration: nanosToDuration(answer.total_duration as number | undefined),
      loadDuration: nanosToDuration(answer.load_duration as number | undefined),
      promptEvalDuration: undefined,
      evalDuration: undefined,
    },
    backend,
  };
}
