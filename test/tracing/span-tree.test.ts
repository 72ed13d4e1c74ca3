/**
 * Tracing end to end, in-process: the OpenTelemetry SDK (in-memory exporter,
 * started by setup-sdk.ts before grpc-js loads) records the span tree of
 * real RPCs through the real gateway to real simulators. The caller's trace
 * (W3C or B3 metadata) continues into the gateway's SERVER span, each
 * upstream attempt is a CLIENT span below it, and the Ollama request carries
 * that attempt's context.
 *
 * The test client's own calls run with tracing suppressed, so the
 * instrumented grpc-js client neither makes a span nor overwrites the trace
 * headers we send (except in the test that wants exactly that).
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import * as grpc from "@grpc/grpc-js";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createClient, Metadata, Status } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/ollama/v1/ollama.js";
import type { RecordedRequest } from "../../src/sim/stats.js";
import { expectStatus } from "../support/errors.js";
import { caught, collect, simIdle, startTestFleet, type TestFleet } from "../support/harness.js";
import { createRawClient, runRaw } from "../support/raw-grpc-client.js";
import { memoryExporter } from "./memory-exporter.js";

let fleet: TestFleet;

beforeAll(async () => {
  // b1 is the preferred tier, so calls go to b1 first and a retry goes to b2: attempt order is deterministic.
  fleet = await startTestFleet(
    { tokens: 4 },
    (config) => {
      config.backends = config.backends.map((backend, i) => ({ ...backend, priority: i }));
      config.retry.baseBackoffMs = 1;
      config.retry.maxBackoffMs = 1;
    },
    2,
  );
});
afterEach(() => {
  for (const sim of fleet.sims) sim.setFault("*", undefined);
});
afterAll(async () => {
  await fleet.close();
});

/** A fresh caller span context: random ids, sampled. */
function callerContext(): { traceId: string; spanId: string } {
  const hex = (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString("hex");
  return { traceId: hex(16), spanId: hex(8) };
}

/** Runs `fn` with tracing suppressed in the test process (the client makes no span and injects nothing). */
function untraced<T>(fn: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(ROOT_CONTEXT), fn);
}

const user = (content: string) => [{ role: Role.ROLE_USER, content }];
const servers = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.SERVER);
const attempts = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.CLIENT && s.attributes["gen_ai.operation.name"] !== undefined);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** The simulator requests to `path` that carry trace `traceId` (health checks and catalogue polls carry none). */
function upstreamRequests(path: string, traceId: string): RecordedRequest[] {
  return fleet.sims.flatMap((sim) => sim.requests()).filter((r) => r.path === path && String(r.headers.traceparent ?? "").includes(traceId));
}

/** traceparent "00-<trace>-<parent>-<flags>" split. */
function traceparentOf(request: RecordedRequest): { traceId: string; parentId: string; flags: string } {
  const [, traceId = "", parentId = "", flags = ""] = String(request.headers.traceparent).split("-");
  return { traceId, parentId, flags };
}

/** Waits for the trace's SERVER span and `attemptCount` ended attempt spans. */
function traceOf(traceId: string, attemptCount = 1): Promise<ReadableSpan[]> {
  return memoryExporter.spansOf(traceId, (spans) => servers(spans).length === 1 && attempts(spans).length === attemptCount);
}

