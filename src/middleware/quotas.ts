/**
 * Limits and quotas (per principal, per model) as server middleware, inside
 * auth (it needs the principal) and outside the handler:
 * - admission: a call over a request-rate, concurrent-stream or token
 *   budget ends with RESOURCE_EXHAUSTED before any backend work;
 * - metering: the call's MessageMeter pays for each streamed message
 *   before the relay delivers it, so a stream whose token budget runs
 *   out is cut at that message: its
 *   Ollama request is aborted (the GPU stops) and the call ends with
 *   RESOURCE_EXHAUSTED, ErrorInfo TOKEN_BUDGET_EXHAUSTED;
 * - settlement in `finally`: Ollama's real counts replace the estimates,
 *   slots are freed, whatever happened.
 * Every rejection carries QuotaFailure, RetryInfo and the
 * `grpc-retry-pushback-ms` trailer. With the store down and the policy
 * fail-closed, calls get UNAVAILABLE / QUOTA_STORE_UNAVAILABLE.
 *
 * Without auth every caller is the anonymous principal, so per-principal
 * limits then act as one shared budget.
 */
import { Status, type CallContext, type ServerMiddlewareCall } from "nice-grpc";
import { ErrorInfo, QuotaFailure, RetryInfo, RichServerError } from "nice-grpc-error-details";
import { ANONYMOUS, type Principal } from "../auth/principal.js";
import { linkSignals } from "../common/abort.js";
import type { CallQuota, QuotaEnforcer } from "../quota/enforcer.js";
import { QuotaExceededError, QuotaStoreUnavailableError } from "../quota/errors.js";
import { estimateInputTokens } from "../quota/estimate.js";
import type { PlannedLimit } from "../quota/types.js";
import { QuotaExhaustedReason } from "../service/abort-reasons.js";
import type { CallRecord, CallRecordContext } from "../service/call-record.js";
import type { MessageMeter, MessageMeterContext } from "../service/message-meter.js";
import { ERROR_DOMAIN, msToDuration } from "../service/status.js";
import type { PrincipalContext } from "./auth.js";

/** ErrorInfo reasons this middleware produces, stable API. */
export const QuotaReason = {
  RATE_LIMITED: "RATE_LIMITED",
  CONCURRENCY_LIMITED: "CONCURRENCY_LIMITED",
  TOKEN_BUDGET_EXHAUSTED: "TOKEN_BUDGET_EXHAUSTED",
  QUOTA_STORE_UNAVAILABLE: "QUOTA_STORE_UNAVAILABLE",
} as const;

/** Calls that consume tokens (token budgets apply). */
const TOKEN_METHODS: ReadonlySet<string> = new Set(["Generate", "Chat", "Embed"].map((name) => `/ollama.v1.OllamaService/${name}`));

/** Suggested retry when the store is down (fail-closed). */
const STORE_RETRY_MS = 1_000;

/** Sees each rejection (metrics). */
export type OnQuotaRejected = (principal: Principal, limit: PlannedLimit) => void;

/** Creates the middleware. */
export function quotaMiddleware(enforcer: QuotaEnforcer, onRejected?: OnQuotaRejected) {
  return async function* quotas<Req, Res>(
    call: ServerMiddlewareCall<Req, Res, MessageMeterContext>,
    context: CallContext & Partial<PrincipalContext & CallRecordContext>,
  ): AsyncGenerator<Res, Res | void, undefined> {
    const principal = context.principal ?? ANONYMOUS;
    const record = context.callRecord;
    const path = call.method.path;
    const countsTokens = TOKEN_METHODS.has(path) && !call.requestStream;
    let quota: CallQuota | undefined;
    try {
      quota = await enforcer.admit(
        principal,
        { model: modelOf(call.request), streaming: call.method.responseStream, countsTokens },
        countsTokens ? estimateInputTokens(call.request) : 0,
      );
    } catch (error) {
      throw rejection(error, principal, context, record, onRejected);
    }
    if (quota === undefined) return yield* call.next(call.request, context);

    if (!quota.metered || !call.method.responseStream) {
      // Nothing to meter per message: settle once the call ends (a unary Embed reports its usage in the record).
      try {
        return yield* call.next(call.request, context);
      } finally {
        await quota.settle({ delivered: 0, actualTokens: actualTokens(record) });
      }
    }
    // The call's own signal, so a spent budget can stop the Ollama request before the error goes out.
    const linked = linkSignals(context.signal);
    let failure: unknown;
    const exhaust = (error: unknown): void => {
      failure ??= rejection(error, principal, context, record, onRejected);
      linked.controller.abort(new QuotaExhaustedReason());
    };
    const messageMeter: MessageMeter = {
      pay: (count) => payFor(quota, count, exhaust),
      exhausted: () => failure,
    };
    try {
      return yield* call.next(call.request, { ...context, signal: linked.signal, messageMeter });
    } finally {
      linked.cleanup();
      await quota.settle({ delivered: record?.chunksOut ?? 0, actualTokens: actualTokens(record) });
    }
  };
}

