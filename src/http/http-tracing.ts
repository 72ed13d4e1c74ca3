/**
 * The SERVER span of an HTTP front-door request, the counterpart of the span
 * instrumentation-grpc makes for a gRPC call: it continues the caller's
 * trace (W3C or B3 headers, whatever propagator the SDK installed), is the
 * active span while the call runs (so the access log names it and the
 * upstream attempt spans are its children), and records the HTTP status.
 * It never carries the body. Without the SDK every call here is a no-op.
 */
import type { IncomingHttpHeaders } from "node:http";
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";

const TRACER_NAME = "ollama-grpc-gateway";

const headerGetter = {
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
  get(carrier: IncomingHttpHeaders, key: string): string | undefined {
    const value = carrier[key];
    return Array.isArray(value) ? value[0] : value;
  },
};

/** Runs `fn` inside a SERVER span named `METHOD route`; `fn` reports the HTTP status it answered with. */
export async function withHttpServerSpan(
  method: string,
  route: string,
  headers: IncomingHttpHeaders,
  fn: (span: Span) => Promise<number>,
): Promise<void> {
  const parent = propagation.extract(context.active(), headers, headerGetter);
  const span = trace.getTracer(TRACER_NAME).startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "http.route": route, "url.path": route } },
    parent,
  );
  try {
    const status = await context.with(trace.setSpan(parent, span), () => fn(span));
    span.setAttribute("http.response.status_code", status);
    // Per the HTTP conventions a server span is an error for 5xx only; 4xx are the client's.
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
