/**
 * Limits and quotas through the real gateway (memory store) in front of a
 * simulator: admission rejections carry QuotaFailure, RetryInfo and the
 * retry pushback; a token budget cuts a running stream at the message it
 * cannot cover and stops the Ollama request; slots come back when calls end.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Status, type Metadata } from "nice-grpc";
import { RichClientError, type QuotaFailure, type RetryInfo } from "nice-grpc-error-details";
import { Role } from "../../gen/ollama/v1/ollama.js";
import { caught, collect, simIdle, startTestFleet, type TestFleet } from "../support/harness.js";
import { errorInfoOf, expectStatus } from "../support/errors.js";
import { quotasFrom } from "../support/quotas.js";

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const user = (content: string) => [{ role: Role.ROLE_USER, content }];

function detail<T>(error: unknown, type: string): T {
  const found = (error instanceof RichClientError ? error.extra : []).find((d) => d.$type === type);
  expect(found, type).toBeDefined();
  return found as T;
}

/** Captures the trailers of a call. */
function withTrailer(metadata?: Metadata) {
  const trailer: { value?: Metadata } = {};
  return { options: { ...(metadata === undefined ? {} : { metadata }), onTrailer: (t: Metadata) => (trailer.value = t) }, trailer };
}

describe("quotas end to end (memory store)", () => {
  it("request rate: the burst is admitted, the next call is RESOURCE_EXHAUSTED with QuotaFailure, RetryInfo and pushback", async () => {
    fleet = await startTestFleet({ tokens: 2 }, (config) => {
      config.quotas = quotasFrom({ per_principal: { request_rate: "1/m", burst: 3 } });
    });
    for (let i = 0; i < 3; i++) await fleet.client.getVersion({});
    const { options, trailer } = withTrailer();
    const error = await caught(() => fleet!.client.getVersion({}, options));
    expectStatus(error, Status.RESOURCE_EXHAUSTED);
    expect(errorInfoOf(error)).toMatchObject({
      reason: "RATE_LIMITED",
      metadata: { subject: "principal:anonymous", limit: "request_rate", description: "request rate 1/m (burst 3)" },
    });
    const quota = detail<QuotaFailure>(error, "google.rpc.QuotaFailure");
    expect(quota.violations).toEqual([expect.objectContaining({ subject: "principal:anonymous", description: "request rate 1/m (burst 3) exceeded" })]);
    const retry = detail<RetryInfo>(error, "google.rpc.RetryInfo");
    const retryMs = Number(retry.retryDelay?.seconds ?? 0) * 1000 + (retry.retryDelay?.nanos ?? 0) / 1e6;
    // One token refills in 60 s; a little of it has passed already.
    expect(retryMs).toBeGreaterThan(55_000);
    expect(retryMs).toBeLessThanOrEqual(60_000);
    expect(Number(trailer.value?.get("grpc-retry-pushback-ms"))).toBe(Math.round(retryMs));
    const line = fleet.logs.records.find((r) => r.msg === "rpc" && r.code === "RESOURCE_EXHAUSTED");
    expect(line).toMatchObject({ errorReason: "RATE_LIMITED", method: "/ollama.v1.OllamaService/GetVersion" });
  });

  it("tokens per minute: a stream is cut at the first message over budget, and its Ollama request is stopped", async () => {
    // 40 tokens a minute; the prompt estimate takes ceil(8 chars / 4) = 2, leaving 38 for output.
    fleet = await startTestFleet({ tokens: 500, tokensPerSecond: 2_000 }, (config) => {
      config.quotas = quotasFrom({ per_principal: { tokens_per_minute: 40 }, token_reserve: 16 });
    });
    const received: unknown[] = [];
    const error = await caught(async () => {
      for await (const message of fleet!.client.chat({ model: "llama3.2", messages: user("12345678") })) received.push(message);
    });
    expectStatus(error, Status.RESOURCE_EXHAUSTED);
    expect(errorInfoOf(error)).toMatchObject({ reason: "TOKEN_BUDGET_EXHAUSTED", metadata: { midStream: "true", limit: "tokens_per_minute" } });
    expect(received).toHaveLength(38);
    await simIdle(fleet.sim, 2_000);
    expect(fleet.sim.stats()).toMatchObject({ abortedByClient: 1, completed: 0 });
    // The budget is spent: the next call is refused at admission.
    const next = await caught(() => collect(fleet!.client.chat({ model: "llama3.2", messages: user("again") })));
    expectStatus(next, Status.RESOURCE_EXHAUSTED);
    expect(errorInfoOf(next)).toMatchObject({ reason: "TOKEN_BUDGET_EXHAUSTED", metadata: { midStream: "false" } });
  });

  it("tokens per minute: an unpaced stream (many tokens per upstream read) is cut at exactly the same message", async () => {
    fleet = await startTestFleet({ tokens: 5_000, tokensPerSecond: 0 }, (config) => {
      config.quotas = quotasFrom({ per_principal: { tokens_per_minute: 40 }, token_reserve: 16 });
    });
    const received: unknown[] = [];
    const error = await caught(async () => {
      for await (const message of fleet!.client.chat({ model: "llama3.2", messages: user("12345678") })) received.push(message);
    });
    expect(errorInfoOf(error)).toMatchObject({ reason: "TOKEN_BUDGET_EXHAUSTED", metadata: { midStream: "true" } });
    expect(received).toHaveLength(38);
    const line = fleet.logs.records.find((r) => r.msg === "rpc" && r.method === "/ollama.v1.OllamaService/Chat");
    expect(line).toMatchObject({ code: "RESOURCE_EXHAUSTED", chunksOut: 38 });
  });

  it("a complete stream is charged Ollama's real counts, not the estimates", async () => {
    // 30 tokens a minute refill half a token a second; the test runs in well under a second, so counts stay exact.
    fleet = await startTestFleet({ tokens: 5, tokensPerSecond: 0 }, (config) => {
      config.quotas = quotasFrom({ per_principal: { tokens_per_minute: 30 }, token_reserve: 16 });
    });
    const messages = await collect(fleet.client.chat({ model: "llama3.2", messages: user("hello there") }));
    const usage = messages.at(-1)?.usage;
    const used = (usage?.promptEvalCount ?? 0) + (usage?.evalCount ?? 0);
    const left = 30 - used;
    expect(left).toBeGreaterThan(2);
    // A prompt estimated at one token more than what is left is refused at admission...
    const refused = await caught(() => collect(fleet!.client.generate({ model: "llama3.2", prompt: "x".repeat(4 * (left + 1)) })));
    expect(errorInfoOf(refused)).toMatchObject({ reason: "TOKEN_BUDGET_EXHAUSTED", metadata: { midStream: "false" } });
    // ...one estimated at exactly what is left is admitted, and then cut before its first token.
    const cut = await caught(() => collect(fleet!.client.generate({ model: "llama3.2", prompt: "x".repeat(4 * left) })));
    expect(errorInfoOf(cut)).toMatchObject({ reason: "TOKEN_BUDGET_EXHAUSTED", metadata: { midStream: "true" } });
  });

  it("concurrent streams: a second stream is refused while the first holds the slot; the slot returns when it ends", async () => {
    fleet = await startTestFleet({ tokens: 200, tokensPerSecond: 50 }, (config) => {
      config.quotas = quotasFrom({ per_principal: { concurrent_streams: 1 } });
    });
    const stop = new AbortController();
    const first = fleet.client.generate({ model: "llama3.2", prompt: "long" }, { signal: stop.signal })[Symbol.asyncIterator]();
    await first.next(); // admitted and streaming
    const error = await caught(() => collect(fleet!.client.generate({ model: "llama3.2", prompt: "second" })));
    expectStatus(error, Status.RESOURCE_EXHAUSTED);
    expect(errorInfoOf(error)).toMatchObject({ reason: "CONCURRENCY_LIMITED", metadata: { description: "1 concurrent stream" } });
    stop.abort();
    await simIdle(fleet.sim, 2_000);
    // Admitted again: its first message arrives (then it is cancelled; the slot is freed once more).
    const stopThird = new AbortController();
    const third = fleet.client.generate({ model: "llama3.2", prompt: "third" }, { signal: stopThird.signal })[Symbol.asyncIterator]();
    expect((await third.next()).done).toBe(false);
    stopThird.abort();
    await simIdle(fleet.sim, 2_000);
  });
});
