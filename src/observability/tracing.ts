/**
 * Spans the gateway makes itself, through the OpenTelemetry API only (the
 * SDK, when tracing is on, is started by tracing-sdk.ts; without it every
 * call here is a cheap no-op). The server span of each RPC comes from
 * @opentelemetry/instrumentation-grpc; below it, one CLIENT span per
 * upstream attempt, following the GenAI semantic conventions, whose context
 * travels to Ollama in the request headers.
 *
 * Spans never carry prompts, messages, images, tool arguments or
 * credentials: only model names, token counts, finish reasons, sampling
 * parameters and the backend's address.
 */
import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";

/**
 * Attribute and event names. The GenAI names are copied from the
 * (experimental) semantic conventions, as their maintainers advise, so a
 * semconv release cannot rename them under us; a unit test checks them
 * against @opentelemetry/semantic-conventions/incubating.
 */
export const SpanNames = {
  GEN_AI_OPERATION_NAME: "gen_ai.operation.name",
  GEN_AI_PROVIDER_NAME: "gen_ai.provider.name",
  /** Deprecated alias of gen_ai.provider.name that many backends still read; set to the same value. */
  GEN_AI_SYSTEM: "gen_ai.system",
  GEN_AI_REQUEST_MODEL: "gen_ai.request.model",
  GEN_AI_REQUEST_STREAM: "gen_ai.request.stream",
  GEN_AI_REQUEST_MAX_TOKENS: "gen_ai.request.max_tokens",
  GEN_AI_REQUEST_TEMPERATURE: "gen_ai.request.temperature",
  GEN_AI_REQUEST_TOP_P: "gen_ai.request.top_p",
  GEN_AI_REQUEST_TOP_K: "gen_ai.request.top_k",
  GEN_AI_REQUEST_SEED: "gen_ai.request.seed",
  GEN_AI_REQUEST_FREQUENCY_PENALTY: "gen_ai.request.frequency_penalty",
  GEN_AI_REQUEST_PRESENCE_PENALTY: "gen_ai.request.presence_penalty",
  GEN_AI_EMBEDDINGS_DIMENSION_COUNT: "gen_ai.embeddings.dimension.count",
  GEN_AI_RESPONSE_MODEL: "gen_ai.response.model",
  GEN_AI_RESPONSE_FINISH_REASONS: "gen_ai.response.finish_reasons",
  GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: "gen_ai.response.time_to_first_chunk",
  GEN_AI_USAGE_INPUT_TOKENS: "gen_ai.usage.input_tokens",
  GEN_AI_USAGE_OUTPUT_TOKENS: "gen_ai.usage.output_tokens",
  SERVER_ADDRESS: "server.address",
  SERVER_PORT: "server.port",
  HTTP_REQUEST_METHOD: "http.request.method",
  HTTP_RESPONSE_STATUS_CODE: "http.response.status_code",
  URL_FULL: "url.full",
  ERROR_TYPE: "error.type",
  /** The backend's configured name. */
  BACKEND: "ollama_grpc.backend",
  /** The model a fleet-wide call is about (pull, delete, load...). */
  MODEL: "ollama_grpc.model",
  /** 1 for the first attempt of a call, 2 for its first retry, ... */
  ATTEMPT: "ollama_grpc.attempt",
  /** Why the gateway aborted the upstream request (caller cancel, deadline, shutdown...): not a backend fault. */
  ABORTED: "ollama_grpc.aborted",
  /** Event on an attempt span when Ollama's first chunk (first token) arrives. */
  EVENT_FIRST_TOKEN: "gen_ai.first_token",
} as const;

/** GenAI operation names (gen_ai.operation.name) of Ollama's inference endpoints. */
export type GenAiOperation = "chat" | "text_completion" | "embeddings";

/** The gen_ai.provider.name (and gen_ai.system) of every upstream span. */
export const PROVIDER = "ollama";

const TRACER_NAME = "ollama-grpc-gateway";

/**
 * Writes propagation headers into a plain header object. Empty values are
 * skipped: instrumentation-grpc reads an absent `tracestate` as empty, and
 * W3C treats an empty header as absent anyway.
 */
