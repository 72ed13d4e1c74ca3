/**
 * The Ollama-compatible door against the real thing's wire format: the same
 * request sent to a simulator directly (which answers as Ollama does) and
 * through the gateway must give the same status, content type and body,
 * byte for byte once the clock-dependent fields are masked. Then the
 * official `ollama` npm client, pointed at the gateway, streams, aborts
 * (the simulator sees the request closed), fails with Ollama's statuses,
 * calls tools and authenticates with the gateway's API keys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ollama, type ChatResponse } from "ollama";
import { hashApiKey } from "../../src/auth/api-keys.js";
import { parseAuthConfig } from "../../src/config/auth-schema.js";
import { nextSimRequest, simIdle, startTestFleet, type TestFleet } from "../support/harness.js";

const KEY = "sk-ollama-door-test-key-0123456789";
let fleet: TestFleet;
let base: string;

beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 8, tokensPerSecond: 0 }, (config) => {
    config.http.listen = "127.0.0.1:0";
    config.management.enabled = true;
  });
  base = `http://127.0.0.1:${fleet.gateway.httpPort}`;
});
afterAll(async () => {
  await fleet?.close();
});

/** Masks what depends on the clock: timestamps and measured durations. */
function mask(text: string): string {
  return text
    .replace(/"(created_at|modified_at|expires_at)":"[^"]*"/g, '"$1":"T"')
    .replace(/"(total_duration|load_duration|prompt_eval_duration|eval_duration)":\d+/g, '"$1":0');
}

async function exchange(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  return { status: response.status, type: response.headers.get("content-type"), body: mask(await response.text()) };
}

const IMAGE = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex").toString("base64");

describe("byte compatibility with Ollama (the simulator answers as Ollama does)", () => {
  it.each([
    ["GET /", "GET", "/", undefined],
    ["HEAD /", "HEAD", "/", undefined],
    ["generate, streamed", "POST", "/api/generate", { model: "llama3.2", prompt: "Why is the sky blue?", options: { seed: 7, temperature: 0 } }],
    ["generate, not streamed", "POST", "/api/generate", { model: "llama3.2", prompt: "Why is the sky blue?", stream: false }],
    ["generate, raw with suffix", "POST", "/api/generate", { model: "qwen2.5-coder", prompt: "def f(", suffix: "return 1", stream: false }],
    ["generate, load shortcut", "POST", "/api/generate", { model: "llama3.2" }],
    ["chat, streamed", "POST", "/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "Hello" }] }],
    ["chat, not streamed", "POST", "/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "Hello" }], stream: false }],
    ["chat, thinking", "POST", "/api/chat", { model: "qwen3", messages: [{ role: "user", content: "Think" }], think: true }],
    ["chat, thinking level, not streamed", "POST", "/api/chat", { model: "qwen3", messages: [{ role: "user", content: "Think" }], think: "high", stream: false }],
    ["chat, JSON format", "POST", "/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "json" }], format: "json", stream: false }],
    [
      "chat, schema format",
      "POST",
      "/api/chat",
      { model: "llama3.2", messages: [{ role: "user", content: "x" }], format: { type: "object", properties: { a: { type: "integer" } }, required: ["a"] }, stream: false },
    ],
    [
      "chat, tools",
      "POST",
      "/api/chat",
      {
        model: "llama3.2",
        messages: [{ role: "user", content: "Weather in Paris?" }],
        tools: [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }],
      },
    ],
    ["chat, image", "POST", "/api/chat", { model: "llava", messages: [{ role: "user", content: "What is this?", images: [IMAGE] }], stream: false }],
    ["chat, logprobs", "POST", "/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "Hi" }], logprobs: true, top_logprobs: 2, stream: false }],
    ["embed", "POST", "/api/embed", { model: "all-minilm", input: ["one", "two"] }],
    ["embed, dimensions", "POST", "/api/embed", { model: "all-minilm", input: "one", dimensions: 8 }],
    ["show", "POST", "/api/show", { model: "llama3.2" }],
    ["tags", "GET", "/api/tags", undefined],
    ["ps", "GET", "/api/ps", undefined],
    ["pull, streamed", "POST", "/api/pull", { model: "llama3.2" }],
    ["pull, not streamed", "POST", "/api/pull", { model: "llama3.2", stream: false }],
    ["pull of a model the registry lacks", "POST", "/api/pull", { model: "no-such-model-xyz" }],
    ["version", "GET", "/api/version", undefined],
    ["unknown model", "POST", "/api/chat", { model: "nope", messages: [{ role: "user", content: "Hi" }] }],
    ["model missing", "POST", "/api/chat", { messages: [] }],
    ["bad JSON", "POST", "/api/chat", '{"model": "llama3.2", '],
    ["empty body", "POST", "/api/generate", ""],
    ["tools on a model without them", "POST", "/api/chat", { model: "llava", messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "f" } }] }],
    ["embedding model asked to generate", "POST", "/api/generate", { model: "all-minilm", prompt: "x" }],
    ["unknown path", "GET", "/api/nothing-here", undefined],
  ] as const)("%s", async (name, method, path, body) => {
    const direct = await exchange(fleet.sim.url, method, path, body);
    const gateway = await exchange(base, method, path, body);
    if (name === "tags") {
      // Every simulated model has the same modified time, and Ollama's order among equal times is arbitrary.
      const byName = (text: string) => JSON.stringify((JSON.parse(text) as { models: Array<{ name: string }> }).models.sort((a, b) => a.name.localeCompare(b.name)));
      expect(byName(gateway.body)).toBe(byName(direct.body));
      return;
    }
    expect(gateway).toEqual(direct);
  });
});