describe("trace continuation", () => {
  it("continues the caller's W3C trace: caller -> SERVER span -> attempt CLIENT span -> the Ollama request", async () => {
    const caller = callerContext();
    const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-01`, tracestate: "vendor=opaque", baggage: "tenant=acme" });
    await untraced(() => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") }, { metadata })));

    const spans = await traceOf(caller.traceId);
    const [server] = servers(spans);
    const [attempt] = attempts(spans);
    expect(server!.name).toBe("grpc.ollama.v1.OllamaService/Chat");
    expect(parentOf(server!)).toBe(caller.spanId);
    expect(server!.parentSpanContext?.isRemote).toBe(true);
    expect(server!.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.service": "ollama.v1.OllamaService", "rpc.method": "Chat", "rpc.grpc.status_code": 0 });
    expect(attempt!.name).toBe("chat llama3.2");
    expect(parentOf(attempt!)).toBe(server!.spanContext().spanId);

    const [request] = upstreamRequests("/api/chat", caller.traceId);
    expect(traceparentOf(request!)).toEqual({ traceId: caller.traceId, parentId: attempt!.spanContext().spanId, flags: "01" });
    expect(request!.headers.tracestate).toBe("vendor=opaque");
    expect(request!.headers.baggage).toBe("tenant=acme");
  });

  it("continues a B3 multi-header trace (Envoy, Istio)", async () => {
    const caller = callerContext();
    const metadata = Metadata({ "x-b3-traceid": caller.traceId, "x-b3-spanid": caller.spanId, "x-b3-sampled": "1" });
    await untraced(() => collect(fleet.client.generate({ model: "llama3.2", prompt: "hi" }, { metadata })));

    const spans = await traceOf(caller.traceId);
    const [server] = servers(spans);
    const [attempt] = attempts(spans);
    expect(parentOf(server!)).toBe(caller.spanId);
    expect(parentOf(attempt!)).toBe(server!.spanContext().spanId);
    const [request] = upstreamRequests("/api/generate", caller.traceId);
    expect(traceparentOf(request!).parentId).toBe(attempt!.spanContext().spanId);
    // The default propagators also inject B3, as the single `b3` header.
    expect(request!.headers.b3).toBe(`${caller.traceId}-${attempt!.spanContext().spanId}-1`);
  });

  it("continues a B3 single-header trace", async () => {
    const caller = callerContext();
    const metadata = Metadata({ b3: `${caller.traceId}-${caller.spanId}-1` });
    await untraced(() => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") }, { metadata })));
    const [server] = servers(await traceOf(caller.traceId));
    expect(parentOf(server!)).toBe(caller.spanId);
  });

  it("when W3C and B3 headers name different traces, the format listed last (B3 by default) wins", async () => {
    const w3c = callerContext();
    const b3 = callerContext();
    const metadata = Metadata({ traceparent: `00-${w3c.traceId}-${w3c.spanId}-01`, b3: `${b3.traceId}-${b3.spanId}-1` });
    await untraced(() => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") }, { metadata })));
    const [server] = servers(await traceOf(b3.traceId));
    expect(parentOf(server!)).toBe(b3.spanId);
    expect(memoryExporter.getFinishedSpans().filter((s) => s.spanContext().traceId === w3c.traceId)).toEqual([]);
  });

  it("starts a new trace when the caller sends none", async () => {
    const before = new Set(memoryExporter.getFinishedSpans().map((s) => s.spanContext().spanId));
    await untraced(() => fleet.client.embed({ model: "all-minilm", input: ["a"] }));
    const server = await memoryExporter.waits.until("the Embed server span", () =>
      memoryExporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.name.endsWith("/Embed") && !before.has(s.spanContext().spanId)),
    );
    expect(server.parentSpanContext).toBeUndefined();
    const spans = await traceOf(server.spanContext().traceId);
    expect(parentOf(attempts(spans)[0]!)).toBe(server.spanContext().spanId);
  });

  it("makes exactly one SERVER span per RPC, also when the caller is instrumented too", async () => {
    // No suppression: the in-process grpc-js client makes its own CLIENT span and sends its traceparent.
    const caller = trace.wrapSpanContext({ ...callerContext(), traceFlags: TraceFlags.SAMPLED, isRemote: true });
    await context.with(trace.setSpan(ROOT_CONTEXT, caller), () => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") })));
    const traceId = caller.spanContext().traceId;
    const spans = await memoryExporter.spansOf(traceId, (all) => all.length === 3);
    const grpcClient = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === "grpc.ollama.v1.OllamaService/Chat");
    expect(servers(spans)).toHaveLength(1);
    expect(parentOf(grpcClient!)).toBe(caller.spanContext().spanId);
    expect(parentOf(servers(spans)[0]!)).toBe(grpcClient!.spanContext().spanId);
  });

  it("does not trace health checks", async () => {
    const health = createClient(HealthDefinition, fleet.channel);
    await untraced(() => health.check({ service: "" }));
    // A unary server span ends before its answer is sent: had there been one, it would be exported by now.
    expect(memoryExporter.getFinishedSpans().filter((s) => s.name.startsWith("grpc.grpc.health.v1.Health"))).toEqual([]);
  });

  it("propagates a sampled-out caller's decision: nothing recorded, the trace still reaches Ollama", async () => {
    const caller = callerContext();
    const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-00` });
    await untraced(() => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") }, { metadata })));
    const [request] = upstreamRequests("/api/chat", caller.traceId);
    expect(traceparentOf(request!)).toMatchObject({ traceId: caller.traceId, flags: "00" });
    expect(memoryExporter.getFinishedSpans().filter((s) => s.spanContext().traceId === caller.traceId)).toEqual([]);
  });
});

