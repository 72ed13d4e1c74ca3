import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { RichServerError, type ErrorDetails, type ErrorInfo, type RetryInfo } from "nice-grpc-error-details";
import {
  UpstreamConnectionError,
  UpstreamHttpError,
  UpstreamProtocolError,
  UpstreamStreamError,
  UpstreamTimeoutError,
  type UpstreamError,
} from "../../../src/ollama/errors.js";
import { ShutdownReason, StreamDeadlineReason } from "../../../src/service/abort-reasons.js";
import { ERROR_DOMAIN, Reason, invalidArgument, toServerError, type FailureContext } from "../../../src/service/status.js";
import { ModelUnavailableError, NoEndpointError, QueueFullError, QueueTimeoutError } from "../../../src/upstream/errors.js";

const LIVE = new AbortController().signal;
const FIRST_TRY: FailureContext = { model: "llama3.2", chunksSent: 0, backend: "gpu-1" };

function rich(error: Error): RichServerError {
  expect(error).toBeInstanceOf(RichServerError);
  return error as RichServerError;
}
const errorInfo = (details: ErrorDetails[]): ErrorInfo | undefined =>
  details.find((d): d is ErrorInfo => d.$type === "google.rpc.ErrorInfo");
const retryInfo = (details: ErrorDetails[]): RetryInfo | undefined =>
  details.find((d): d is RetryInfo => d.$type === "google.rpc.RetryInfo");

describe("toServerError: upstream errors before the first message", () => {
  const cases: Array<{ name: string; error: UpstreamError; code: Status; reason: string; retryMs?: number }> = [
    { name: "404", error: new UpstreamHttpError(404, 'model "x" not found, try pulling it first'), code: Status.NOT_FOUND, reason: Reason.MODEL_NOT_FOUND },
    {
      name: "400 capability",
      error: new UpstreamHttpError(400, "registry.ollama.ai/library/gemma:2b does not support tools"),
      code: Status.FAILED_PRECONDITION,
      reason: Reason.MODEL_CAPABILITY_MISSING,
    },
    { name: "400 other", error: new UpstreamHttpError(400, "invalid format"), code: Status.INVALID_ARGUMENT, reason: Reason.UPSTREAM_INVALID_REQUEST },
    { name: "503 without Retry-After", error: new UpstreamHttpError(503, "server busy"), code: Status.UNAVAILABLE, reason: Reason.BACKEND_BUSY, retryMs: 1000 },
    { name: "503 with Retry-After 7", error: new UpstreamHttpError(503, "server busy", 7), code: Status.UNAVAILABLE, reason: Reason.BACKEND_BUSY, retryMs: 7000 },
    { name: "503 with Retry-After 1.5", error: new UpstreamHttpError(503, "server busy", 1.5), code: Status.UNAVAILABLE, reason: Reason.BACKEND_BUSY, retryMs: 1500 },
    { name: "429", error: new UpstreamHttpError(429, "slow down"), code: Status.RESOURCE_EXHAUSTED, reason: Reason.UPSTREAM_RATE_LIMITED, retryMs: 1000 },
    { name: "500", error: new UpstreamHttpError(500, "llama runner process has terminated"), code: Status.INTERNAL, reason: Reason.UPSTREAM_INTERNAL_ERROR },
    { name: "418", error: new UpstreamHttpError(418, "teapot"), code: Status.INTERNAL, reason: Reason.UPSTREAM_HTTP_ERROR },
    { name: "error line mid-stream", error: new UpstreamStreamError("CUDA error"), code: Status.INTERNAL, reason: Reason.UPSTREAM_INTERNAL_ERROR },
    {
      name: "connection refused",
      error: new UpstreamConnectionError("ECONNREFUSED", "backend connection failed (ECONNREFUSED)"),
      code: Status.UNAVAILABLE,
      reason: Reason.BACKEND_UNREACHABLE,
    },
    { name: "headers timeout", error: new UpstreamTimeoutError("headers", "timed out"), code: Status.DEADLINE_EXCEEDED, reason: Reason.UPSTREAM_TIMEOUT },
    { name: "body timeout", error: new UpstreamTimeoutError("body", "timed out"), code: Status.DEADLINE_EXCEEDED, reason: Reason.UPSTREAM_TIMEOUT },
    { name: "protocol error", error: new UpstreamProtocolError("MISSING_DONE", "no done"), code: Status.INTERNAL, reason: Reason.UPSTREAM_PROTOCOL_ERROR },
  ];

  it.each(cases)("$name -> $reason", ({ error, code, reason, retryMs }) => {
    const mapped = toServerError(error, LIVE, FIRST_TRY);
    const server = rich(mapped.error);
    expect(server.code).toBe(code);
    const info = errorInfo(server.extra);
    expect(info).toMatchObject({ reason, domain: ERROR_DOMAIN });
    expect(mapped.reason, "the reason handed to logs matches the ErrorInfo").toBe(reason);
    expect(info?.metadata).toMatchObject({ model: "llama3.2", backend: "gpu-1" });
    expect(mapped.retryPushbackMs).toBe(retryMs);
    if (retryMs === undefined) {
      expect(retryInfo(server.extra)).toBeUndefined();
    } else {
      expect(retryInfo(server.extra)?.retryDelay).toMatchObject({ seconds: Math.floor(retryMs / 1000), nanos: (retryMs % 1000) * 1e6 });
    }
  });

  it("records the upstream HTTP status in the ErrorInfo metadata", () => {
    const server = rich(toServerError(new UpstreamHttpError(404, "not found"), LIVE, FIRST_TRY).error);
    expect(errorInfo(server.extra)?.metadata).toEqual({ model: "llama3.2", backend: "gpu-1", upstreamStatus: "404" });
  });

  it("passes Ollama's message to the caller", () => {
    const server = rich(toServerError(new UpstreamHttpError(500, "llama runner process has terminated"), LIVE, FIRST_TRY).error);
    expect(server.details).toContain("llama runner process has terminated");
    expect(server.details).toContain("gpu-1");
  });

  it("omits backend from the metadata when none was picked", () => {
    const server = rich(toServerError(new UpstreamHttpError(404, "nf"), LIVE, { model: "m", chunksSent: 0 }).error);
    expect(errorInfo(server.extra)?.metadata).toEqual({ model: "m", upstreamStatus: "404" });
  });
});

