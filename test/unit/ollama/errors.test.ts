import { describe, expect, it } from "vitest";
import {
  UpstreamConnectionError,
  UpstreamHttpError,
  UpstreamProtocolError,
  UpstreamTimeoutError,
  classifyHttpStatus,
  toUpstreamError,
  type UpstreamErrorKind,
} from "../../../src/ollama/errors.js";

describe("classifyHttpStatus", () => {
  const cases: Array<{ status: number; message: string; kind: UpstreamErrorKind }> = [
    { status: 404, message: 'model "llama9" not found, try pulling it first', kind: "model_not_found" },
    { status: 400, message: "registry.ollama.ai/library/gemma:2b does not support tools", kind: "capability_missing" },
    { status: 400, message: '"all-minilm" does not support generate', kind: "capability_missing" },
    { status: 400, message: "invalid options: num_ctx", kind: "bad_request" },
    { status: 400, message: "", kind: "bad_request" },
    { status: 503, message: "server busy, please try again.  maximum pending requests exceeded", kind: "busy" },
    { status: 429, message: "too many requests", kind: "rate_limited" },
    { status: 500, message: "llama runner process has terminated", kind: "server_error" },
    { status: 502, message: "bad gateway", kind: "server_error" },
    { status: 504, message: "", kind: "server_error" },
    { status: 418, message: "I'm a teapot", kind: "http_other" },
    { status: 401, message: "unauthorized", kind: "http_other" },
    // Only 400s are inspected for the capability text.
    { status: 500, message: "model does not support tools", kind: "server_error" },
  ];

  it.each(cases)("$status $message -> $kind", ({ status, message, kind }) => {
    expect(classifyHttpStatus(status, message)).toBe(kind);
  });

  it("UpstreamHttpError carries the classification, status, message and Retry-After", () => {
    const error = new UpstreamHttpError(503, "server busy", 7);
    expect(error).toMatchObject({
      kind: "busy",
      origin: "upstream",
      status: 503,
      ollamaMessage: "server busy",
      retryAfterSeconds: 7,
      name: "UpstreamHttpError",
    });
  });
});

describe("toUpstreamError", () => {
  /** A Node/undici-shaped error: an Error with a string `code`. */
  const coded = (code: string, message = `${code} happened`): Error => Object.assign(new Error(message), { code });

  const unreachable = ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"];

  it.each(unreachable)("%s -> UpstreamConnectionError (unreachable, local origin)", (code) => {
    const original = coded(code);
    const mapped = toUpstreamError(original);
    expect(mapped).toBeInstanceOf(UpstreamConnectionError);
    expect(mapped).toMatchObject({ kind: "unreachable", origin: "local", code, cause: original });
  });

  it("maps a bare object with only a code", () => {
    const mapped = toUpstreamError({ code: "ECONNREFUSED" });
    expect(mapped).toBeInstanceOf(UpstreamConnectionError);
    expect(mapped).toMatchObject({ code: "ECONNREFUSED" });
  });

  const timeouts = [
    { code: "UND_ERR_HEADERS_TIMEOUT", phase: "headers" },
    { code: "UND_ERR_BODY_TIMEOUT", phase: "body" },
  ] as const;

  it.each(timeouts)("$code -> UpstreamTimeoutError phase $phase", ({ code, phase }) => {
    const original = coded(code);
    const mapped = toUpstreamError(original);
    expect(mapped).toBeInstanceOf(UpstreamTimeoutError);
    expect(mapped).toMatchObject({ kind: "timeout", origin: "local", phase, cause: original });
  });

  // A cancellation is the caller's decision: it must come back as itself, never as a backend failure.
  const unchanged: Array<{ name: string; error: unknown }> = [
    { name: "DOMException AbortError", error: new DOMException("x", "AbortError") },
    { name: "Error named AbortError", error: Object.assign(new Error("aborted"), { name: "AbortError" }) },
    { name: "AbortError with an unreachable code", error: Object.assign(new Error("aborted"), { name: "AbortError", code: "ECONNRESET" }) },
    { name: "UND_ERR_ABORTED", error: { code: "UND_ERR_ABORTED" } },
    { name: "unknown code", error: coded("EWHATEVER") },
    { name: "plain Error", error: new Error("boom") },
    { name: "numeric code", error: { code: 111 } },
    { name: "string", error: "boom" },
    { name: "null", error: null },
    { name: "undefined", error: undefined },
  ];

  it.each(unchanged)("$name is returned unchanged", ({ error }) => {
    expect(toUpstreamError(error)).toBe(error);
  });

  it("returns an UpstreamError unchanged", () => {
    const error = new UpstreamProtocolError("MISSING_DONE", "no done");
    expect(toUpstreamError(error)).toBe(error);
  });
});