describe("attempt spans", () => {
  it("carry the GenAI attributes and one first-token event (Generate)", async () => {
    const caller = callerContext();
    const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-01` });
    const messages = await untraced(() =>
      collect(fleet.client.generate({ model: "llama3.2", prompt: "hi", options: { numPredict: 3, temperature: 0.5, seed: 9 } }, { metadata })),
    );
    const final = messages.at(-1)!;
    const [attempt] = attempts(await traceOf(caller.traceId));
    expect(attempt!.name).toBe("text_completion llama3.2");
    expect(attempt!.kind).toBe(SpanKind.CLIENT);
    expect(attempt!.attributes).toMatchObject({
      "gen_ai.operation.name": "text_completion",
      "gen_ai.provider.name": "ollama",
      "gen_ai.system": "ollama",
      "gen_ai.request.model": "llama3.2",
      "gen_ai.request.stream": true,
      "gen_ai.request.max_tokens": 3,
      "gen_ai.request.temperature": 0.5,
      "gen_ai.request.seed": 9,
      "gen_ai.response.model": "llama3.2",
      "gen_ai.usage.input_tokens": final.usage!.promptEvalCount,
      "gen_ai.usage.output_tokens": 3,
      "gen_ai.response.finish_reasons": ["length"],
      "server.address": "127.0.0.1",
      "server.port": fleet.sims[0]!.port,
      "url.full": `${fleet.sims[0]!.url}/api/generate`,
      "ollama_grpc.backend": "b1",
      "ollama_grpc.attempt": 1,
    });
    expect(attempt!.attributes["gen_ai.response.time_to_first_chunk"]).toBeGreaterThan(0);
    expect(attempt!.status.code).toBe(SpanStatusCode.UNSET);
    expect(attempt!.events.map((e) => e.name)).toEqual(["gen_ai.first_token"]);
  });

  it("Embed: operation embeddings, input tokens, no first-token event", async () => {
    const caller = callerContext();
    const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-01` });
    const response = await untraced(() => fleet.client.embed({ model: "all-minilm", input: ["a", "b"], dimensions: 8 }, { metadata }));
    const [attempt] = attempts(await traceOf(caller.traceId));
    expect(attempt!.name).toBe("embeddings all-minilm");
    expect(attempt!.attributes).toMatchObject({
      "gen_ai.operation.name": "embeddings",
      "gen_ai.request.model": "all-minilm",
      "gen_ai.embeddings.dimension.count": 8,
      "gen_ai.usage.input_tokens": response.promptEvalCount,
    });
    expect(attempt!.attributes["gen_ai.request.stream"]).toBeUndefined();
    expect(attempt!.events).toEqual([]);
    expect(upstreamRequests("/api/embed", caller.traceId)).toHaveLength(1);
  });

  it("a retry is a sibling attempt span: the failed one ERROR, the retry OK, each Ollama request with its own parent", async () => {
    fleet.sims[0]!.setFault("*", { status: 503, message: "server busy, please try again.  maximum pending requests exceeded" });
    const caller = callerContext();
    const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-01` });
    const messages = await untraced(() => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") }, { metadata })));
    expect(messages.at(-1)?.backend).toBe("b2");

    const spans = await traceOf(caller.traceId, 2);
    const [server] = servers(spans);
    const [first, second] = attempts(spans).sort((a, b) => Number(a.attributes["ollama_grpc.attempt"]) - Number(b.attributes["ollama_grpc.attempt"]));
    expect(parentOf(first!)).toBe(server!.spanContext().spanId);
    expect(parentOf(second!)).toBe(server!.spanContext().spanId);
    expect(first!.attributes).toMatchObject({ "ollama_grpc.backend": "b1", "ollama_grpc.attempt": 1, "error.type": "busy", "http.response.status_code": 503 });
    expect(first!.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(first!.events).toEqual([]);
    expect(second!.attributes).toMatchObject({ "ollama_grpc.backend": "b2", "ollama_grpc.attempt": 2, "server.port": fleet.sims[1]!.port });
    expect(second!.status.code).toBe(SpanStatusCode.UNSET);
    expect(second!.events.map((e) => e.name)).toEqual(["gen_ai.first_token"]);

    const parents = upstreamRequests("/api/chat", caller.traceId).map((r) => traceparentOf(r).parentId);
    expect(parents.sort()).toEqual([first!.spanContext().spanId, second!.spanContext().spanId].sort());
  });

  it("a failure on every backend: ERROR attempt spans and the gRPC status on the SERVER span", async () => {
    for (const sim of fleet.sims) sim.setFault("*", { status: 500, message: "runner crashed" });
    const caller = callerContext();
    const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-01` });
    expectStatus(await untraced(() => caught(() => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") }, { metadata })))), Status.INTERNAL);
    const spans = await traceOf(caller.traceId, 2);
    for (const attempt of attempts(spans)) {
      expect(attempt.attributes).toMatchObject({ "error.type": "server_error", "http.response.status_code": 500 });
      expect(attempt.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "ollama returned HTTP 500: runner crashed" });
    }
    expect(servers(spans)[0]!.attributes["rpc.grpc.status_code"]).toBe(Status.INTERNAL);
  });

  it("a caller's cancel mid-stream ends the attempt as aborted (cancelled), not as an upstream error", async () => {
    fleet.sims[0]!.configure({ tokens: 1000, tokensPerSecond: 200 });
    try {
      const caller = callerContext();
      const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-01` });
      const controller = new AbortController();
      await untraced(() =>
        caught(async () => {
          for await (const message of fleet.client.chat({ model: "llama3.2", messages: user("hi") }, { metadata, signal: controller.signal })) {
            if (message.message?.content !== "") controller.abort();
          }
        }),
      );
      const [attempt] = attempts(await traceOf(caller.traceId));
      expect(attempt!.attributes["ollama_grpc.aborted"]).toBe("cancelled");
      expect(attempt!.attributes["error.type"]).toBeUndefined();
      expect(attempt!.status.code).toBe(SpanStatusCode.UNSET);
      expect(attempt!.events.map((e) => e.name)).toEqual(["gen_ai.first_token"]);
      await simIdle(fleet.sims[0]!, 5_000);
    } finally {
      fleet.sims[0]!.configure({ tokens: 4, tokensPerSecond: 0 });
    }
  });

  it("the caller's deadline (grpc-timeout) ends the attempt as aborted (deadline_exceeded)", async () => {
    fleet.sims[0]!.configure({ firstTokenMs: 5_000 });
    const raw = createRawClient(fleet.target);
    try {
      const caller = callerContext();
      const metadata = new grpc.Metadata();
      metadata.set("traceparent", `00-${caller.traceId}-${caller.spanId}-01`);
      // grpc-js stubs take (request, metadata, options); the harness's type declares only (request, options).
      const chat = raw.Chat.bind(raw) as unknown as (request: object, metadata: grpc.Metadata, options: grpc.CallOptions) => ReturnType<typeof raw.Chat>;
      const outcome = await untraced(() => runRaw(chat({ model: "llama3.2", messages: [{ role: "ROLE_USER", content: "hi" }] }, metadata, { deadline: Date.now() + 300 })));
      expect(outcome.error?.code).toBe(Status.DEADLINE_EXCEEDED);
      const [attempt] = attempts(await traceOf(caller.traceId));
      expect(attempt!.attributes["ollama_grpc.aborted"]).toBe("deadline_exceeded");
      expect(attempt!.status.code).toBe(SpanStatusCode.UNSET);
      expect(attempt!.events).toEqual([]);
      await simIdle(fleet.sims[0]!, 5_000);
    } finally {
      raw.close();
      fleet.sims[0]!.configure({ firstTokenMs: 0 });
    }
  });
});

describe("fleet-wide calls", () => {
  it("make one CLIENT span per backend, whose context reaches that backend", async () => {
    const caller = callerContext();
    const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-01` });
    await untraced(() => fleet.client.listModels({}, { metadata }));
    const spans = await memoryExporter.spansOf(caller.traceId, (all) => servers(all).length === 1 && all.length === 3);
    const [server] = servers(spans);
    const backendSpans = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(backendSpans.map((s) => s.name)).toEqual(["ollama list_models", "ollama list_models"]);
    expect(backendSpans.map((s) => s.attributes["ollama_grpc.backend"]).sort()).toEqual(["b1", "b2"]);
    for (const span of backendSpans) expect(parentOf(span)).toBe(server!.spanContext().spanId);
    const parents = upstreamRequests("/api/tags", caller.traceId).map((r) => traceparentOf(r).parentId);
    expect(parents.sort()).toEqual(backendSpans.map((s) => s.spanContext().spanId).sort());
  });
});