describe("toServerError: upstream errors after messages were sent", () => {
  const errors: Array<{ name: string; error: UpstreamError; cause: string }> = [
    { name: "error line", error: new UpstreamStreamError("runner crashed"), cause: Reason.UPSTREAM_INTERNAL_ERROR },
    { name: "connection reset", error: new UpstreamConnectionError("ECONNRESET", "reset"), cause: Reason.BACKEND_UNREACHABLE },
    { name: "idle timeout", error: new UpstreamTimeoutError("body", "idle"), cause: Reason.UPSTREAM_TIMEOUT },
    { name: "missing done", error: new UpstreamProtocolError("MISSING_DONE", "no done"), cause: Reason.UPSTREAM_PROTOCOL_ERROR },
    { name: "busy", error: new UpstreamHttpError(503, "busy", 5), cause: Reason.BACKEND_BUSY },
  ];

  // Once a message went out the RPC is committed: whatever failed, the caller learns the answer is incomplete.
  it.each(errors)("$name -> UNAVAILABLE UPSTREAM_STREAM_INTERRUPTED, no retry pushback", ({ error, cause }) => {
    const mapped = toServerError(error, LIVE, { model: "m", chunksSent: 3, backend: "gpu-2" });
    const server = rich(mapped.error);
    expect(server.code).toBe(Status.UNAVAILABLE);
    const info = errorInfo(server.extra);
    expect(info?.reason).toBe(Reason.UPSTREAM_STREAM_INTERRUPTED);
    expect(info?.metadata).toMatchObject({ model: "m", chunksSent: "3", backend: "gpu-2", cause });
    expect(mapped.retryPushbackMs).toBeUndefined();
    expect(retryInfo(server.extra)).toBeUndefined();
    expect(server.details).toContain("3 messages");
  });
});

