/**
 * The second error boundary: typed upstream errors, gateway abort reasons and
 * validation failures -> gRPC status with google.rpc details. This is the one
 * place that decides status codes (the README's error table mirrors it).
 */
import { Status } from "nice-grpc";
import { BadRequest, ErrorInfo, RetryInfo, RichServerError, type ErrorDetails } from "nice-grpc-error-details";
import { UpstreamError, UpstreamHttpError, UpstreamStreamError, type UpstreamErrorKind } from "../ollama/errors.js";
import { AdmissionError } from "../upstream/errors.js";
import { ShutdownReason, StreamDeadlineReason } from "./abort-reasons.js";
import type { FieldViolation } from "./validate-request.js";

/** ErrorInfo.domain of every error this gateway produces. */
export const ERROR_DOMAIN = "ollama-grpc-gateway";

/** ErrorInfo reasons, stable API: callers may branch on them. */
export const Reason = {
  MODEL_NOT_FOUND: "MODEL_NOT_FOUND",
  MODEL_CAPABILITY_MISSING: "MODEL_CAPABILITY_MISSING",
  UPSTREAM_INVALID_REQUEST: "UPSTREAM_INVALID_REQUEST",
  BACKEND_BUSY: "BACKEND_BUSY",
  UPSTREAM_RATE_LIMITED: "UPSTREAM_RATE_LIMITED",
  UPSTREAM_INTERNAL_ERROR: "UPSTREAM_INTERNAL_ERROR",
  BACKEND_UNREACHABLE: "BACKEND_UNREACHABLE",
  UPSTREAM_TIMEOUT: "UPSTREAM_TIMEOUT",
  UPSTREAM_PROTOCOL_ERROR: "UPSTREAM_PROTOCOL_ERROR",
  UPSTREAM_HTTP_ERROR: "UPSTREAM_HTTP_ERROR",
  UPSTREAM_STREAM_INTERRUPTED: "UPSTREAM_STREAM_INTERRUPTED",
  NO_BACKEND: "NO_BACKEND",
  STREAM_DEADLINE_EXCEEDED: "STREAM_DEADLINE_EXCEEDED",
  SERVER_SHUTTING_DOWN: "SERVER_SHUTTING_DOWN",
  QUEUE_FULL: "QUEUE_FULL",
  QUEUE_TIMEOUT: "QUEUE_TIMEOUT",
  /** A unary response over transport.max_send_message_bytes (middleware/send-limit.ts). */
  RESPONSE_TOO_LARGE: "RESPONSE_TOO_LARGE",
} as const;

/** How each upstream error kind surfaces before the first token. */
const BY_KIND: Record<UpstreamErrorKind, { code: Status; reason: string }> = {
  model_not_found: { code: Status.NOT_FOUND, reason: Reason.MODEL_NOT_FOUND },
  capability_missing: { code: Status.FAILED_PRECONDITION, reason: Reason.MODEL_CAPABILITY_MISSING },
  bad_request: { code: Status.INVALID_ARGUMENT, reason: Reason.UPSTREAM_INVALID_REQUEST },
  busy: { code: Status.UNAVAILABLE, reason: Reason.BACKEND_BUSY },
  rate_limited: { code: Status.RESOURCE_EXHAUSTED, reason: Reason.UPSTREAM_RATE_LIMITED },
  server_error: { code: Status.INTERNAL, reason: Reason.UPSTREAM_INTERNAL_ERROR },
  unreachable: { code: Status.UNAVAILABLE, reason: Reason.BACKEND_UNREACHABLE },
  timeout: { code: Status.DEADLINE_EXCEEDED, reason: Reason.UPSTREAM_TIMEOUT },
  protocol: { code: Status.INTERNAL, reason: Reason.UPSTREAM_PROTOCOL_ERROR },
  http_other: { code: Status.INTERNAL, reason: Reason.UPSTREAM_HTTP_ERROR },
};

