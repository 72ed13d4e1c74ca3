/**
 * Starts and stops the OpenTelemetry SDK (NodeSDK) for the process.
 *
 * `startTracing()` must run before `@grpc/grpc-js` is first loaded: the gRPC
 * instrumentation patches it as it is required, and a copy loaded earlier
 * stays unpatched (no server spans, silently). `bin/ollama-grpc.js` therefore
 * starts tracing and only then imports the CLI. Every OpenTelemetry SDK
 * package is imported dynamically here, so a process with tracing off (and
 * every client command) loads none of them.
 */
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { TextMapPropagator } from "@opentelemetry/api";
import { tracingSettings, type PropagatorName, type TracingSettings } from "./tracing-config.js";

/** Options for tests; production passes none. */
export interface StartTracingOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Span processors replacing the exporters the environment asks for (tests: an in-memory exporter). Tracing starts even when the environment leaves it off. */
  spanProcessors?: SpanProcessor[];
}

/**
 * gRPC methods that get no server span: health probes (every few seconds
 * from orchestrators) and the xDS streams of the discovery client. The
 * instrumentation matches the method name only (no service).
 */
const UNTRACED_METHODS = ["Check", "Watch", "StreamAggregatedResources", "StreamLoadStats"];

/** Upper bound on the final flush at shutdown. */
export const TRACING_SHUTDOWN_TIMEOUT_MS = 5_000;

let sdk: { shutdown(): Promise<void> } | undefined;
let settings: TracingSettings | undefined;

/**
 * Starts the SDK when the environment enables tracing (see tracing-config.ts),
 * once per process; later calls return the first call's settings. Rejects
 * when the SDK fails to start; tracing is then off, with that reason.
 */
export async function startTracing(options: StartTracingOptions = {}): Promise<TracingSettings> {
  if (settings !== undefined) return settings;
  const wanted = tracingSettings(options.env ?? process.env);
  const decided = options.spanProcessors === undefined ? wanted : { ...wanted, enabled: true, reason: "span processors given" };
  settings = decided;
  if (!decided.enabled) return decided;
  try {
    sdk = await startSdk(decided, options.spanProcessors);
  } catch (error) {
    settings = { ...decided, enabled: false, reason: `the SDK failed to start: ${error instanceof Error ? error.message : String(error)}` };
    throw error;
  }
  return decided;
}

async function startSdk(decided: TracingSettings, spanProcessors: SpanProcessor[] | undefined): Promise<{ shutdown(): Promise<void> }> {
  // The instrumentation hooks `require` as it is constructed, before the SDK's own exporters load grpc-js.
  const { GrpcInstrumentation } = await import("@opentelemetry/instrumentation-grpc");
  const grpc = new GrpcInstrumentation({ ignoreGrpcMethods: UNTRACED_METHODS });
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const started = new NodeSDK({
    serviceName: decided.serviceName,
    instrumentations: [grpc],
    textMapPropagator: await propagatorFor(decided.propagators),
    // undefined (OTLP over HTTP): the SDK builds the exporters from the same OTEL_* variables.
    ...(spanProcessors !== undefined ? { spanProcessors } : await processorsFor(decided)),
    // Traces only: without these the SDK would also start OTLP metric and log exporters.
    metricReaders: [],
    logRecordProcessors: [],
  });
  started.start();
  return started;
}

/** The settings tracing started with, or undefined before `startTracing()`. */
export function tracingStatus(): TracingSettings | undefined {
  return settings;
}

/**
 * Flushes pending spans and stops the SDK, waiting at most `timeoutMs`.
 * Resolves with what happened; never rejects. Idempotent.
 */
export async function shutdownTracing(timeoutMs = TRACING_SHUTDOWN_TIMEOUT_MS): Promise<"off" | "flushed" | "timed_out" | "failed"> {
  const running = sdk;
  if (running === undefined) return "off";
  sdk = undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timed_out">((resolve) => {
    timer = setTimeout(() => resolve("timed_out"), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([running.shutdown().then(() => "flushed" as const, () => "failed" as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The composite propagator for `names` (extraction: the last format present in the request wins); null for none. */
async function propagatorFor(names: readonly PropagatorName[]): Promise<TextMapPropagator | null> {
  if (names.length === 0) return null;
  const [core, b3] = await Promise.all([import("@opentelemetry/core"), import("@opentelemetry/propagator-b3")]);
  const propagators = names.map((name): TextMapPropagator => {
    switch (name) {
      case "tracecontext":
        return new core.W3CTraceContextPropagator();
      case "baggage":
        return new core.W3CBaggagePropagator();
      case "b3":
        return new b3.B3Propagator(); // extracts single and multi headers, injects the single `b3` header
      case "b3multi":
        return new b3.B3Propagator({ injectEncoding: b3.B3InjectEncoding.MULTI_HEADER });
    }
  });
  return new core.CompositePropagator({ propagators });
}

/**
 * Span processors for the configured exporters. OTLP over gRPC is built
 * here (the SDK's own default would be http/protobuf). For OTLP over HTTP
 * this returns no processors and the SDK builds every exporter from the same
 * variables itself (its reading of OTEL_TRACES_EXPORTER then applies: it
 * also knows zipkin).
 */
async function processorsFor(decided: TracingSettings): Promise<{ spanProcessors?: SpanProcessor[] }> {
  if (decided.exporters.includes("otlp") && decided.protocol !== "grpc") return {};
  const base = await import("@opentelemetry/sdk-trace-base");
  const spanProcessors: SpanProcessor[] = [];
  if (decided.exporters.includes("otlp")) {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-grpc");
    // Endpoint, headers, TLS, compression and timeout come from OTEL_EXPORTER_OTLP_* as usual.
    // OTEL_BSP_* apply: sdk-trace-base's BatchSpanProcessor reads them.
    spanProcessors.push(new base.BatchSpanProcessor(new OTLPTraceExporter()));
  }
  if (decided.exporters.includes("console")) spanProcessors.push(new base.SimpleSpanProcessor(new base.ConsoleSpanExporter()));
  return { spanProcessors };
}