const headerSetter = {
  set(carrier: Record<string, string>, key: string, value: string): void {
    if (value !== "") carrier[key] = value;
  },
};

/** What an inference attempt is: known before the request is sent (the sampler sees it). */
export interface AttemptSpanStart {
  operation: GenAiOperation;
  /** The model as requested. */
  model: string;
  /** The backend's configured name and origin URL. */
  backend: string;
  url: string;
  /** The Ollama endpoint path, e.g. "/api/chat". */
  path: string;
  /** 1-based. */
  attempt: number;
  /** Request parameters (see genAiRequestAttributes). */
  requestAttributes?: Attributes;
}

/** What Ollama's final answer said. */
export interface AttemptResponse {
  model?: string | undefined;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  finishReason?: string | undefined;
}

/** Why an attempt failed. */
export interface AttemptFailure {
  /** Low-cardinality class (error.type), e.g. the upstream error kind. */
  type: string;
  message: string;
  httpStatus?: number | undefined;
}

/**
 * The span of one request to a backend. Exactly one of `succeed`, `fail`,
 * `abort` ends it (later calls do nothing). Never throws.
 */
export interface UpstreamSpan {
  /** Headers carrying the attempt's trace context to Ollama (traceparent, ...); undefined when there is nothing to send. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Ollama's first chunk arrived (call once; streams only). */
  firstToken(): void;
  /** Records Ollama's final answer (model, usage, finish reason). */
  response(response: AttemptResponse): void;
  succeed(): void;
  fail(failure: AttemptFailure): void;
  /** The gateway aborted the request for `why` (e.g. "cancelled", "deadline_exceeded"): recorded without an error status. */
  abort(why: string): void;
}

/** The span when nothing is traced or propagated. */
export const NOOP_SPAN: UpstreamSpan = {
  headers: undefined,
  firstToken() {},
  response() {},
  succeed() {},
  fail() {},
  abort() {},
};

/**
 * Starts the CLIENT span of one inference attempt (Generate, Chat, Embed on
 * one backend), named `{operation} {model}` per the GenAI conventions.
 */
export function startAttemptSpan(start: AttemptSpanStart): UpstreamSpan {
  return startUpstreamSpan(`${start.operation} ${start.model}`, attemptAttributes(start));
}

/**
 * Starts the CLIENT span of one backend's share of a fleet-wide call
 * (ListModels, PullModel, DeleteModel...), named `ollama {operation}`.
 */
export function startBackendCallSpan(operation: string, backend: string, url: string, model?: string): UpstreamSpan {
  const attributes: Attributes = { [SpanNames.BACKEND]: backend, ...serverAttributes(url) };
  if (model !== undefined && model !== "") attributes[SpanNames.MODEL] = model;
  return startUpstreamSpan(`ollama ${operation}`, attributes);
}

/**
 * Starts a CLIENT span as a child of the active span (the RPC's server span)
 * and injects its context into `headers` with the configured propagators.
 * Without an SDK this returns the shared no-op.
 */
function startUpstreamSpan(name: string, attributes: Attributes): UpstreamSpan {
  const parent = context.active();
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), headers, headerSetter);
  const carrier = Object.keys(headers).length > 0 ? headers : undefined;
  if (!span.isRecording()) return carrier === undefined ? NOOP_SPAN : { ...NOOP_SPAN, headers: carrier };
  return new RecordingSpan(span, carrier);
}

class RecordingSpan implements UpstreamSpan {
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly #span: Span;
  readonly #startedAt = performance.now();
  #ended = false;

  constructor(span: Span, headers: Record<string, string> | undefined) {
    this.#span = span;
    this.headers = headers;
  }

