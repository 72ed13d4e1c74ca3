/**
 * The Ollama client's error family: the first of the two error boundaries.
 * Node and undici failures and Ollama's HTTP error bodies become one of these
 * typed errors, with a stable `kind` to branch on and the original failure in
 * `cause`. Nothing here knows about gRPC; `service/status.ts` maps `kind` to a
 * status code.
 */

/** What went wrong, from the caller's point of view. Stable: callers branch on it. */
export type UpstreamErrorKind =
  /** Ollama answered 404: the model is not installed on that backend. */
  | "model_not_found"
  /** Ollama answered 400 because the model lacks a capability (tools, thinking, insert, vision...). */
  | "capability_missing"
  /** Ollama rejected the request as invalid (other 400s). */
  | "bad_request"
  /** Ollama's scheduler queue is full (503 "server busy"). */
  | "busy"
  /** Ollama (or the cloud behind it) answered 429. */
  | "rate_limited"
  /** Ollama failed with a 5xx, or sent an error line in the middle of a stream. */
  | "server_error"
  /** The backend could not be reached, or the connection broke (refused, reset, DNS, connect timeout). */
  | "unreachable"
  /** The gateway's own timer on the upstream request fired (first byte or idle gap). */
  | "timeout"
  /** The backend's bytes are not Ollama's protocol (bad JSON line, missing done, wrong framing). */
  | "protocol"
  /** Any other HTTP status. */
  | "http_other";

/** Base class of every error raised by the Ollama client. */
export abstract class UpstreamError extends Error {
  abstract readonly kind: UpstreamErrorKind;
  /** Whether the failure originated locally (connection, timeout) or in Ollama's answer. */
  abstract readonly origin: "local" | "upstream";
  /** Name of the backend involved, when known; set by the client. */
  backend: string | undefined;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Ollama answered with a non-2xx status and (normally) a `{"error": "..."}` body. */
export class UpstreamHttpError extends UpstreamError {
  readonly kind: UpstreamErrorKind;
  readonly origin = "upstream" as const;
  /** The HTTP status code. */
  readonly status: number;
  /** Ollama's error message, from the JSON body, or the text body when it is not JSON. */
  readonly ollamaMessage: string;
  /** Seconds from a Retry-After header, when Ollama (or a proxy in front of it) sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, ollamaMessage: string, retryAfterSeconds?: number) {
    super(`ollama returned HTTP ${status}: ${ollamaMessage}`);
    this.status = status;
    this.ollamaMessage = ollamaMessage;
    this.retryAfterSeconds = retryAfterSeconds;
    this.kind = classifyHttpStatus(status, ollamaMessage);
  }
}

/** Ollama wrote `{"error": "..."}` inside a 200 stream (e.g. the runner crashed mid-generation). */
export class UpstreamStreamError extends UpstreamError {
  readonly kind = "server_error" as const;
  readonly origin = "upstream" as const;
  readonly ollamaMessage: string;

  constructor(ollamaMessage: string) {
    super(`ollama reported an error mid-stream: ${ollamaMessage}`);
    this.ollamaMessage = ollamaMessage;
  }
}

/** Why the backend's bytes are not a valid Ollama stream. */
export type ProtocolFailure = "MALFORMED_LINE" | "LINE_TOO_LONG" | "MISSING_DONE" | "UNEXPECTED_VALUE";

/** The response does not follow Ollama's wire format. */
export class UpstreamProtocolError extends UpstreamError {
  readonly kind = "protocol" as const;
  readonly origin = "upstream" as const;
  readonly failure: ProtocolFailure;

  constructor(failure: ProtocolFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.failure = failure;
  }
}

/** A transport failure: the backend is unreachable or the connection broke. */
export class UpstreamConnectionError extends UpstreamError {
  readonly kind = "unreachable" as const;
  readonly origin = "local" as const;
  /** The Node or undici error code (ECONNREFUSED, ECONNRESET, ENOTFOUND, UND_ERR_SOCKET...). */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The gateway's own timer on the upstream request fired. */
export class UpstreamTimeoutError extends UpstreamError {
  readonly kind = "timeout" as const;
  readonly origin = "local" as const;
  /** Which timer: waiting for the response headers (first token) or an idle gap between chunks. */
  readonly phase: "headers" | "body";

  constructor(phase: "headers" | "body", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.phase = phase;
  }
}

/**
 * Classifies an HTTP error status. The text is inspected only to tell
 * capability errors from other 400s: Ollama gives them no code of their own,
 * and they differ in kind (retrying is pointless until the model changes).
 */
export function classifyHttpStatus(status: number, message: string): UpstreamErrorKind {
  if (status === 404) return "model_not_found";
  if (status === 400) return / does not support /.test(message) ? "capability_missing" : "bad_request";
  if (status === 503) return "busy";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server_error";
  return "http_other";
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
]);

/**
 * Converts whatever undici or Node threw into an UpstreamError. Abort errors
 * are returned unchanged: a cancellation is the caller's decision, not an
 * upstream failure, and must never count against a backend.
 */
export function toUpstreamError(error: unknown): unknown {
  if (error instanceof UpstreamError) return error;
  if (typeof error !== "object" || error === null) return error;
  const named = error as { name?: unknown; code?: unknown; message?: unknown };
  if (named.name === "AbortError") return error;
  const code = typeof named.code === "string" ? named.code : undefined;
  const message = typeof named.message === "string" ? named.message : String(error);
  if (code === "UND_ERR_ABORTED") return error;
  if (code === "UND_ERR_HEADERS_TIMEOUT") {
    return new UpstreamTimeoutError("headers", "timed out waiting for the backend's first byte", { cause: error });
  }
  if (code === "UND_ERR_BODY_TIMEOUT") {
    return new UpstreamTimeoutError("body", "timed out waiting for the backend's next chunk", { cause: error });
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new UpstreamConnectionError(code, `backend connection failed (${code}): ${message}`, { cause: error });
  }
  return error;
}
