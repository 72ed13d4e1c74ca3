/**
 * Generate and chat lines: an Ollama line mapped to the proto by the
 * gateway's upstream mapping (src/service/response-mapping.ts) and encoded
 * back by this door must be the very bytes Ollama wrote. The lines are
 * written as Go's json.Marshal writes api.GenerateResponse / api.ChatResponse
 * (field order, omitempty, HTML-safe escapes); `created_at` keeps at most
 * millisecond digits because the proto timestamp travels as a Date.
 */
import { describe, expect, it } from "vitest";
import { ChatAccumulator, chatChunkJson, GenerateAccumulator, generateChunkJson } from "../../../../src/http/ollama/index.js";
import type { OllamaChatChunk, OllamaGenerateChunk } from "../../../../src/ollama/types.js";
import { toChatResponse, toGenerateResponse } from "../../../../src/service/response-mapping.js";

const viaGenerate = (line: string) => toGenerateResponse(JSON.parse(line) as OllamaGenerateChunk, "b1");
const viaChat = (line: string) => toChatResponse(JSON.parse(line) as OllamaChatChunk, "b1");

const METRICS =
  '"total_duration":900000000,"load_duration":5000000,"prompt_eval_count":12,"prompt_eval_duration":40000000,"eval_count":2,"eval_duration":800000000';

const GENERATE_LINES: Array<[string, string]> = [
  ["token", '{"model":"llama3.2","created_at":"2026-01-01T00:00:00.1Z","response":"The","done":false}'],
  ["whole second", '{"model":"llama3.2","created_at":"2026-01-01T00:00:01Z","response":" sky","done":false}'],
  ["thinking", '{"model":"qwen3","created_at":"2026-01-01T00:00:00.123Z","response":"","thinking":"Let me","done":false}'],
  ["html-safe escapes", '{"model":"m","created_at":"2026-01-01T00:00:00.01Z","response":"\\u003cb\\u003eA \\u0026 B\\u003c/b\\u003e\\u2028\\n\\t\\"q\\"","done":false}'],
  ["unicode", '{"model":"m","created_at":"2026-01-01T00:00:00.5Z","response":"héllo 😀 日本","done":false}'],
  [
    "logprobs",
    '{"model":"m","created_at":"2026-01-01T00:00:00.2Z","response":" hi","done":false,"logprobs":[{"token":" hi","logprob":-0.25,"bytes":[32,104,105],"top_logprobs":[{"token":" hi","logprob":-0.25,"bytes":[32,104,105]},{"token":" yo","logprob":-1.5,"bytes":[32,121,111]}]}]}',
  ],
  ["final", `{"model":"llama3.2","created_at":"2026-01-01T00:00:00.3Z","response":"","done":true,"done_reason":"stop","context":[1,2,3],${METRICS}}`],
  ["final raw (no context), partial metrics", '{"model":"m","created_at":"2026-01-01T00:00:00.3Z","response":"","done":true,"done_reason":"length","total_duration":1,"eval_count":7}'],
  ["load", '{"model":"llama3.2","created_at":"2026-01-01T00:00:00.3Z","response":"","done":true,"done_reason":"load"}'],
  [
    "final with tool calls",
    `{"model":"m","created_at":"2026-01-01T00:00:00.3Z","response":"","done":true,"done_reason":"stop",${METRICS},"tool_calls":[{"id":"call_ab12cd34","function":{"index":0,"name":"f","arguments":{"z":1,"a":[true,null]}}}]}`,
  ],
];

const CHAT_LINES: Array<[string, string]> = [
  ["thinking", '{"model":"qwen3","created_at":"2026-01-01T00:00:00.1Z","message":{"role":"assistant","content":"","thinking":"Let me"},"done":false}'],
  ["content", '{"model":"qwen3","created_at":"2026-01-01T00:00:00.2Z","message":{"role":"assistant","content":"Hi"},"done":false}'],
  [
    "tool call",
    '{"model":"qwen3","created_at":"2026-01-01T00:00:00.3Z","message":{"role":"assistant","content":"","tool_calls":[{"id":"call_ab12cd34","function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo","days":3}}},{"function":{"index":1,"name":"now","arguments":{}}}]},"done":false}',
  ],
  ["logprobs", '{"model":"m","created_at":"2026-01-01T00:00:00.2Z","message":{"role":"assistant","content":"a"},"done":false,"logprobs":[{"token":"a","logprob":-0.001,"bytes":[97]}]}'],
  ["final", `{"model":"qwen3","created_at":"2026-01-01T00:00:00.4Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,${METRICS}}`],
  ["unload", '{"model":"llama3.2","created_at":"2026-01-01T00:00:00.4Z","message":{"role":"assistant","content":""},"done_reason":"unload","done":true}'],
  ["escapes", '{"model":"m","created_at":"2026-01-01T00:00:00.4Z","message":{"role":"assistant","content":"\\u003cthink\\u003e \\u0026amp;"},"done":false}'],
];

