/**
 * gRPC status -> HTTP status for the HTTP front doors. Ollama's own statuses
 * win where the gateway knows them: an upstream error carries the backend's
 * HTTP status in its ErrorInfo (`upstreamStatus`), so a drop-in client sees
 * exactly the code Ollama would have sent it.
 */
import { Status } from "nice-grpc";
import { ErrorInfo, RetryInfo, RichServerError } from "nice-grpc-error-details";

const BY_CODE: Record<Status, number> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 499,
  [Status.UNKNOWN]: 500,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.RESOURCE_EXHAUSTED]: 429,
  // Ollama answers 400 for a model that lacks a capability (`"x" does not support tools`).
  [Status.FAILED_PRECONDITION]: 400,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.INTERNAL]: 500,
  [Status.UNAVAILABLE]: 503,
  [Status.DATA_LOSS]: 500,
  [Status.UNAUTHENTICATED]: 401,
};

/** What an HTTP front door needs to answer a failed call. */
export interface HttpFailure {
  status: number;
  /** The status message (for upstream errors, Ollama's own text). */
  message: string;
  /** The gRPC code it came from. */
  code: Status;
  /** ErrorInfo.reason, when the gateway attached one. */
  reason: string | undefined;
  /** ErrorInfo.metadata (model, backend, upstreamStatus...); empty without an ErrorInfo. */
  metadata: Readonly<Record<string, string>>;
  /** Seconds for a Retry-After header, when RetryInfo advises a delay. */
  retryAfterSeconds: number | undefined;
}

/** The call's trailers, as far as an answer reads them (nice-grpc's Metadata fits). */
export interface TrailerReader {
  get(key: string): unknown;
}

/**
 * Anything a call can end with -> the HTTP answer. Non-status errors are 500
 * "internal gateway error". The Retry-After delay comes from the error's
 * RetryInfo or, failing that, the call's `grpc-retry-pushback-ms` trailer.
 */
export function httpFailureOf(error: unknown, trailer?: TrailerReader): HttpFailure {
  const failure = statusFailureOf(error);
  return failure.retryAfterSeconds === undefined ? { ...failure, retryAfterSeconds: pushbackSeconds(trailer?.get("grpc-retry-pushback-ms")) } : failure;
}

function pushbackSeconds(value: unknown): number | undefined {
  const ms = Number(typeof value === "string" ? value : Number.NaN);
  return Number.isFinite(ms) && ms >= 0 ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
}

function statusFailureOf(error: unknown): HttpFailure {
  if (!(error instanceof Error) || !("code" in error) || typeof (error as { code: unknown }).code !== "number") {
    return { status: 500, message: "internal gateway error", code: Status.INTERNAL, reason: undefined, metadata: {}, retryAfterSeconds: undefined };
  }
  const code = (error as { code: Status }).code;
  const message = typeof (error as { details?: unknown }).details === "string" ? (error as unknown as { details: string }).details : error.message;
  let status = BY_CODE[code] ?? 500;
  let reason: string | undefined;
  let metadata: Readonly<Record<string, string>> = {};
  let retryAfterSeconds: number | undefined;
  if (error instanceof RichServerError) {
    for (const detail of error.extra) {
      if (detail.$type === ErrorInfo.$type) {
        reason = detail.reason;
        metadata = detail.metadata;
        const upstream = Number(detail.metadata.upstreamStatus);
        // Only while nothing was streamed: an interrupted stream is the gateway's failure, not Ollama's answer.
        if (Number.isInteger(upstream) && upstream >= 400 && upstream <= 599 && reason !== "UPSTREAM_STREAM_INTERRUPTED") status = upstream;
      } else if (detail.$type === RetryInfo.$type && detail.retryDelay !== undefined) {
        retryAfterSeconds = Math.max(1, Math.ceil(Number(detail.retryDelay.seconds) + detail.retryDelay.nanos / 1e9));
      }
    }
  }
  return { status, message, code, reason, metadata, retryAfterSeconds };
}
