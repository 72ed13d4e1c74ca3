/**
 * Tracing off (no SDK, the default): nothing is started, spans are shared
 * no-ops, no header reaches Ollama and the access log has no trace ids. The
 * GenAI attribute names match the semantic conventions package.
 */
import { trace } from "@opentelemetry/api";
import * as semconv from "@opentelemetry/semantic-conventions";
import * as incubating from "@opentelemetry/semantic-conventions/incubating";
import { describe, expect, it } from "vitest";
import { shutdownTracing, startTracing, tracingStatus } from "../../../src/observability/tracing-sdk.js";
import { activeTraceIds, genAiRequestAttributes, NOOP_SPAN, SpanNames, startAttemptSpan, startBackendCallSpan } from "../../../src/observability/tracing.js";

describe("with tracing off", () => {
  it("startTracing starts no SDK when the environment leaves tracing off", async () => {
    const settings = await startTracing({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" } });
    expect(settings.enabled).toBe(false);
    expect(tracingStatus()).toBe(settings);
    expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false); // no tracer provider registered
    expect(await shutdownTracing()).toBe("off");
  });

  it("upstream spans are the shared no-op and send no headers", () => {
    const attempt = startAttemptSpan({ operation: "chat", model: "llama3.2", backend: "b1", url: "http://127.0.0.1:11434", path: "/api/chat", attempt: 1 });
    expect(attempt).toBe(NOOP_SPAN);
    expect(attempt.headers).toBeUndefined();
    expect(startBackendCallSpan("list_models", "b1", "http://127.0.0.1:11434")).toBe(NOOP_SPAN);
    expect(activeTraceIds()).toBeUndefined();
  });
});

describe("attribute names", () => {
  it("match @opentelemetry/semantic-conventions", () => {
    const expected: Record<string, string> = {
      GEN_AI_OPERATION_NAME: incubating.ATTR_GEN_AI_OPERATION_NAME,
      GEN_AI_PROVIDER_NAME: incubating.ATTR_GEN_AI_PROVIDER_NAME,
      GEN_AI_SYSTEM: incubating.ATTR_GEN_AI_SYSTEM,
      GEN_AI_REQUEST_MODEL: incubating.ATTR_GEN_AI_REQUEST_MODEL,
      GEN_AI_REQUEST_STREAM: incubating.ATTR_GEN_AI_REQUEST_STREAM,
      GEN_AI_REQUEST_MAX_TOKENS: incubating.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
      GEN_AI_REQUEST_TEMPERATURE: incubating.ATTR_GEN_AI_REQUEST_TEMPERATURE,
      GEN_AI_REQUEST_TOP_P: incubating.ATTR_GEN_AI_REQUEST_TOP_P,
      GEN_AI_REQUEST_TOP_K: incubating.ATTR_GEN_AI_REQUEST_TOP_K,
      GEN_AI_REQUEST_SEED: incubating.ATTR_GEN_AI_REQUEST_SEED,
      GEN_AI_REQUEST_FREQUENCY_PENALTY: incubating.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
      GEN_AI_REQUEST_PRESENCE_PENALTY: incubating.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
      GEN_AI_EMBEDDINGS_DIMENSION_COUNT: incubating.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
      GEN_AI_RESPONSE_MODEL: incubating.ATTR_GEN_AI_RESPONSE_MODEL,
      GEN_AI_RESPONSE_FINISH_REASONS: incubating.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
      GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: incubating.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
      GEN_AI_USAGE_INPUT_TOKENS: incubating.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
      GEN_AI_USAGE_OUTPUT_TOKENS: incubating.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
      SERVER_ADDRESS: semconv.ATTR_SERVER_ADDRESS,
      SERVER_PORT: semconv.ATTR_SERVER_PORT,
      HTTP_REQUEST_METHOD: semconv.ATTR_HTTP_REQUEST_METHOD,
      HTTP_RESPONSE_STATUS_CODE: semconv.ATTR_HTTP_RESPONSE_STATUS_CODE,
      URL_FULL: semconv.ATTR_URL_FULL,
      ERROR_TYPE: semconv.ATTR_ERROR_TYPE,
    };
    for (const [key, value] of Object.entries(expected)) expect(SpanNames[key as keyof typeof SpanNames], key).toBe(value);
    const operations = ["chat", "text_completion", "embeddings"];
    expect(operations).toEqual([
      incubating.GEN_AI_OPERATION_NAME_VALUE_CHAT,
      incubating.GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
      incubating.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
    ]);
  });

  it("request attributes keep numbers only (never stop sequences or other caller text)", () => {
    const attributes = genAiRequestAttributes(
      { options: { num_predict: 64, temperature: 0.2, top_p: 0.9, top_k: 40, seed: 7, stop: ["SECRET"], presence_penalty: "x" }, dimensions: 256 },
      true,
    );
    expect(attributes).toEqual({
      "gen_ai.request.stream": true,
      "gen_ai.request.max_tokens": 64,
      "gen_ai.request.temperature": 0.2,
      "gen_ai.request.top_p": 0.9,
      "gen_ai.request.top_k": 40,
      "gen_ai.request.seed": 7,
      "gen_ai.embeddings.dimension.count": 256,
    });
  });
});
