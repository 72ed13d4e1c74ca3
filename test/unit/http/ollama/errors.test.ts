/**
 * Failed calls -> Ollama's status and `{"error": ...}` body. Upstream
 * answers keep Ollama's status and text; the gateway's own failures get
 * Ollama's text where Ollama has one for the same situation.
 */
import { Metadata, Status } from "nice-grpc";
import { ErrorInfo, RetryInfo, RichServerError } from "nice-grpc-error-details";
import { describe, expect, it } from "vitest";
import { ollamaErrorBody, ollamaErrorJson, ollamaStreamErrorLine } from "../../../../src/http/ollama/index.js";

const info = (reason: string, metadata: Record<string, string>) => ErrorInfo.fromPartial({ reason, domain: "ollama-grpc-gateway", metadata });
const retry = (seconds: number) => RetryInfo.fromPartial({ retryDelay: { seconds, nanos: 0 } });

/** [name, error, route, status, message, Retry-After] */
const CASES: Array<[string, unknown, string | undefined, number, string, number | undefined]> = [
  [
    "upstream 404 keeps Ollama's text",
    new RichServerError(Status.NOT_FOUND, "model 'nope' not found", [info("MODEL_NOT_FOUND", { model: "nope", upstreamStatus: "404" })]),
    "/api/chat",
    404,
    "model 'nope' not found",
    undefined,
  ],
  [
    "no backend has the model (generate/chat form)",
    new RichServerError(Status.NOT_FOUND, "no backend has model 'nope'", [info("MODEL_NOT_FOUND", { model: "nope" })]),
    "/api/generate",
    404,
    "model 'nope' not found",
    undefined,
  ],
  [
    "no backend has the model (embedding routes' form)",
    new RichServerError(Status.NOT_FOUND, "no backend has model 'nope'", [info("MODEL_NOT_FOUND", { model: "nope" })]),
    "/api/embed",
    404,
    'model "nope" not found, try pulling it first',
    undefined,
  ],
  [
    "upstream capability error keeps Ollama's 400",
    new RichServerError(Status.FAILED_PRECONDITION, '"llama3.2" does not support thinking', [info("MODEL_CAPABILITY_MISSING", { upstreamStatus: "400" })]),
    undefined,
    400,
    '"llama3.2" does not support thinking',
    undefined,
  ],
  [
    "upstream queue full keeps Ollama's 503 and two spaces",
    new RichServerError(Status.UNAVAILABLE, "server busy, please try again.  maximum pending requests exceeded", [
      info("BACKEND_BUSY", { upstreamStatus: "503" }),
      retry(1),
    ]),
    undefined,
    503,
    "server busy, please try again.  maximum pending requests exceeded",
    1,
  ],
  [
    "the gateway's full queue answers like Ollama's",
    new RichServerError(Status.RESOURCE_EXHAUSTED, "gateway queue full (256 waiting)", [info("QUEUE_FULL", { model: "m" }), retry(2)]),
    undefined,
    503,
    "server busy, please try again.  maximum pending requests exceeded",
    2,
  ],
  [
    "the gateway's quota keeps 429, Retry-After from the trailer",
    new RichServerError(Status.RESOURCE_EXHAUSTED, "token budget exhausted", [info("QUOTA_EXCEEDED", {})]),
    undefined,
    429,
    "token budget exhausted",
    3,
  ],
  ["unauthenticated", new RichServerError(Status.UNAUTHENTICATED, "missing credentials"), undefined, 401, "missing credentials", undefined],
  ["no backend", new RichServerError(Status.UNAVAILABLE, "no healthy backend"), undefined, 503, "no healthy backend", undefined],
  ["anything else", new Error("boom"), undefined, 500, "internal gateway error", undefined],
];

describe("ollamaErrorBody", () => {
  it.each(CASES)("%s", (_name, error, route, status, message, retryAfterSeconds) => {
    // The quota middleware announces its pushback in a trailer; a RetryInfo in the error wins over it.
    const trailer = status === 429 || retryAfterSeconds !== undefined ? Metadata({ "grpc-retry-pushback-ms": "2500" }) : Metadata();
    const answer = ollamaErrorBody(error, trailer, route);
    expect(answer.status).toBe(status);
    expect(answer.body).toBe(JSON.stringify({ error: message }));
    expect(answer.retryAfterSeconds).toBe(retryAfterSeconds);
  });

  it("escapes like gin's c.JSON", () => {
    expect(ollamaErrorJson("invalid character '<' looking for beginning of value")).toBe(
      '{"error":"invalid character \'\\u003c\' looking for beginning of value"}',
    );
  });
});

describe("ollamaStreamErrorLine", () => {
  it("is the status message as an {\"error\"} line", () => {
    const error = new RichServerError(Status.UNAVAILABLE, "upstream stream interrupted after 3 messages: model runner has unexpectedly stopped", [
      info("UPSTREAM_STREAM_INTERRUPTED", { upstreamStatus: "500" }),
    ]);
    expect(ollamaStreamErrorLine(error)).toBe('{"error":"upstream stream interrupted after 3 messages: model runner has unexpectedly stopped"}');
  });
});