describe("access log and privacy", () => {
  it("the access log line carries the SERVER span's trace and span id", async () => {
    const caller = callerContext();
    const metadata = Metadata({ traceparent: `00-${caller.traceId}-${caller.spanId}-01`, "x-request-id": `req-${caller.spanId}` });
    await untraced(() => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") }, { metadata })));
    const [server] = servers(await traceOf(caller.traceId));
    const line = fleet.logs.records.find((r) => r.msg === "rpc" && r.requestId === `req-${caller.spanId}`);
    expect(line).toMatchObject({ traceId: caller.traceId, spanId: server!.spanContext().spanId });
  });

  it("no prompt, system prompt, message, image, tool text or credential appears in any span", async () => {
    const secret = "ZEBRA-7f3a9-UNIQUE";
    const image = Buffer.from(`${secret}-image-bytes`);
    const caller = callerContext();
    const metadata = Metadata({
      traceparent: `00-${caller.traceId}-${caller.spanId}-01`,
      authorization: `Bearer ${secret}-token`,
      "x-api-key": `${secret}-key`,
    });
    await untraced(async () => {
      await collect(
        fleet.client.chat(
          {
            model: "llama3.2",
            messages: [
              { role: Role.ROLE_SYSTEM, content: `${secret} system` },
              { role: Role.ROLE_USER, content: `${secret} user`, images: [image] },
              { role: Role.ROLE_ASSISTANT, content: `${secret} assistant`, thinking: `${secret} thinking` },
            ],
            tools: [{ function: { name: "lookup", description: `${secret} tool`, parameters: { type: "object" } } }],
            options: { stop: [`${secret} stop`] },
          },
          { metadata },
        ),
      );
      await collect(fleet.client.generate({ model: "llama3.2", prompt: `${secret} prompt`, system: `${secret} system`, images: [image] }, { metadata }));
      await fleet.client.embed({ model: "all-minilm", input: [`${secret} input`] }, { metadata });
    });
    const spans = await memoryExporter.spansOf(caller.traceId, (all) => servers(all).length === 3 && attempts(all).length === 3);
    const exported = JSON.stringify(
      spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status, links: s.links, resource: s.resource.attributes })),
    );
    expect(exported).toContain("chat llama3.2"); // the serialization did capture the spans
    expect(exported).not.toContain(secret);
    expect(exported).not.toContain(image.toString("base64").slice(0, 16));
  });
});
