import { describe, expect, it } from "vitest";
import { Status, type CallContext, type ServerMiddlewareCall } from "nice-grpc";
import { BadRequest, ErrorInfo, RichServerError } from "nice-grpc-error-details";
import { EmbedResponse, ShowModelResponse } from "../../../gen/ollama/v1/ollama.js";
import { RESPONSE_TOO_LARGE, sendLimitMiddleware } from "../../../src/middleware/send-limit.js";

const PATH = "/ollama.v1.OllamaService/";

/** Runs the middleware around a fake handler that returns `response`. */
async function run(limit: number, method: string, request: unknown, response: unknown, responseStream = false): Promise<unknown> {
  const call = {
    method: { path: `${PATH}${method}`, requestStream: false, responseStream, options: {} },
    request,
    requestStream: false,
    responseStream,
    next: async function* () {
      return response;
    },
  } as unknown as ServerMiddlewareCall<unknown, unknown>;
  const generator = sendLimitMiddleware(limit)(call, {} as CallContext);
  let step = await generator.next();
  while (step.done !== true) step = await generator.next();
  return step.value;
}

async function rejection(promise: Promise<unknown>): Promise<RichServerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RichServerError);
    return error as RichServerError;
  }
  throw new Error("expected a RichServerError");
}

const embeddings = (count: number, dims: number) => EmbedResponse.fromPartial({ model: "m", embeddings: Array.from({ length: count }, () => ({ values: new Array(dims).fill(0.5) })) });

describe("sendLimitMiddleware", () => {
  it("passes a response within the limit through unchanged", async () => {
    const response = embeddings(10, 384);
    const size = EmbedResponse.encode(response).finish().length;
    expect(await run(size, "Embed", { input: new Array(10).fill("x") }, response)).toBe(response);
  });

  it("turns an oversized Embed response into RESOURCE_EXHAUSTED with the number of inputs that fit", async () => {
    const response = embeddings(100, 384);
    const size = EmbedResponse.encode(response).finish().length;
    const error = await rejection(run(64 * 1024, "Embed", { input: new Array(100).fill("x") }, response));
    expect(error.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(error.details).toBe(`Embed response is ${size} bytes, over the 65536-byte limit on sent messages (transport.max_send_message_bytes): 100 inputs give a ${size}-byte response; send at most 42 inputs per call (or fewer dimensions)`);
    expect(error.extra).toEqual([
      ErrorInfo.fromPartial({ reason: RESPONSE_TOO_LARGE, domain: "ollama-grpc-gateway", metadata: { method: "Embed", responseBytes: String(size), limitBytes: "65536" } }),
      BadRequest.fromPartial({ fieldViolations: [{ field: "input", description: expect.stringContaining("at most 42 inputs") }] }),
    ]);
    // The advice holds: 42 vectors fit.
    expect(EmbedResponse.encode(embeddings(42, 384)).finish().length).toBeLessThanOrEqual(64 * 1024);
  });

  it("advises a verbose ShowModel to drop verbose", async () => {
    const response = ShowModelResponse.fromPartial({ modelInfo: { "tokenizer.ggml.tokens": Array.from({ length: 5000 }, (_, i) => `token-${i}`) } });
    const error = await rejection(run(16 * 1024, "ShowModel", { model: "m", verbose: true }, response));
    expect(error.extra[1]).toEqual(BadRequest.fromPartial({ fieldViolations: [{ field: "verbose", description: "the verbose model_info does not fit; call without verbose" }] }));
  });

  it("leaves streaming methods alone", async () => {
    const chunk = { response: "x".repeat(1000) };
    expect(await run(10, "Generate", {}, chunk, true)).toBe(chunk);
  });
});