/**
 * Spends `count` messages' worth of tokens; returns how many were paid,
 * synchronously while reservations cover them. On the first failure calls
 * `exhaust` and stops.
 */
function payFor(quota: CallQuota, count: number, exhaust: (error: unknown) => void): number | Promise<number> {
  for (let paid = 0; paid < count; paid++) {
    const spent = quota.spend();
    if (spent !== undefined) return payRestAsync(quota, spent, paid, count, exhaust);
  }
  return count;
}

async function payRestAsync(quota: CallQuota, pending: Promise<void>, paid: number, count: number, exhaust: (error: unknown) => void): Promise<number> {
  try {
    await pending;
    for (paid += 1; paid < count; paid++) {
      const spent = quota.spend();
      if (spent !== undefined) await spent;
    }
    return count;
  } catch (error) {
    exhaust(error);
    return paid;
  }
}

function modelOf(request: unknown): string | undefined {
  const model = typeof request === "object" && request !== null ? (request as { model?: unknown }).model : undefined;
  return typeof model === "string" ? model : undefined;
}

/** Ollama's own count of a completed call (input + output), when it reported one. */
function actualTokens(record: CallRecord | undefined): number | undefined {
  if (record?.promptTokens === undefined) return undefined;
  return record.promptTokens + (record.completionTokens ?? 0);
}

/** The status for a quota failure; other errors pass through unchanged. */
function rejection(
  error: unknown,
  principal: Principal,
  context: CallContext,
  record: CallRecord | undefined,
  onRejected: OnQuotaRejected | undefined,
): unknown {
  if (error instanceof QuotaStoreUnavailableError) {
    note(record, QuotaReason.QUOTA_STORE_UNAVAILABLE);
    context.trailer.set("grpc-retry-pushback-ms", String(STORE_RETRY_MS));
    return new RichServerError(Status.UNAVAILABLE, "cannot check quotas right now (quota store unavailable); retry later", [
      ErrorInfo.fromPartial({ reason: QuotaReason.QUOTA_STORE_UNAVAILABLE, domain: ERROR_DOMAIN, metadata: { principal: principal.name } }),
      RetryInfo.fromPartial({ retryDelay: msToDuration(STORE_RETRY_MS) }),
    ]);
  }
  if (!(error instanceof QuotaExceededError)) return error;
  onRejected?.(principal, error.limit);
  const { limit } = error;
  const reason = reasonOf(limit);
  note(record, reason);
  // A pushback of 0 would invite an immediate retry that fails the same way.
  const retryMs = Math.max(1, error.retryAfterMs);
  context.trailer.set("grpc-retry-pushback-ms", String(retryMs));
  const message = error.midStream
    ? `token budget exhausted mid-stream: ${limit.subject} is limited to ${limit.description}; the answer is incomplete`
    : `quota exceeded: ${limit.subject} is limited to ${limit.description}`;
  return new RichServerError(Status.RESOURCE_EXHAUSTED, message, [
    ErrorInfo.fromPartial({
      reason,
      domain: ERROR_DOMAIN,
      metadata: { subject: limit.subject, limit: limit.kind, description: limit.description, midStream: String(error.midStream) },
    }),
    QuotaFailure.fromPartial({ violations: [{ subject: limit.subject, description: `${limit.description} exceeded` }] }),
    RetryInfo.fromPartial({ retryDelay: msToDuration(retryMs) }),
  ]);
}

function reasonOf(limit: PlannedLimit): string {
  switch (limit.kind) {
    case "request_rate":
      return QuotaReason.RATE_LIMITED;
    case "concurrent_streams":
      return QuotaReason.CONCURRENCY_LIMITED;
    case "tokens_per_minute":
      return QuotaReason.TOKEN_BUDGET_EXHAUSTED;
  }
}

function note(record: CallRecord | undefined, reason: string): void {
  if (record !== undefined) record.errorReason = reason;
}

