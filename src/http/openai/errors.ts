/**
 * OpenAI-shaped error answers for the /v1 front door. The body is Ollama's
 * (openai/openai.go `NewError`): `{"error":{"message","type","param":null,"code":null}}`,
 * with the type chosen by HTTP status. The status itself is the one the native
 * route would answer (src/http/http-status.ts), so the `openai` client raises
 * the matching APIError subclass (BadRequestError, NotFoundError, RateLimitError...).
 */
import { httpFailureOf, type TrailerReader } from "../http-status.js";

/** The `error.type` values Ollama uses. */
export type OpenAiErrorType = "invalid_request_error" | "not_found_error" | "api_error";

/** The `error` object of an OpenAI error body. */
export interface OpenAiErrorObject {
  message: string;
  type: OpenAiErrorType;
  param: null;
  code: null;
}

/** An answer to send instead of a result: HTTP status and JSON body (application/json). */
export interface OpenAiFailure {
  status: number;
  body: string;
  /** Seconds for a Retry-After header, when the gateway advises a delay (rate limits). */
  retryAfterSeconds?: number;
}

/**
 * Ollama's rule: 400 is `invalid_request_error`, 404 is `not_found_error`, and
 * every other status (401, 403, 429, 5xx) is `api_error`. OpenAI would say
 * `authentication_error` or `rate_limit_error`, but its SDKs pick the error
 * class from the HTTP status, never from this field, so Ollama's rule is kept.
 */
export function openAiErrorType(status: number): OpenAiErrorType {
  if (status === 400) return "invalid_request_error";
  if (status === 404) return "not_found_error";
  return "api_error";
}

/** The error object for a status and message. */
export function openAiErrorObject(status: number, message: string): OpenAiErrorObject {
  return { message, type: openAiErrorType(status), param: null, code: null };
}

/** A failure answer built from a status and message. */
export function openAiFailure(status: number, message: string): OpenAiFailure {
  return { status, body: JSON.stringify({ error: openAiErrorObject(status, message) }) };
}

/**
 * What a failed gateway call answers on the /v1 routes before any byte was
 * sent: the status of the native route (upstream Ollama status when known),
 * the status message as `error.message`, and a Retry-After delay from the
 * error's RetryInfo or, failing that, the `grpc-retry-pushback-ms` trailer
 * (set by the quota middleware).
 */
export function openAiError(error: unknown, trailer?: TrailerReader): OpenAiFailure {
  const failure = httpFailureOf(error, trailer);
  const answer = openAiFailure(failure.status, failure.message);
  return failure.retryAfterSeconds === undefined ? answer : { ...answer, retryAfterSeconds: failure.retryAfterSeconds };
}