it("legacy /api/embeddings answers the same direction, normalized (the gateway computes it with /api/embed)", async () => {
  const body = { model: "all-minilm", prompt: "one" };
  const direct = (await (await fetch(`${fleet.sim.url}/api/embeddings`, { method: "POST", body: JSON.stringify(body) })).json()) as { embedding: number[] };
  const gateway = (await (await fetch(`${base}/api/embeddings`, { method: "POST", body: JSON.stringify(body) })).json()) as { embedding: number[] };
  expect(gateway.embedding).toHaveLength(direct.embedding.length);
  const norm = (v: number[]) => Math.hypot(...v);
  const cosine = direct.embedding.reduce((sum, x, i) => sum + x * (gateway.embedding[i] as number), 0) / (norm(direct.embedding) * norm(gateway.embedding));
  expect(cosine).toBeCloseTo(1, 5);
  expect(norm(gateway.embedding)).toBeCloseTo(1, 5);
});

describe("the official ollama npm client", () => {
  const client = () => new Ollama({ host: base });

  it("streams a chat; the parts add up to the simulator's answer", async () => {
    const parts: ChatResponse[] = [];
    for await (const part of await client().chat({ model: "llama3.2", messages: [{ role: "user", content: "Hello" }], stream: true })) parts.push(part);
    const direct = await new Ollama({ host: fleet.sim.url }).chat({ model: "llama3.2", messages: [{ role: "user", content: "Hello" }] });
    expect(parts.map((p) => p.message.content).join("")).toBe(direct.message.content);
    expect(parts.at(-1)).toMatchObject({ done: true, done_reason: "stop", eval_count: direct.eval_count });
  });

  it("returns tool calls", async () => {
    const response = await client().chat({
      model: "llama3.2",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string", description: "city" } }, required: ["city"] } } }],
    });
    expect(response.message.tool_calls?.[0]?.function.name).toBe("get_weather");
  });

  it("generates, embeds, lists, shows", async () => {
    const c = client();
    expect((await c.generate({ model: "llama3.2", prompt: "Hi" })).done).toBe(true);
    expect((await c.embed({ model: "all-minilm", input: ["a", "b"] })).embeddings).toHaveLength(2);
    expect((await c.list()).models.map((m) => m.name)).toContain("llama3.2:latest");
    expect((await c.show({ model: "llama3.2" })).capabilities).toContain("tools");
    expect(typeof (await c.ps()).models).toBe("object");
  });

  it("aborting the stream closes the Ollama request behind it", async () => {
    fleet.sim.configure({ tokens: 10_000, tokensPerSecond: 100 });
    try {
      const aborted = fleet.sim.stats().abortedByClient;
      const stream = await client().chat({ model: "llama3.2", messages: [{ role: "user", content: "A long story" }], stream: true });
      let received = 0;
      await expect(
        (async () => {
          for await (const _part of stream) {
            received += 1;
            if (received === 3) stream.abort();
          }
        })(),
      ).rejects.toThrow(/abort/i);
      await simIdle(fleet.sim, 1_000);
      expect(fleet.sim.stats().abortedByClient).toBe(aborted + 1);
    } finally {
      fleet.sim.configure({ tokens: 8, tokensPerSecond: 0 });
    }
  });

  it("aborting while waiting for the first token closes the Ollama request", async () => {
    fleet.sim.configure({ firstTokenMs: 30_000 });
    try {
      const aborted = fleet.sim.stats().abortedByClient;
      // Neither Ollama nor the gateway sends headers before the first token, and the ollama client can
      // only abort a stream whose headers arrived: a caller that gives up earlier aborts its fetch.
      const controller = new AbortController();
      const c = new Ollama({ host: base, fetch: (input, init) => fetch(input, { ...init, signal: controller.signal }) });
      const reached = nextSimRequest(fleet.sim, "/api/generate");
      const pending = c.generate({ model: "llama3.2", prompt: "slow", stream: true });
      await reached;
      controller.abort();
      await expect(pending).rejects.toThrow(/abort/i);
      await simIdle(fleet.sim, 1_000);
      expect(fleet.sim.stats().abortedByClient).toBe(aborted + 1);
    } finally {
      fleet.sim.configure({ firstTokenMs: 0 });
    }
  });

  it("surfaces Ollama's status codes and messages", async () => {
    const error = await client().chat({ model: "nope", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ResponseError", status_code: 404 });
    expect((error as Error).message).toMatch(/not found/);
  });

  it("logs and counts the call like a gRPC one, marked with its door", async () => {
    await client().chat({ model: "llama3.2", messages: [{ role: "user", content: "log me" }] });
    const line = fleet.logs.records.filter((r) => r.msg === "rpc").at(-1);
    expect(line).toMatchObject({ method: "/ollama.v1.OllamaService/Chat", door: "ollama", code: "OK", backend: "b1" });
    expect(line?.peer).toMatch(/^ipv4:127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(line)).not.toContain("log me");
  });
});

describe("with authentication", () => {
  let secured: TestFleet;
  beforeAll(async () => {
    secured = await startTestFleet({ tokens: 4, tokensPerSecond: 0 }, (config) => {
      config.http.listen = "127.0.0.1:0";
      const problems: string[] = [];
      config.auth = parseAuthConfig({ enabled: true, api_keys: [{ name: "team", tenant: "team-a", sha256: hashApiKey(KEY) }] }, (p) => problems.push(p));
      expect(problems).toEqual([]);
    });
  });
  afterAll(async () => {
    await secured?.close();
  });

  it("the gateway's API keys work as a bearer token; without one the client sees 401", async () => {
    const host = `http://127.0.0.1:${secured.gateway.httpPort}`;
    const ok = await new Ollama({ host, headers: { Authorization: `Bearer ${KEY}` } }).chat({ model: "llama3.2", messages: [{ role: "user", content: "x" }] });
    expect(ok.done).toBe(true);
    const denied = await new Ollama({ host }).chat({ model: "llama3.2", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(denied).toMatchObject({ name: "ResponseError", status_code: 401 });
  });
});
