/**
 * Fleet-wide calls: the same operation on several backends at once, each
 * bounded by its own timeout, with one outcome per backend. One backend's
 * failure never fails the others; only an abort of the call's own signal
 * (caller cancel, deadline) rejects.
 */
import { Status } from "nice-grpc";
import { RichServerError, ErrorInfo } from "nice-grpc-error-details";
import type { BackendResult } from "../../gen/ollama/v1/ollama.js";
import { linkSignals } from "../common/abort.js";
import type { ExtraHeaders } from "../ollama/client.js";
import { UpstreamError, UpstreamTimeoutError } from "../ollama/errors.js";
import { NOOP_SPAN, startBackendCallSpan } from "../observability/tracing.js";
import { endFailedSpan } from "./attempts.js";
import type { PickedBackend } from "./fleet.js";
import { classifyUpstream, ERROR_DOMAIN, upstreamText } from "./status.js";

/** One backend's outcome. */
export type BackendOutcome<T> = { backend: string; ok: true; value: T } | { backend: string; ok: false; error: unknown };

/** What the per-backend spans of a fleet-wide call are named after (span `ollama {operation}`). */
export interface FleetCallTracing {
  /** e.g. "list_models", "delete_model". */
  operation: string;
  /** The model the call is about, if any. */
  model?: string;
}

/**
 * Runs `operation` on every target concurrently. `timeoutMs` (0 = none)
 * bounds each backend; a backend that exceeds it fails with an
 * UpstreamTimeoutError. Resolves with the outcomes in target order.
 * With `tracing`, each backend's share is a CLIENT span whose context
 * `operation` sends along in `headers`.
 */
export async function callEach<T>(
  targets: readonly PickedBackend[],
  signal: AbortSignal,
  timeoutMs: number,
  operation: (target: PickedBackend, signal: AbortSignal, headers: ExtraHeaders | undefined) => Promise<T>,
  tracing?: FleetCallTracing,
): Promise<Array<BackendOutcome<T>>> {
  return Promise.all(
    targets.map(async (target): Promise<BackendOutcome<T>> => {
      const backend = target.endpoint.name;
      const span = tracing === undefined ? NOOP_SPAN : startBackendCallSpan(tracing.operation, backend, target.endpoint.url, tracing.model);
      const linked = linkSignals(signal);
      let timedOut = false;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              timedOut = true;
              linked.controller.abort();
            }, timeoutMs)
          : undefined;
      try {
        const value = await operation(target, linked.signal, span.headers);
        span.succeed();
        return { backend, ok: true, value };
      } catch (error) {
        if (signal.aborted) {
          endFailedSpan(span, error, signal, Number.POSITIVE_INFINITY);
          throw error;
        }
        const failure = timedOut ? new UpstreamTimeoutError("headers", `no answer within ${timeoutMs} ms`) : error;
        endFailedSpan(span, failure, signal, Number.POSITIVE_INFINITY);
        return { backend, ok: false, error: failure };
      } finally {
        clearTimeout(timer);
        linked.cleanup();
      }
    }),
  );
}

/** How a failure on one backend is reported: its message and the status code it alone would produce. */
export function describeFailure(error: unknown): { message: string; code: Status } {
  if (error instanceof UpstreamError) return { message: upstreamText(error), code: classifyUpstream(error).code };
  return { message: "internal gateway error", code: Status.INTERNAL };
}

/** An outcome as a BackendResult (duration: how long it took, when the caller measured it). */
export function toBackendResult(outcome: BackendOutcome<unknown>, durationMs?: number): BackendResult {
  if (outcome.ok) {
    return {
      backend: outcome.backend,
      ok: true,
      error: "",
      code: Status.OK,
      duration: durationMs === undefined ? undefined : { seconds: Math.floor(durationMs / 1000), nanos: Math.round((durationMs % 1000) * 1e6) },
    };
  }
  const { message, code } = describeFailure(outcome.error);
  return { backend: outcome.backend, ok: false, error: message, code, duration: undefined };
}

/**
 * When an operation failed on every backend it was tried on, the call fails:
 * with the common status when all failures agree (all NOT_FOUND: the model is
 * nowhere), otherwise UNAVAILABLE (some backend might have succeeded).
 */
export function failIfNoneSucceeded(operation: string, model: string, results: readonly BackendResult[]): void {
  if (results.length === 0 || results.some((result) => result.ok)) return;
  const codes = new Set(results.map((result) => result.code));
  const code = codes.size === 1 ? (results[0]!.code as Status) : Status.UNAVAILABLE;
  const summary = results.map((result) => `${result.backend}: ${result.error}`).join("; ");
  throw new RichServerError(code, `${operation} failed on every backend: ${summary}`, [
    ErrorInfo.fromPartial({
      reason: "ALL_BACKENDS_FAILED",
      domain: ERROR_DOMAIN,
      metadata: { model, backends: results.map((result) => result.backend).join(",") },
    }),
  ]);
}
