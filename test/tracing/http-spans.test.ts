/**
 * Tracing through the HTTP front doors: a caller's W3C trace continues into
 * the door's SERVER span (`POST /api/chat`, `POST /v1/chat/completions`),
 * each upstream attempt is a CLIENT span below it, and the access log names
 * that span, exactly as on the gRPC door.
 */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "../support/harness.js";
import { memoryExporter } from "./memory-exporter.js";

let fleet: TestFleet;
let base: string;

beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 3 }, (config) => {
    config.http.listen = "127.0.0.1:0";
  });
  base = `http://127.0.0.1:${fleet.gateway.httpPort}`;
});
afterAll(async () => {
  await fleet.close();
});

const hex = (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString("hex");
const attempts = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.CLIENT && s.attributes["gen_ai.operation.name"] !== undefined);
const servers = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.SERVER);

it.each([
  ["/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "hi" }] }, 200, 1],
  ["/v1/chat/completions", { model: "llama3.2", messages: [{ role: "user", content: "hi" }], stream: true }, 200, 1],
  // No backend holds the model: answered from the catalogue, without an upstream attempt.
  ["/api/chat", { model: "nope", messages: [{ role: "user", content: "hi" }] }, 404, 0],
] as const)("POST %s continues the caller's trace (status %d)", async (path, body, status, attemptCount) => {
  const traceId = hex(16);
  const parentId = hex(8);
  const response = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body), headers: { traceparent: `00-${traceId}-${parentId}-01` } });
  expect(response.status).toBe(status);
  await response.text();
  const spans = await memoryExporter.spansOf(traceId, (found) => servers(found).length === 1 && attempts(found).length === attemptCount);
  const [server] = servers(spans);
  const [attempt] = attempts(spans);
  expect(server!.name).toBe(`POST ${path}`);
  expect(server!.parentSpanContext?.spanId).toBe(parentId);
  expect(server!.attributes).toMatchObject({ "http.request.method": "POST", "http.route": path, "http.response.status_code": status });
  // 4xx are the client's errors: the server span stays unset, as the HTTP conventions say.
  expect(server!.status.code).toBe(SpanStatusCode.UNSET);
  if (attemptCount > 0) expect(attempt!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
  const line = fleet.logs.records.filter((r) => r.msg === "rpc").at(-1);
  expect(line).toMatchObject({ traceId, spanId: server!.spanContext().spanId });
});