  firstToken(): void {
    if (this.#ended) return;
    this.#span.setAttribute(SpanNames.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - this.#startedAt) / 1000);
    this.#span.addEvent(SpanNames.EVENT_FIRST_TOKEN);
  }

  response(response: AttemptResponse): void {
    if (this.#ended) return;
    const attributes: Attributes = {};
    if (response.model !== undefined && response.model !== "") attributes[SpanNames.GEN_AI_RESPONSE_MODEL] = response.model;
    if (response.inputTokens !== undefined) attributes[SpanNames.GEN_AI_USAGE_INPUT_TOKENS] = response.inputTokens;
    if (response.outputTokens !== undefined) attributes[SpanNames.GEN_AI_USAGE_OUTPUT_TOKENS] = response.outputTokens;
    if (response.finishReason !== undefined && response.finishReason !== "") attributes[SpanNames.GEN_AI_RESPONSE_FINISH_REASONS] = [response.finishReason];
    this.#span.setAttributes(attributes);
  }

  succeed(): void {
    this.#end(() => undefined);
  }

  fail(failure: AttemptFailure): void {
    this.#end((span) => {
      span.setAttribute(SpanNames.ERROR_TYPE, failure.type);
      if (failure.httpStatus !== undefined) span.setAttribute(SpanNames.HTTP_RESPONSE_STATUS_CODE, failure.httpStatus);
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    });
  }

  abort(why: string): void {
    this.#end((span) => span.setAttribute(SpanNames.ABORTED, why));
  }

  #end(finish: (span: Span) => void): void {
    if (this.#ended) return;
    this.#ended = true;
    finish(this.#span);
    this.#span.end();
  }
}

function attemptAttributes(start: AttemptSpanStart): Attributes {
  return {
    [SpanNames.GEN_AI_OPERATION_NAME]: start.operation,
    [SpanNames.GEN_AI_PROVIDER_NAME]: PROVIDER,
    [SpanNames.GEN_AI_SYSTEM]: PROVIDER,
    [SpanNames.GEN_AI_REQUEST_MODEL]: start.model,
    ...start.requestAttributes,
    [SpanNames.HTTP_REQUEST_METHOD]: "POST",
    [SpanNames.BACKEND]: start.backend,
    [SpanNames.ATTEMPT]: start.attempt,
    ...serverAttributes(start.url, start.path),
  };
}

/** server.address, server.port (and url.full for `path`) of a backend URL: never its user info or query. */
function serverAttributes(url: string, path?: string): Attributes {
  try {
    const parsed = new URL(url);
    const port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
    const attributes: Attributes = { [SpanNames.SERVER_ADDRESS]: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), [SpanNames.SERVER_PORT]: port };
    if (path !== undefined) attributes[SpanNames.URL_FULL] = parsed.origin + path;
    return attributes;
  } catch {
    return {};
  }
}

/**
 * Sampling parameters of an Ollama request body's `options` as GenAI request
 * attributes (numbers only; stop sequences are left out as caller text).
 */
export function genAiRequestAttributes(body: { options?: unknown; stream?: unknown; dimensions?: unknown }, streaming: boolean): Attributes {
  const attributes: Attributes = {};
  if (streaming) attributes[SpanNames.GEN_AI_REQUEST_STREAM] = true;
  const options = typeof body.options === "object" && body.options !== null ? (body.options as Record<string, unknown>) : {};
  const numeric: Array<[string, unknown]> = [
    [SpanNames.GEN_AI_REQUEST_MAX_TOKENS, options.num_predict],
    [SpanNames.GEN_AI_REQUEST_TEMPERATURE, options.temperature],
    [SpanNames.GEN_AI_REQUEST_TOP_P, options.top_p],
    [SpanNames.GEN_AI_REQUEST_TOP_K, options.top_k],
    [SpanNames.GEN_AI_REQUEST_SEED, options.seed],
    [SpanNames.GEN_AI_REQUEST_FREQUENCY_PENALTY, options.frequency_penalty],
    [SpanNames.GEN_AI_REQUEST_PRESENCE_PENALTY, options.presence_penalty],
    [SpanNames.GEN_AI_EMBEDDINGS_DIMENSION_COUNT, body.dimensions],
  ];
  for (const [name, value] of numeric) if (typeof value === "number" && Number.isFinite(value)) attributes[name] = value;
  return attributes;
}

/** Trace and span id of the active span (the RPC's server span in handlers and middleware), when there is a valid one. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext !== undefined && isSpanContextValid(spanContext) ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : undefined;
}