/** The status and ErrorInfo reason an upstream error maps to before the first token. */
export function classifyUpstream(error: UpstreamError): { code: Status; reason: string } {
  return BY_KIND[error.kind];
}

/** The text that explains an upstream error: Ollama's own message when it sent one. */
export function upstreamText(error: UpstreamError): string {
  return error instanceof UpstreamHttpError || error instanceof UpstreamStreamError ? error.ollamaMessage : error.message;
}

/** Delay suggested in RetryInfo when a busy backend gives none. */
const DEFAULT_BUSY_RETRY_MS = 1_000;

/** What is known about the call when an error ends it. */
export interface FailureContext {
  /** The model requested. */
  model: string;
  /** Messages already sent to the caller. Above zero, the RPC is committed and cannot be retried. */
  chunksSent: number;
  /** The backend serving the call, when one was picked. */
  backend?: string | undefined;
}

/** A rich error plus the retry pushback to announce in trailers, if any. */
export interface MappedError {
  error: Error;
  /** The ErrorInfo reason, for logs and metrics (undefined for a caller's cancel). */
  reason?: string;
  /** Milliseconds for the `grpc-retry-pushback-ms` trailer, when a retry is advised. */
  retryPushbackMs?: number;
}

/** INVALID_ARGUMENT with one BadRequest field violation per problem. */
export function invalidArgument(violations: FieldViolation[]): RichServerError {
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new RichServerError(Status.INVALID_ARGUMENT, `invalid request: ${summary}`, [
    BadRequest.fromPartial({ fieldViolations: violations }),
  ]);
}

/**
 * Maps whatever ended a call. Returns the error to throw: a RichServerError,
 * or the AbortError itself when the caller cancelled (nobody is listening,
 * and a cancellation must never be reported as a failure).
 */
export function toServerError(error: unknown, signal: AbortSignal, failure: FailureContext): MappedError {
  // A status the gateway already decided (a spent token budget, which also aborts the call) passes through.
  if (error instanceof RichServerError) return { error };
  if (signal.aborted) return fromAbortReason(signal.reason, error, failure);
  if (error instanceof UpstreamError) return fromUpstream(error, failure);
  if (error instanceof AdmissionError) return fromAdmission(error, failure);
  return {
    error: new RichServerError(Status.INTERNAL, "internal gateway error", [errorInfo("INTERNAL", { model: failure.model })]),
    reason: "INTERNAL",
  };
}

function fromAbortReason(reason: unknown, error: unknown, failure: FailureContext): MappedError {
  const metadata = { model: failure.model, chunksSent: String(failure.chunksSent), ...backendOf(failure) };
  if (reason instanceof StreamDeadlineReason) {
    return {
      error: new RichServerError(Status.DEADLINE_EXCEEDED, reason.message, [
        errorInfo(Reason.STREAM_DEADLINE_EXCEEDED, { ...metadata, limit: reason.limit, limitMs: String(reason.limitMs) }),
      ]),
      reason: Reason.STREAM_DEADLINE_EXCEEDED,
    };
  }
  if (reason instanceof ShutdownReason) {
    return {
      error: new RichServerError(Status.UNAVAILABLE, "server shutting down; retry on another replica", [
        errorInfo(Reason.SERVER_SHUTTING_DOWN, metadata),
      ]),
      reason: Reason.SERVER_SHUTTING_DOWN,
    };
  }
  return { error: error instanceof Error && error.name === "AbortError" ? error : new DOMException("call cancelled", "AbortError") };
}

