/**
 * Server-side caps on a call's lifetime, linked into the call's signal:
 * - `maxStreamDurationMs`: no stream outlives it, whatever its deadline
 *   (0 = no cap);
 * - `maxDeadlineMs`: a clamp on absurdly long client deadlines: a caller
 *   whose deadline lies further out than this is held to it (0 = no clamp).
 * When a cap fires, the signal aborts with a StreamDeadlineReason and the
 * service answers DEADLINE_EXCEEDED. The timer is cleared in `finally`.
 */
import type { CallContext, ServerMiddlewareCall } from "nice-grpc";
import { linkSignals } from "../common/abort.js";
import { callerDeadline } from "../server/deadline-interceptor.js";
import { StreamDeadlineReason } from "../service/abort-reasons.js";
import type { DeadlineContext } from "../service/call-record.js";

/** The two caps, in milliseconds; 0 disables one. */
export interface StreamLimits {
  maxStreamDurationMs: number;
  maxDeadlineMs: number;
}


/** Largest delay setTimeout honours (larger values fire at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** Creates the middleware. */
export function streamLimitsMiddleware(limits: StreamLimits) {
  return async function* streamLimits<Req, Res>(
    call: ServerMiddlewareCall<Req, Res, DeadlineContext>,
    context: CallContext,
  ): AsyncGenerator<Res, Res | void, undefined> {
    const deadline = callerDeadline(context.metadata);
    const cap = pickCap(deadline, limits, Date.now());
    if (cap === undefined) {
      return yield* call.next(call.request, { ...context, deadline });
    }
    const linked = linkSignals(context.signal);
    const timer = setTimeout(
      () => linked.controller.abort(new StreamDeadlineReason(cap.limit, cap.delayMs)),
      Math.min(cap.delayMs, MAX_TIMER_MS),
    );
    try {
      return yield* call.next(call.request, { ...context, signal: linked.signal, deadline });
    } finally {
      clearTimeout(timer);
      linked.cleanup();
    }
  };
}

/** A cap that binds: which one, and after how long. */
export interface BindingCap {
  limit: "max_stream_duration" | "max_deadline";
  delayMs: number;
}

/** The cap that binds first for a call, if any binds before the caller's own deadline. */
export function pickCap(deadline: number, limits: StreamLimits, now: number): BindingCap | undefined {
  let best: BindingCap | undefined;
  if (limits.maxStreamDurationMs > 0 && now + limits.maxStreamDurationMs < deadline) {
    best = { limit: "max_stream_duration", delayMs: limits.maxStreamDurationMs };
  }
  if (limits.maxDeadlineMs > 0 && Number.isFinite(deadline) && now + limits.maxDeadlineMs < deadline) {
    if (best === undefined || limits.maxDeadlineMs < best.delayMs) best = { limit: "max_deadline", delayMs: limits.maxDeadlineMs };
  }
  return best;
}
