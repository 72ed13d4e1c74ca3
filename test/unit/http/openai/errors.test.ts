import { Status } from "nice-grpc";
import { Metadata, ServerError } from "nice-grpc-common";
import { ErrorInfo, RetryInfo, RichServerError } from "nice-grpc-error-details";
import { describe, expect, it } from "vitest";
import { openAiError, openAiErrorType } from "../../../../src/http/openai/errors.js";

const body = (message: string, type: string) => JSON.stringify({ error: { message, type, param: null, code: null } });

describe("openAiError", () => {
  it.each([
    [Status.INVALID_ARGUMENT, "bad", 400, "invalid_request_error"],
    [Status.NOT_FOUND, "model 'x' not found", 404, "not_found_error"],
    [Status.UNAUTHENTICATED, "no token", 401, "api_error"],
    [Status.PERMISSION_DENIED, "no", 403, "api_error"],
    [Status.RESOURCE_EXHAUSTED, "slow down", 429, "api_error"],
    [Status.UNAVAILABLE, "no backend", 503, "api_error"],
    [Status.DEADLINE_EXCEEDED, "too slow", 504, "api_error"],
  ])("maps gRPC %s to HTTP status and Ollama's error type", (code, message, status, type) => {
    expect(openAiError(new ServerError(code, message))).toStrictEqual({ status, body: body(message, type) });
  });

  it("keeps Ollama's own status from ErrorInfo and the RetryInfo delay", () => {
    const error = new RichServerError(Status.UNAVAILABLE, "server busy, please try again.  maximum pending requests exceeded", [
      ErrorInfo.fromPartial({ reason: "UPSTREAM_HTTP_ERROR", metadata: { upstreamStatus: "503" } }),
      RetryInfo.fromPartial({ retryDelay: { seconds: 2, nanos: 500_000_000 } }),
    ]);
    expect(openAiError(error)).toStrictEqual({
      status: 503,
      body: body("server busy, please try again.  maximum pending requests exceeded", "api_error"),
      retryAfterSeconds: 3,
    });
  });

  it("reads the retry pushback trailer when the error has no RetryInfo", () => {
    const trailer = Metadata({ "grpc-retry-pushback-ms": "1200" });
    expect(openAiError(new ServerError(Status.RESOURCE_EXHAUSTED, "quota"), trailer).retryAfterSeconds).toBe(2);
    expect(openAiError(new ServerError(Status.RESOURCE_EXHAUSTED, "quota"), Metadata()).retryAfterSeconds).toBeUndefined();
  });

  it("answers 500 with a generic message for anything that is not a status error", () => {
    expect(openAiError(new TypeError("secret detail"))).toStrictEqual({ status: 500, body: body("internal gateway error", "api_error") });
  });

  it.each([
    [400, "invalid_request_error"],
    [404, "not_found_error"],
    [413, "api_error"],
    [500, "api_error"],
  ])("types status %i as %s", (status, type) => {
    expect(openAiErrorType(status)).toBe(type);
  });
});