function fromUpstream(error: UpstreamError, failure: FailureContext): MappedError {
  const mapped = classifyUpstream(error);
  const text = upstreamText(error);
  const metadata: Record<string, string> = { model: failure.model, ...backendOf(failure) };
  if (error instanceof UpstreamHttpError) metadata.upstreamStatus = String(error.status);
  if (failure.chunksSent > 0) {
    return {
      reason: Reason.UPSTREAM_STREAM_INTERRUPTED,
      error: new RichServerError(
        Status.UNAVAILABLE,
        `upstream stream interrupted after ${failure.chunksSent} messages: ${text}; the answer is incomplete and this call cannot be resumed`,
        [errorInfo(Reason.UPSTREAM_STREAM_INTERRUPTED, { ...metadata, chunksSent: String(failure.chunksSent), cause: mapped.reason })],
      ),
    };
  }
  const details: ErrorDetails[] = [errorInfo(mapped.reason, metadata)];
  let retryPushbackMs: number | undefined;
  if (error.kind === "busy" || error.kind === "rate_limited") {
    const retryAfter = error instanceof UpstreamHttpError ? error.retryAfterSeconds : undefined;
    retryPushbackMs = retryAfter !== undefined ? Math.round(retryAfter * 1000) : DEFAULT_BUSY_RETRY_MS;
    details.push(RetryInfo.fromPartial({ retryDelay: msToDuration(retryPushbackMs) }));
  }
  const prefix = mapped.code === Status.INTERNAL || mapped.code === Status.UNAVAILABLE ? `backend ${failure.backend ?? "?"}: ` : "";
  return {
    error: new RichServerError(mapped.code, prefix + text, details),
    reason: mapped.reason,
    ...(retryPushbackMs !== undefined ? { retryPushbackMs } : {}),
  };
}

/** The pool could not place the call: no backend, model nowhere, or the gateway queue said no. */
function fromAdmission(error: AdmissionError, failure: FailureContext): MappedError {
  const metadata = { model: failure.model };
  switch (error.kind) {
    case "model_unavailable": // named as the caller wrote it, not by the pool's normalized key
      return {
        error: new RichServerError(Status.NOT_FOUND, `no backend has model '${failure.model}'`, [errorInfo(Reason.MODEL_NOT_FOUND, metadata)]),
        reason: Reason.MODEL_NOT_FOUND,
      };
    case "no_endpoint":
      return { error: new RichServerError(Status.UNAVAILABLE, error.message, [errorInfo(Reason.NO_BACKEND, metadata)]), reason: Reason.NO_BACKEND };
    case "queue_full":
    case "queue_timeout": {
      const reason = error.kind === "queue_full" ? Reason.QUEUE_FULL : Reason.QUEUE_TIMEOUT;
      const retryMs = error.retryAfterMs ?? DEFAULT_BUSY_RETRY_MS;
      return {
        error: new RichServerError(Status.RESOURCE_EXHAUSTED, error.message, [
          errorInfo(reason, metadata),
          RetryInfo.fromPartial({ retryDelay: msToDuration(retryMs) }),
        ]),
        reason,
        retryPushbackMs: retryMs,
      };
    }
  }
}

function errorInfo(reason: string, metadata: Record<string, string>): ErrorInfo {
  return ErrorInfo.fromPartial({ reason, domain: ERROR_DOMAIN, metadata });
}

function backendOf(failure: FailureContext): Record<string, string> {
  return failure.backend === undefined ? {} : { backend: failure.backend };
}

/** Milliseconds as a google.protobuf.Duration (RetryInfo). */
export function msToDuration(ms: number): { seconds: number; nanos: number } {
  const whole = Math.round(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1e6 };
}

/**
 * Maps `error` (see toServerError) and throws the result, after announcing
 * any retry pushback in `trailer` and noting the ErrorInfo reason in the
 * call record. Every handler ends a failed call through here.
 */
export function throwMapped(
  error: unknown,
  signal: AbortSignal,
  failure: FailureContext,
  call: { trailer: { set(key: string, value: string): void }; record: { errorReason?: string } },
): never {
  const mapped = toServerError(error, signal, failure);
  if (mapped.retryPushbackMs !== undefined) call.trailer.set("grpc-retry-pushback-ms", String(mapped.retryPushbackMs));
  if (mapped.reason !== undefined) call.record.errorReason = mapped.reason;
  throw mapped.error;
}
