/**
 * The simulator (src/sim) writes lines the way Ollama does; every line it
 * streams, mapped to the proto by the gateway's upstream mapping and encoded
 * by this door, must come back byte for byte, and the accumulated stream
 * must equal the simulator's own `stream:false` body. Only `created_at` is
 * cut to milliseconds first (the proto timestamp travels as a Date), and for
 * the whole-body comparison the timing-dependent fields of the two separate
 * runs are blanked. The simulator listens on 127.0.0.1 only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatAccumulator, chatChunkJson, GenerateAccumulator, generateChunkJson } from "../../../../src/http/ollama/index.js";
import { goTimestamp } from "../../../../src/ollama/go-timestamp.js";
import type { OllamaChatChunk, OllamaGenerateChunk } from "../../../../src/ollama/types.js";
import { toChatResponse, toGenerateResponse } from "../../../../src/service/response-mapping.js";
import { startSimulator, type RunningSimulator } from "../../../../src/sim/index.js";

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ host: "127.0.0.1", firstTokenMs: 0, tokensPerSecond: 0, defaultLoadMs: 0, tokens: 6 });
});
afterAll(async () => {
  await sim.close();
});

async function post(path: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${sim.url}${path}`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.text();
}

/** The line with `created_at` as the gateway can carry it (millisecond precision). */
function toMilliseconds(line: string): string {
  return line.replace(/"created_at":"([^"]+)"/, (_all, at: string) => `"created_at":"${goTimestamp(new Date(at).getTime())}"`);
}

/** Blanks what differs between two runs of the same request: timestamps and measured durations. */
function untimed(body: string): string {
  return body.replace(/"created_at":"[^"]+"/, '"created_at":"T"').replace(/"(\w+_duration)":\d+/g, '"$1":0');
}

const GENERATE_REQUESTS: Array<[string, Record<string, unknown>]> = [
  ["plain", { model: "llama3.2", prompt: "Why is the sky blue?" }],
  ["thinking", { model: "qwen3", prompt: "What is 2+2?", think: true }],
  ["logprobs", { model: "llama3.2", prompt: "Count", logprobs: true, top_logprobs: 2 }],
  ["json format", { model: "llama3.2", prompt: "A person", format: "json" }],
  ["raw, length-limited", { model: "llama3.2", prompt: "Once", raw: true, options: { num_predict: 3 } }],
  ["load", { model: "llama3.2", prompt: "" }],
  ["unload", { model: "llama3.2", prompt: "", keep_alive: 0 }],
];

const CHAT_REQUESTS: Array<[string, Record<string, unknown>]> = [
  ["plain", { model: "llama3.2", messages: [{ role: "user", content: "Hello" }] }],
  ["thinking", { model: "qwen3", messages: [{ role: "user", content: "Hi" }], think: "high" }],
  [
    "tool call",
    {
      model: "qwen3",
      think: false,
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
    },
  ],
  ["logprobs", { model: "llama3.2", messages: [{ role: "user", content: "x" }], logprobs: true, top_logprobs: 1 }],
  ["schema format", { model: "llama3.2", messages: [{ role: "user", content: "x" }], format: { type: "object", properties: { a: { type: "string" } } } }],
  ["load", { model: "llama3.2", messages: [] }],
];

describe("generate against the simulator", () => {
  it.each(GENERATE_REQUESTS)("%s", async (_name, request) => {
    const streamed = (await post("/api/generate", request)).trimEnd().split("\n");
    const acc = new GenerateAccumulator();
    for (const line of streamed) {
      const message = toGenerateResponse(JSON.parse(line) as OllamaGenerateChunk, "b1");
      expect(generateChunkJson(message)).toBe(toMilliseconds(line));
      acc.add(message);
    }
    const whole = await post("/api/generate", { ...request, stream: false });
    expect(untimed(acc.json())).toBe(untimed(whole));
  });
});

describe("chat against the simulator", () => {
  it.each(CHAT_REQUESTS)("%s", async (_name, request) => {
    const streamed = (await post("/api/chat", request)).trimEnd().split("\n");
    const acc = new ChatAccumulator();
    for (const line of streamed) {
      const message = toChatResponse(JSON.parse(line) as OllamaChatChunk, "b1");
      expect(chatChunkJson(message)).toBe(toMilliseconds(line));
      acc.add(message);
    }
    const whole = await post("/api/chat", { ...request, stream: false });
    expect(untimed(acc.json())).toBe(untimed(whole));
  });

  it("the tool-call case really streamed a tool call", async () => {
    const text = await post("/api/chat", CHAT_REQUESTS[2]?.[1] ?? {});
    expect(text).toContain('"tool_calls":[{"id":"call_');
  });
});
