/**
 * Every row of the README's error table, end to end: the gRPC status, its
 * google.rpc details, and that nothing is left running on the backend.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status, type Metadata } from "nice-grpc";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { caught, collect, simIdle, startTestFleet, startTestGateway, type TestFleet } from "../support/harness.js";
import { unusedPort } from "../support/ports.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";

let fleet: TestFleet;

beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 6 }, (config) => {
    config.upstream.idleTimeoutMs = 300; // so a stalled stream trips the gateway's idle timeout quickly
  });
});
afterEach(() => {
  fleet.sim.setFault("*", undefined);
});
afterAll(async () => {
  await fleet.close();
});

const user = (content: string) => [{ role: Role.ROLE_USER, content }];

describe("validation (before any upstream call)", () => {
  it.each([
    ["missing model", { model: "", messages: user("hi") }, ["model"]],
    ["unknown role", { model: "llama3.2", messages: [{ role: 42 as Role, content: "x" }] }, ["messages[0].role"]],
    ["unset role", { model: "llama3.2", messages: [{ content: "x" }] }, ["messages[0].role"]],
    ["bad option values", { model: "llama3.2", messages: user("x"), options: { temperature: -1, topP: 2 } }, ["options.top_p", "options.temperature"]],
    ["image too large", { model: "llava", messages: [{ role: Role.ROLE_USER, content: "x", images: [Buffer.alloc(2048)] }] }, ["messages[0].images[0]"]],
    ["unknown format name", { model: "llama3.2", messages: user("x"), format: { kind: { $case: "name" as const, value: "yaml" } } }, ["format.name"]],
    ["top_logprobs out of range", { model: "llama3.2", messages: user("x"), logprobs: true, topLogprobs: 50 }, ["top_logprobs"]],
  ])("%s -> INVALID_ARGUMENT with BadRequest field violations", async (_name, request, fields) => {
    const tiny = await startTestGateway([fleet.sim.url], (config) => {
      config.limits.maxImageBytes = 1024;
    });
    try {
      const before = fleet.sim.stats().started;
      const error = await caught(() => collect(tiny.client.chat(request)));
      const details = expectStatus(error, Status.INVALID_ARGUMENT);
      const badRequest = details.find((d) => d.$type === "google.rpc.BadRequest") as
        | { fieldViolations: Array<{ field: string }> }
        | undefined;
      expect(badRequest?.fieldViolations.map((v) => v.field)).toEqual(fields);
      expect(fleet.sim.stats().started, "no request reached Ollama").toBe(before);
    } finally {
      await tiny.close();
    }
  });

  it("empty messages is valid: it loads the model", async () => {
    const messages = await collect(fleet.client.chat({ model: "llama3.2", messages: [] }));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ done: true, doneReason: "load" });
  });
});

describe("Ollama HTTP errors before the first token", () => {
  it("a model no backend holds -> NOT_FOUND / MODEL_NOT_FOUND, without asking Ollama", async () => {
    const before = fleet.sim.stats().started;
    const error = await caught(() => collect(fleet.client.chat({ model: "no-such-model", messages: user("hi") })));
    expectStatus(error, Status.NOT_FOUND);
    expect((error as ClientError).details).toBe("no backend has model 'no-such-model'");
    expect(errorInfoOf(error)).toMatchObject({ reason: "MODEL_NOT_FOUND", domain: "ollama-grpc-gateway", metadata: { model: "no-such-model" } });
    expect(fleet.sim.stats().started).toBe(before);
  });

  it("Ollama 404 (a stale catalogue) -> NOT_FOUND / MODEL_NOT_FOUND with Ollama's message", async () => {
    fleet.sim.setFault("*", { status: 404, message: "model 'llama3.2' not found" });
    const error = await caught(() => collect(fleet.client.chat({ model: "llama3.2", messages: user("hi") })));
    expectStatus(error, Status.NOT_FOUND);
    expect((error as ClientError).details).toBe("model 'llama3.2' not found");
    expect(errorInfoOf(error)).toMatchObject({ reason: "MODEL_NOT_FOUND", domain: "ollama-grpc-gateway", metadata: { backend: "b1", upstreamStatus: "404" } });
    fleet.sim.setFault("*", undefined);
    await fleet.gateway.fleet.poller.refresh(); // the 404 removed the model from b1's catalogue; learn it back
  });

  it("400 capability missing -> FAILED_PRECONDITION / MODEL_CAPABILITY_MISSING", async () => {
    const error = await caught(() =>
      collect(fleet.client.chat({ model: "llava", messages: user("hi"), tools: [{ function: { name: "f", parameters: { type: "object" } } }] })),
    );
    expectStatus(error, Status.FAILED_PRECONDITION);
    expect((error as ClientError).details).toMatch(/does not support tools/);
    expect(errorInfoOf(error).reason).toBe("MODEL_CAPABILITY_MISSING");
  });

  it("other 400 -> INVALID_ARGUMENT / UPSTREAM_INVALID_REQUEST", async () => {
    fleet.sim.setFault("*", { status: 400, message: "invalid model name" });
    const error = await caught(() => collect(fleet.client.generate({ model: "llama3.2", prompt: "x" })));
    expectStatus(error, Status.INVALID_ARGUMENT);
    expect((error as ClientError).details).toBe("invalid model name");
    expect(errorInfoOf(error).reason).toBe("UPSTREAM_INVALID_REQUEST");
  });

  it("503 server busy -> UNAVAILABLE with RetryInfo and grpc-retry-pushback-ms", async () => {
    fleet.sim.setFault("*", { status: 503, message: "server busy, please try again.  maximum pending requests exceeded" });
    let trailer: Metadata | undefined;
    const error = await caught(() => collect(fleet.client.generate({ model: "llama3.2", prompt: "x" }, { onTrailer: (t) => (trailer = t) })));
    const details = expectStatus(error, Status.UNAVAILABLE);
    expect((error as ClientError).details).toContain("server busy");
    expect(errorInfoOf(error).reason).toBe("BACKEND_BUSY");
    expect(details.find((d) => d.$type === "google.rpc.RetryInfo")).toMatchObject({ retryDelay: { seconds: 1, nanos: 0 } });
    expect(trailer?.get("grpc-retry-pushback-ms")).toBe("1000");
  });

  it("429 -> RESOURCE_EXHAUSTED / UPSTREAM_RATE_LIMITED", async () => {
    fleet.sim.setFault("*", { status: 429, message: "rate limit exceeded" });
    const error = await caught(() => collect(fleet.client.generate({ model: "llama3.2", prompt: "x" })));
    expectStatus(error, Status.RESOURCE_EXHAUSTED);
    expect(errorInfoOf(error).reason).toBe("UPSTREAM_RATE_LIMITED");
  });

  it("500 -> INTERNAL carrying Ollama's message", async () => {
    fleet.sim.setFault("*", { status: 500, message: "llama-server process has terminated: exit status 2" });
    const error = await caught(() => collect(fleet.client.generate({ model: "llama3.2", prompt: "x" })));
    expectStatus(error, Status.INTERNAL);
    expect((error as ClientError).details).toBe("backend b1: llama-server process has terminated: exit status 2");
    expect(errorInfoOf(error).reason).toBe("UPSTREAM_INTERNAL_ERROR");
  });
});

describe("transport failures", () => {
  it("connection refused -> UNAVAILABLE / BACKEND_UNREACHABLE", async () => {
    const port = await unusedPort();
    const gateway = await startTestGateway([`http://127.0.0.1:${port}`]);
    try {
      const error = await caught(() => collect(gateway.client.generate({ model: "llama3.2", prompt: "x" })));
      expectStatus(error, Status.UNAVAILABLE);
      expect(errorInfoOf(error)).toMatchObject({ reason: "BACKEND_UNREACHABLE", metadata: { backend: "b1" } });
    } finally {
      await gateway.close();
    }
  });

  it("connection dropped before the first token -> UNAVAILABLE / BACKEND_UNREACHABLE", async () => {
    fleet.sim.setFault("*", { dropAfterTokens: 0 });
    const error = await caught(() => collect(fleet.client.generate({ model: "llama3.2", prompt: "x" })));
    expectStatus(error, Status.UNAVAILABLE);
    expect(errorInfoOf(error).reason).toBe("BACKEND_UNREACHABLE");
  });

  it("the gateway's first-token timeout -> DEADLINE_EXCEEDED / UPSTREAM_TIMEOUT, and the request is aborted", async () => {
    const gateway = await startTestGateway([fleet.sim.url], (config) => {
      config.upstream.firstTokenTimeoutMs = 150;
    });
    fleet.sim.configure({ firstTokenMs: 5_000 });
    try {
      const error = await caught(() => collect(gateway.client.generate({ model: "llama3.2", prompt: "x" })));
      expectStatus(error, Status.DEADLINE_EXCEEDED);
      expect(errorInfoOf(error).reason).toBe("UPSTREAM_TIMEOUT");
      await simIdle(fleet.sim, 100);
    } finally {
      fleet.sim.configure({ firstTokenMs: 0 });
      await gateway.close();
    }
  });
});

describe("failures after tokens were sent end with UNAVAILABLE, never a clean end", () => {
  it.each([
    ["mid-stream error line", { errorAfterTokens: 3, message: "model runner has unexpectedly stopped" }, "UPSTREAM_INTERNAL_ERROR"],
    ["connection dropped", { dropAfterTokens: 3 }, "BACKEND_UNREACHABLE"],
    ["malformed line", { malformedAfterTokens: 3 }, "UPSTREAM_PROTOCOL_ERROR"],
    ["stream ends without done", { endWithoutDone: true }, "UPSTREAM_PROTOCOL_ERROR"],
    ["stalled stream (the gateway's idle timeout)", { stallAfterTokens: 3 }, "UPSTREAM_TIMEOUT"],
  ])("%s", async (_name, fault, cause) => {
    fleet.sim.setFault("*", fault);
    const received: string[] = [];
    const error = await caught(async () => {
      for await (const message of fleet.client.generate({ model: "llama3.2", prompt: "x" })) received.push(message.response);
    });
    expectStatus(error, Status.UNAVAILABLE);
    const info = errorInfoOf(error);
    const sent = "endWithoutDone" in fault ? 6 : 3;
    expect(received).toHaveLength(sent);
    expect(info).toMatchObject({
      reason: "UPSTREAM_STREAM_INTERRUPTED",
      metadata: { chunksSent: String(sent), backend: "b1", model: "llama3.2", cause },
    });
    expect((error as ClientError).details).toMatch(/interrupted after \d+ messages/);
    await simIdle(fleet.sim, 100);
  });
});

describe("access log", () => {
  it("writes one line per RPC with the outcome and never the prompt", async () => {
    const secret = "my-very-secret-prompt-text";
    await collect(fleet.client.generate({ model: "llama3.2", prompt: secret }, { metadata: undefined }));
    fleet.sim.setFault("*", { errorAfterTokens: 2 });
    await caught(() => collect(fleet.client.generate({ model: "llama3.2", prompt: secret })));
    const lines = fleet.logs.records.filter((r) => r.msg === "rpc" && r.method === "/ollama.v1.OllamaService/Generate");
    const [ok, failed] = lines.slice(-2);
    expect(ok).toMatchObject({ code: "OK", model: "llama3.2", backend: "b1", chunksOut: 7, doneReason: "stop", completionTokens: 6 });
    expect(ok!.ttftMs).toEqual(expect.any(Number));
    expect(ok!.durationMs).toEqual(expect.any(Number));
    expect(ok!.peer).toEqual(expect.stringContaining("127.0.0.1"));
    expect(failed).toMatchObject({ code: "UNAVAILABLE", chunksOut: 2, errorReason: "UPSTREAM_STREAM_INTERRUPTED" });
    expect(fleet.logs.text()).not.toContain(secret);
  });
});
