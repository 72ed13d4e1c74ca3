/**
 * Ollama-shaped error answers: `{"error": "..."}` with the HTTP status Ollama
 * would use. The status comes from src/http/http-status.ts, which already
 * passes an upstream Ollama status through; the text is the call's status
 * message, which for an upstream error is Ollama's own. Two gateway-made
 * failures have an exact Ollama counterpart and take its status and text:
 * a model no backend has (404 `model 'x' not found`, or the embedding
 * routes' `model "x" not found, try pulling it first`), and a full gateway
 * queue (Ollama's 503 `server busy, ...` for a full scheduler queue).
 */
import { encodeGoJson } from "../../ollama/go-json.js";
import { httpFailureOf, type TrailerReader } from "../http-status.js";

/** An answer to send instead of a result: HTTP status and JSON body (`application/json; charset=utf-8`). */
export interface OllamaFailure {
  status: number;
  body: string;
  /** Seconds for a Retry-After header, when the gateway advises a delay. */
  retryAfterSeconds?: number;
}

/** Ollama's text for a full scheduler queue (sched.go ErrMaxQueue; two spaces after "again."). */
export const OLLAMA_BUSY_MESSAGE = "server busy, please try again.  maximum pending requests exceeded";

/** Routes whose "model not found" text differs from `model 'x' not found` (routes.go handleScheduleError). */
const EMBEDDING_ROUTES = new Set(["/api/embed", "/api/embeddings"]);

/** `{"error": message}` exactly as gin's c.JSON writes it. */
export function ollamaErrorJson(message: string): string {
  return encodeGoJson({ error: message });
}

/**
 * What a failed call answers before any byte of the response was sent.
 * `route` (the request path) picks the route-specific "model not found"
 * text; Retry-After comes from the error's RetryInfo or, failing that, the
 * `grpc-retry-pushback-ms` trailer (set by the quota middleware).
 */
export function ollamaErrorBody(error: unknown, trailer?: TrailerReader, route?: string): OllamaFailure {
  const failure = httpFailureOf(error, trailer);
  let { status, message } = failure;
  const fromGateway = failure.metadata.upstreamStatus === undefined;
  if (fromGateway && failure.reason === "MODEL_NOT_FOUND") {
    const model = failure.metadata.model ?? "";
    status = 404;
    message = route !== undefined && EMBEDDING_ROUTES.has(route) ? `model "${model}" not found, try pulling it first` : `model '${model}' not found`;
  } else if (fromGateway && failure.reason === "QUEUE_FULL") {
    status = 503;
    message = OLLAMA_BUSY_MESSAGE;
  }
  const answer: OllamaFailure = { status, body: ollamaErrorJson(message) };
  return failure.retryAfterSeconds === undefined ? answer : { ...answer, retryAfterSeconds: failure.retryAfterSeconds };
}

/**
 * The NDJSON line (no newline) Ollama writes when a stream fails after its
 * first line: `{"error": ...}` in the 200 stream, with no `done`. The
 * `ollama` npm client throws an Error with that message.
 */
export function ollamaStreamErrorLine(error: unknown): string {
  return ollamaErrorJson(httpFailureOf(error).message);
}
