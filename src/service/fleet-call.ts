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
import { UpstreamError, UpstreamTimeoutError } from "../ollama/errors.js";
import type { PickedBackend } from "./fleet.js";
import { classifyUpstream, ERROR_DOMAIN, upstreamText } from "./status.js";

/** One backend's outcome. */
export type BackendOutcome<T> = { backend: string; ok: true; value: T } | { backend: string; ok: false; error: unknown };

/**
 * Runs `operation` on every target concurrently. `timeoutMs` (0 = none)
 * bounds each backend; a backend that exceeds it fails with an
 * UpstreamTimeoutError. Resolves with the outcomes in target order.
 */
export async function callEach<T>(
  targets: readonly PickedBackend[],
  signal: AbortSignal,
  timeoutMs: number,
  operation: (target: PickedBackend, signal: AbortSignal) => Promise<T>,
): Promise<Array<BackendOutcome<T>>> {
  return Promise.all(
    targets.map(async (target): Promise<BackendOutcome<T>> => {
      const backend = target.endpoint.name;
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
        return { backend, ok: true, value: await operation(target, linked.signal) };
      } catch (error) {
        if (signal.aborted) throw error;
        if (timedOut) return { backend, ok: false, error: new UpstreamTimeoutError("headers", `no answer within ${timeoutMs} ms`) };
        return { backend, ok: false, error };
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