describe("toServerError: aborted calls", () => {
  const aborted = (reason?: unknown): AbortSignal => {
    const controller = new AbortController();
    controller.abort(reason);
    return controller.signal;
  };

  // The signal's reason decides, whatever error the abort caused downstream.
  it.each([
    { name: "an AbortError", error: new DOMException("aborted", "AbortError") },
    { name: "an upstream error", error: new UpstreamConnectionError("ECONNRESET", "reset") },
  ])("StreamDeadlineReason -> DEADLINE_EXCEEDED, whatever the error ($name)", ({ error }) => {
    const signal = aborted(new StreamDeadlineReason("max_stream_duration", 5000));
    const server = rich(toServerError(error, signal, { model: "m", chunksSent: 2, backend: "b" }).error);
    expect(server.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(errorInfo(server.extra)).toMatchObject({
      reason: Reason.STREAM_DEADLINE_EXCEEDED,
      metadata: { model: "m", chunksSent: "2", backend: "b", limit: "max_stream_duration", limitMs: "5000" },
    });
  });

  it("StreamDeadlineReason for max_deadline names that limit", () => {
    const server = rich(toServerError(new Error("x"), aborted(new StreamDeadlineReason("max_deadline", 60_000)), FIRST_TRY).error);
    expect(server.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(errorInfo(server.extra)?.metadata).toMatchObject({ limit: "max_deadline", limitMs: "60000" });
  });

  it("ShutdownReason -> UNAVAILABLE SERVER_SHUTTING_DOWN", () => {
    const server = rich(toServerError(new DOMException("x", "AbortError"), aborted(new ShutdownReason()), FIRST_TRY).error);
    expect(server.code).toBe(Status.UNAVAILABLE);
    expect(errorInfo(server.extra)?.reason).toBe(Reason.SERVER_SHUTTING_DOWN);
  });

  it("a plain abort returns the AbortError itself", () => {
    const error = new DOMException("The operation was aborted", "AbortError");
    expect(toServerError(error, aborted(), FIRST_TRY)).toEqual({ error });
    expect(toServerError(error, aborted(), FIRST_TRY).error).toBe(error);
  });

  it("a plain abort that surfaced as another error still returns an AbortError", () => {
    const mapped = toServerError(new UpstreamConnectionError("ECONNRESET", "reset"), aborted(), FIRST_TRY);
    expect(mapped.error).not.toBeInstanceOf(RichServerError);
    expect(mapped.error.name).toBe("AbortError");
  });
});

describe("toServerError: other errors", () => {
  // An unexpected error's message may hold internals (paths, secrets): the caller gets a generic text.
  it("maps an unknown error to INTERNAL with a generic message", () => {
    const server = rich(toServerError(new Error("password=hunter2 at /srv/app.js"), LIVE, FIRST_TRY).error);
    expect(server.code).toBe(Status.INTERNAL);
    expect(server.details).toBe("internal gateway error");
    expect(JSON.stringify(server.extra)).not.toContain("hunter2");
    expect(errorInfo(server.extra)).toMatchObject({ reason: "INTERNAL", metadata: { model: "llama3.2" } });
  });

  it.each([{ value: "a string" }, { value: undefined }, { value: { code: "EWHAT" } }])("maps a thrown $value to INTERNAL", ({ value }) => {
    expect(rich(toServerError(value, LIVE, FIRST_TRY).error).code).toBe(Status.INTERNAL);
  });

  it("returns a RichServerError unchanged", () => {
    const error = invalidArgument([{ field: "model", description: "required" }]);
    expect(toServerError(error, LIVE, FIRST_TRY).error).toBe(error);
  });
});

describe("admission errors from the pool", () => {
  it.each([
    { name: "no endpoint", error: new NoEndpointError("every backend was tried"), code: Status.UNAVAILABLE, reason: Reason.NO_BACKEND, retryMs: undefined },
    { name: "model nowhere", error: new ModelUnavailableError("m"), code: Status.NOT_FOUND, reason: Reason.MODEL_NOT_FOUND, retryMs: undefined },
    { name: "queue full", error: new QueueFullError("full", 1500), code: Status.RESOURCE_EXHAUSTED, reason: Reason.QUEUE_FULL, retryMs: 1500 },
    { name: "queue timeout", error: new QueueTimeoutError("waited", 800), code: Status.RESOURCE_EXHAUSTED, reason: Reason.QUEUE_TIMEOUT, retryMs: 800 },
  ])("$name -> $reason", ({ error, code, reason, retryMs }) => {
    const mapped = toServerError(error, LIVE, FIRST_TRY);
    const server = rich(mapped.error);
    expect(server.code).toBe(code);
    expect(mapped.reason).toBe(reason);
    expect(errorInfo(server.extra)).toMatchObject({ reason, domain: ERROR_DOMAIN });
    expect(mapped.retryPushbackMs).toBe(retryMs);
    if (retryMs !== undefined) expect(retryInfo(server.extra)?.retryDelay).toMatchObject({ seconds: Math.floor(retryMs / 1000), nanos: (retryMs % 1000) * 1e6 });
  });
});

describe("invalidArgument", () => {
  it("invalidArgument carries a BadRequest with every violation", () => {
    const violations = [
      { field: "model", description: "required" },
      { field: "options.top_p", description: "must be between 0 and 1" },
    ];
    const error = invalidArgument(violations);
    expect(error.code).toBe(Status.INVALID_ARGUMENT);
    expect(error.details).toContain("model: required");
    expect(error.details).toContain("options.top_p: must be between 0 and 1");
    expect(error.extra).toEqual([
      {
        $type: "google.rpc.BadRequest",
        fieldViolations: [
          expect.objectContaining({ $type: "google.rpc.BadRequest.FieldViolation", field: "model", description: "required" }),
          expect.objectContaining({ field: "options.top_p", description: "must be between 0 and 1" }),
        ],
      },
    ]);
  });
});
