/**
 * PullModel: POST /api/pull on every target at once; each backend's progress
 * lines are relayed as they arrive, labelled with the backend. A backend whose
 * pull fails ends its part with one message carrying `error`, and the others
 * go on. The RPC fails only when every pull failed. Cancelling the RPC aborts
 * every pull (the signal reaches each HTTP request).
 */
import type { Metadata } from "nice-grpc";
import type { BackendResult, PullModelRequest, PullModelResponse } from "../../gen/ollama/v1/ollama.js";
import { mergeAsync } from "../common/merge-async.js";
import { isSuccessLine } from "../ollama/stream-reader.js";
import { startBackendCallSpan } from "../observability/tracing.js";
import { abortCause } from "./abort-reasons.js";
import { endFailedSpan } from "./attempts.js";
import { resolveTargets } from "./backend-targets.js";
import type { CallRecord } from "./call-record.js";
import { describeFailure, failIfNoneSucceeded } from "./fleet-call.js";
import type { Backends, PickedBackend } from "./fleet.js";
import { invalidArgument } from "./status.js";
import { checkModel, type FieldViolation } from "./validate-request.js";

/** Trailer keys listing the outcome per backend. */
export const PULL_TRAILERS = { succeeded: "ollama-pull-succeeded", failed: "ollama-pull-failed" } as const;

/** Runs one PullModel call. */
export async function* pullModel(
  fleet: Backends,
  request: PullModelRequest,
  call: { signal: AbortSignal; record: CallRecord; trailer: Metadata },
): AsyncGenerator<PullModelResponse, void, undefined> {
  call.record.model = request.model;
  const violations: FieldViolation[] = [];
  checkModel(request.model, violations);
  const targets = resolveTargets(fleet, request.backends, violations);
  if (violations.length > 0) throw invalidArgument(violations);
  // One slot per target, filled as each pull ends, so results (and trailers) follow target order.
  const results: BackendResult[] = new Array(targets.length);
  for await (const message of mergeAsync(targets.map((target, i) => pullOn(target, request, call.signal, results, i)))) {
    if (call.record.chunksOut === 0) call.record.firstChunkAt = performance.now();
    call.record.chunksOut += 1;
    yield message;
  }
  call.trailer.set(PULL_TRAILERS.succeeded, results.filter((r) => r.ok).map((r) => r.backend).join(","));
  call.trailer.set(PULL_TRAILERS.failed, results.filter((r) => !r.ok).map((r) => r.backend).join(","));
  failIfNoneSucceeded("PullModel", request.model, results);
}

/** One backend's pull: its progress messages, ending with success or an error message; records the result. */
async function* pullOn(
  target: PickedBackend,
  request: PullModelRequest,
  signal: AbortSignal,
  results: BackendResult[],
  slot: number,
): AsyncGenerator<PullModelResponse, void, undefined> {
  const backend = target.endpoint.name;
  const body = { model: request.model, stream: true, ...(request.insecure && { insecure: true }) };
  const span = startBackendCallSpan("pull_model", backend, target.endpoint.url, request.model);
  try {
    const { batches } = await target.client.stream("/api/pull", body, signal, isSuccessLine, span.headers);
    for await (const lines of batches) {
      for (const line of lines) {
        yield {
          backend,
          status: typeof line.status === "string" ? line.status : "",
          digest: typeof line.digest === "string" ? line.digest : "",
          total: typeof line.total === "number" ? line.total : 0,
          completed: typeof line.completed === "number" ? line.completed : 0,
          done: isSuccessLine(line),
          error: "",
        };
      }
    }
    results[slot] = { backend, ok: true, error: "", code: 0, duration: undefined };
    span.succeed();
  } catch (error) {
    endFailedSpan(span, error, signal, Number.POSITIVE_INFINITY);
    if (signal.aborted) throw error;
    const { message, code } = describeFailure(error);
    results[slot] = { backend, ok: false, error: message, code, duration: undefined };
    yield { backend, status: "error", digest: "", total: 0, completed: 0, done: false, error: message };
  } finally {
    span.abort(abortCause(signal, Number.POSITIVE_INFINITY)); // closed early by return(): the caller went away (no-op once ended)
  }
}
