/**
 * ShowModel: POST /api/show on a backend that holds the model. Backends are
 * asked one after another in configuration order (a 404 is cheap), so only
 * one full answer travels. NOT_FOUND only when every backend said 404; when
 * some could not be asked, UNAVAILABLE (the model may be on one of them).
 */
import { Status } from "nice-grpc";
import { ErrorInfo, RichServerError } from "nice-grpc-error-details";
import type { ShowModelRequest, ShowModelResponse } from "../../gen/ollama/v1/ollama.js";
import { parseRfc3339 } from "../common/rfc3339.js";
import type { OllamaModelDetails } from "../ollama/types.js";
import { resolveTargets } from "./backend-targets.js";
import type { CallRecord } from "./call-record.js";
import { callEach, describeFailure } from "./fleet-call.js";
import type { Backends } from "./fleet.js";
import { toModelDetails } from "./model-catalogue.js";
import { ERROR_DOMAIN, invalidArgument, Reason } from "./status.js";
import { checkModel, type FieldViolation } from "./validate-request.js";

/** Runs one ShowModel call. */
export async function showModel(
  fleet: Backends,
  request: ShowModelRequest,
  signal: AbortSignal,
  record: CallRecord,
  timeoutMs: number,
): Promise<ShowModelResponse> {
  record.model = request.model;
  const violations: FieldViolation[] = [];
  checkModel(request.model, violations);
  const targets = resolveTargets(fleet, request.backend === "" ? [] : [request.backend], violations, "backend");
  if (violations.length > 0) throw invalidArgument(violations);
  const failures: string[] = [];
  let allNotFound = true;
  for (const target of targets) {
    const body = { model: request.model, ...(request.verbose && { verbose: true }) };
    const [outcome] = await callEach(
      [target],
      signal,
      timeoutMs,
      ({ client }, backendSignal, headers) => client.json("POST", "/api/show", body, backendSignal, headers),
      { operation: "show_model", model: request.model },
    );
    if (outcome!.ok) {
      record.backend = outcome!.backend;
      return toShowModelResponse(outcome!.value, outcome!.backend);
    }
    const { message, code } = describeFailure(outcome!.error);
    failures.push(`${outcome!.backend}: ${message}`);
    if (code !== Status.NOT_FOUND) allNotFound = false;
  }
  const code = allNotFound ? Status.NOT_FOUND : Status.UNAVAILABLE;
  record.errorReason = allNotFound ? Reason.MODEL_NOT_FOUND : "ALL_BACKENDS_FAILED";
  throw new RichServerError(code, allNotFound ? `model '${request.model}' not found on any backend` : `no backend could show model '${request.model}': ${failures.join("; ")}`, [
    ErrorInfo.fromPartial({ reason: record.errorReason, domain: ERROR_DOMAIN, metadata: { model: request.model, backends: targets.map((t) => t.endpoint.name).join(",") } }),
  ]);
}

/** Ollama's /api/show answer -> ShowModelResponse. */
export function toShowModelResponse(answer: Record<string, unknown>, backend: string): ShowModelResponse {
  const text = (key: string): string => (typeof answer[key] === "string" ? (answer[key] as string) : "");
  const object = (key: string): Record<string, unknown> | undefined =>
    typeof answer[key] === "object" && answer[key] !== null && !Array.isArray(answer[key]) ? (answer[key] as Record<string, unknown>) : undefined;
  return {
    license: Array.isArray(answer.license) ? (answer.license as string[]).join("\n") : text("license"),
    modelfile: text("modelfile"),
    parameters: text("parameters"),
    template: text("template"),
    system: text("system"),
    details: toModelDetails(object("details") as OllamaModelDetails | undefined),
    modelInfo: object("model_info"),
    capabilities: Array.isArray(answer.capabilities) ? (answer.capabilities as unknown[]).filter((c): c is string => typeof c === "string") : [],
    modifiedAt: parseRfc3339(text("modified_at") || undefined),
    projectorInfo: object("projector_info"),
    backend,
  };
}