describe("stream lines", () => {
  it.each(GENERATE_LINES)("generate: %s", (_name, line) => {
    expect(generateChunkJson(viaGenerate(line))).toBe(line);
  });

  it.each(CHAT_LINES)("chat: %s", (_name, line) => {
    expect(chatChunkJson(viaChat(line))).toBe(line);
  });

  it("never writes the gateway's backend field", () => {
    const final = GENERATE_LINES.find(([name]) => name === "final")?.[1] ?? "";
    expect(viaGenerate(final).backend).toBe("b1");
    expect(generateChunkJson(viaGenerate(final))).not.toContain("b1");
  });

  it("writes Go's zero time when a message has no timestamp", () => {
    const message = { ...viaGenerate(GENERATE_LINES[0]?.[1] ?? ""), createdAt: undefined };
    expect(generateChunkJson(message)).toBe('{"model":"llama3.2","created_at":"0001-01-01T00:00:00Z","response":"The","done":false}');
  });
});

describe("stream:false bodies", () => {
  it("generate: concatenates text and logprobs, keeps the final line's metadata and tool calls", () => {
    const acc = new GenerateAccumulator();
    const lines = [
      '{"model":"qwen3","created_at":"2026-01-01T00:00:00.1Z","response":"","thinking":"Hmm, ","done":false}',
      '{"model":"qwen3","created_at":"2026-01-01T00:00:00.15Z","response":"","thinking":"ok.","done":false}',
      '{"model":"qwen3","created_at":"2026-01-01T00:00:00.2Z","response":"Hel","done":false,"logprobs":[{"token":"Hel","logprob":-0.5}]}',
      '{"model":"qwen3","created_at":"2026-01-01T00:00:00.25Z","response":"lo","done":false,"logprobs":[{"token":"lo","logprob":-0.75}]}',
      `{"model":"qwen3","created_at":"2026-01-01T00:00:00.3Z","response":"","done":true,"done_reason":"stop","context":[9,8],${METRICS}}`,
    ];
    for (const line of lines) acc.add(viaGenerate(line));
    expect(acc.json()).toBe(
      `{"model":"qwen3","created_at":"2026-01-01T00:00:00.3Z","response":"Hello","thinking":"Hmm, ok.","done":true,"done_reason":"stop","context":[9,8],${METRICS},"logprobs":[{"token":"Hel","logprob":-0.5},{"token":"lo","logprob":-0.75}]}`,
    );
  });

  it("chat: concatenates content and thinking, collects every tool call", () => {
    const acc = new ChatAccumulator();
    const lines = [
      '{"model":"qwen3","created_at":"2026-01-01T00:00:00.1Z","message":{"role":"assistant","content":"","thinking":"Call it."},"done":false}',
      '{"model":"qwen3","created_at":"2026-01-01T00:00:00.2Z","message":{"role":"assistant","content":"","tool_calls":[{"id":"call_1","function":{"index":0,"name":"f","arguments":{"x":1}}}]},"done":false}',
      '{"model":"qwen3","created_at":"2026-01-01T00:00:00.3Z","message":{"role":"assistant","content":"Done"},"done":false}',
      '{"model":"qwen3","created_at":"2026-01-01T00:00:00.3Z","message":{"role":"assistant","content":"!"},"done":false}',
      `{"model":"qwen3","created_at":"2026-01-01T00:00:00.4Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,${METRICS}}`,
    ];
    for (const line of lines) acc.add(viaChat(line));
    expect(acc.json()).toBe(
      `{"model":"qwen3","created_at":"2026-01-01T00:00:00.4Z","message":{"role":"assistant","content":"Done!","thinking":"Call it.","tool_calls":[{"id":"call_1","function":{"index":0,"name":"f","arguments":{"x":1}}}]},"done_reason":"stop","done":true,${METRICS}}`,
    );
  });

  it("a load-only answer is the single final object", () => {
    const acc = new ChatAccumulator();
    const line = '{"model":"llama3.2","created_at":"2026-01-01T00:00:00.4Z","message":{"role":"assistant","content":""},"done_reason":"load","done":true}';
    acc.add(viaChat(line));
    expect(acc.json()).toBe(line);
  });

  it("refuses to invent a body for an empty stream", () => {
    expect(() => new GenerateAccumulator().json()).toThrow(/no message/);
    expect(() => new ChatAccumulator().json()).toThrow(/no message/);
  });
});
