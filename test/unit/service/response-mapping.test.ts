import { describe, expect, it } from "vitest";
import { Role } from "../../../gen/ollama/v1/ollama.js";
import type { OllamaChatChunk, OllamaGenerateChunk } from "../../../src/ollama/types.js";
import { nanosToDuration, toChatResponse, toGenerateResponse, toTimings, toUsage } from "../../../src/service/response-mapping.js";

const CREATED = "2024-05-06T07:08:09.123456789Z";
const BACKEND = "gpu-1";

describe("toGenerateResponse", () => {
  // Usage, timings, backend, done_reason and context belong to the final message only.
  it("maps a non-final chunk with no usage, timings, backend or context", () => {
    const chunk: OllamaGenerateChunk = {
      model: "llama3.2",
      created_at: CREATED,
      response: "Hel",
      thinking: "hmm",
      done: false,
      done_reason: "stop",
      context: [1, 2],
      eval_count: 3,
    };
    expect(toGenerateResponse(chunk, BACKEND)).toStrictEqual({
      model: "llama3.2",
      createdAt: new Date("2024-05-06T07:08:09.123Z"),
      response: "Hel",
      thinking: "hmm",
      toolCalls: [],
      logprobs: [],
      done: false,
      doneReason: "",
      usage: undefined,
      timings: undefined,
      backend: "",
      context: [],
    });
  });

  it("maps the final chunk with usage, timings as Durations, backend, done_reason and context", () => {
    const chunk: OllamaGenerateChunk = {
      model: "llama3.2",
      created_at: CREATED,
      response: "",
      done: true,
      done_reason: "length",
      context: [10, 20, 30],
      total_duration: 1_500_000_000,
      load_duration: 2_000_000,
      prompt_eval_count: 26,
      prompt_eval_duration: 130_000_001,
      eval_count: 290,
      eval_duration: 4_000_000_000,
    };
    expect(toGenerateResponse(chunk, BACKEND)).toStrictEqual({
      model: "llama3.2",
      createdAt: new Date("2024-05-06T07:08:09.123Z"),
      response: "",
      thinking: "",
      toolCalls: [],
      logprobs: [],
      done: true,
      doneReason: "length",
      usage: { promptEvalCount: 26, evalCount: 290 },
      timings: {
        totalDuration: { seconds: 1, nanos: 500_000_000 },
        loadDuration: { seconds: 0, nanos: 2_000_000 },
        promptEvalDuration: { seconds: 0, nanos: 130_000_001 },
        evalDuration: { seconds: 4, nanos: 0 },
      },
      backend: BACKEND,
      context: [10, 20, 30],
    });
  });

  it("gives a final chunk without metrics zero counts and unset durations", () => {
    const response = toGenerateResponse({ model: "m", created_at: CREATED, response: "", done: true }, BACKEND);
    expect(response.usage).toStrictEqual({ promptEvalCount: 0, evalCount: 0 });
    expect(response.timings).toStrictEqual({
      totalDuration: undefined,
      loadDuration: undefined,
      promptEvalDuration: undefined,
      evalDuration: undefined,
    });
    expect(response.doneReason).toBe("");
    expect(response.context).toEqual([]);
  });

  it("maps logprobs: bytes become a Buffer, top_logprobs nest", () => {
    const chunk: OllamaGenerateChunk = {
      model: "m",
      created_at: CREATED,
      response: "é",
      done: false,
      logprobs: [
        {
          token: "é",
          logprob: -0.25,
          bytes: [0xc3, 0xa9],
          top_logprobs: [
            { token: "é", logprob: -0.25, bytes: [0xc3, 0xa9] },
            { token: "e", logprob: -1.5, bytes: [0x65] },
          ],
        },
        { token: "!", logprob: -3 },
      ],
    };
    const { logprobs } = toGenerateResponse(chunk, BACKEND);
    expect(logprobs).toStrictEqual([
      {
        token: "é",
        logprob: -0.25,
        bytes: Buffer.from([0xc3, 0xa9]),
        topLogprobs: [
          { token: "é", logprob: -0.25, bytes: Buffer.from([0xc3, 0xa9]), topLogprobs: [] },
          { token: "e", logprob: -1.5, bytes: Buffer.from([0x65]), topLogprobs: [] },
        ],
      },
      { token: "!", logprob: -3, bytes: Buffer.alloc(0), topLogprobs: [] },
    ]);
    expect(Buffer.isBuffer(logprobs[0]?.bytes)).toBe(true);
  });

  it("maps tool calls with their arguments objects", () => {
    const chunk: OllamaGenerateChunk = {
      model: "m",
      created_at: CREATED,
      response: "",
      done: false,
      tool_calls: [{ id: "call_1", function: { index: 0, name: "add", arguments: { a: 1, b: [2, 3], c: { d: null } } } }],
    };
    expect(toGenerateResponse(chunk, BACKEND).toolCalls).toStrictEqual([
      { id: "call_1", function: { index: 0, name: "add", arguments: { a: 1, b: [2, 3], c: { d: null } } } },
    ]);
  });
});

describe("toChatResponse", () => {
  it("maps a non-final delta", () => {
    const chunk: OllamaChatChunk = {
      model: "qwen3",
      created_at: CREATED,
      message: { role: "assistant", content: "Hi", thinking: "greet" },
      done: false,
    };
    expect(toChatResponse(chunk, BACKEND)).toStrictEqual({
      model: "qwen3",
      createdAt: new Date("2024-05-06T07:08:09.123Z"),
      message: {
        role: Role.ROLE_ASSISTANT,
        content: "Hi",
        images: [],
        thinking: "greet",
        toolCalls: [],
        toolName: "",
        toolCallId: "",
      },
      logprobs: [],
      done: false,
      doneReason: "",
      usage: undefined,
      timings: undefined,
      backend: "",
    });
  });

  it("maps the final chunk and a message with tool calls", () => {
    const chunk: OllamaChatChunk = {
      model: "qwen3",
      created_at: CREATED,
      message: {
        role: "assistant",
        content: "",
        tool_calls: [
          { id: "call_x", function: { index: 0, name: "get_weather", arguments: { city: "Paris" } } },
          { function: { name: "get_time", arguments: {} } },
        ],
      },
      done: true,
      done_reason: "stop",
      eval_count: 12,
      eval_duration: 999_999_999,
    };
    const response = toChatResponse(chunk, BACKEND);
    expect(response.message?.toolCalls).toStrictEqual([
      { id: "call_x", function: { index: 0, name: "get_weather", arguments: { city: "Paris" } } },
      { id: "", function: { index: 0, name: "get_time", arguments: {} } },
    ]);
    expect(response).toMatchObject({
      done: true,
      doneReason: "stop",
      backend: BACKEND,
      usage: { promptEvalCount: 0, evalCount: 12 },
      timings: { evalDuration: { seconds: 0, nanos: 999_999_999 } },
    });
  });

  const roles = [
    { role: "system", expected: Role.ROLE_SYSTEM },
    { role: "user", expected: Role.ROLE_USER },
    { role: "assistant", expected: Role.ROLE_ASSISTANT },
    { role: "tool", expected: Role.ROLE_TOOL },
    { role: "developer", expected: Role.ROLE_UNSPECIFIED },
    { role: "", expected: Role.ROLE_UNSPECIFIED },
    { role: "Assistant", expected: Role.ROLE_UNSPECIFIED },
  ];

  it.each(roles)('role "$role" -> $expected', ({ role, expected }) => {
    const response = toChatResponse({ model: "m", created_at: CREATED, message: { role, content: "" }, done: false }, BACKEND);
    expect(response.message?.role).toBe(expected);
  });

  it("leaves message unset when the chunk has none", () => {
    expect(toChatResponse({ model: "m", created_at: CREATED, done: true }, BACKEND).message).toBeUndefined();
  });
});

describe("created_at", () => {
  const cases = [
    { text: "2024-05-06T07:08:09.123456789Z", expected: "2024-05-06T07:08:09.123Z" },
    { text: "2024-05-06T07:08:09.5Z", expected: "2024-05-06T07:08:09.500Z" },
    { text: "2024-07-22T20:46:24.870364-07:00", expected: "2024-07-23T03:46:24.870Z" },
    { text: "2024-05-06T07:08:09Z", expected: "2024-05-06T07:08:09.000Z" },
  ];

  it.each(cases)("$text -> $expected", ({ text, expected }) => {
    const response = toGenerateResponse({ model: "m", created_at: text, response: "", done: false }, BACKEND);
    expect(response.createdAt?.toISOString()).toBe(expected);
  });

  it("leaves an invalid or missing time unset", () => {
    const invalid = toGenerateResponse({ model: "m", created_at: "not a time", response: "", done: false }, BACKEND);
    expect(invalid.createdAt).toBeUndefined();
    const missing = toGenerateResponse({ response: "", done: false } as unknown as OllamaGenerateChunk, BACKEND);
    expect(missing.createdAt).toBeUndefined();
    expect(missing.model).toBe("");
  });
});

describe("nanosToDuration", () => {
  const cases = [
    { nanos: 0, expected: { seconds: 0, nanos: 0 } },
    { nanos: 1, expected: { seconds: 0, nanos: 1 } },
    { nanos: 999_999_999, expected: { seconds: 0, nanos: 999_999_999 } },
    { nanos: 1_000_000_000, expected: { seconds: 1, nanos: 0 } },
    { nanos: 1_500_000_000, expected: { seconds: 1, nanos: 500_000_000 } },
    { nanos: 3_600_000_000_123, expected: { seconds: 3600, nanos: 123 } },
    { nanos: undefined, expected: undefined },
    { nanos: Number.NaN, expected: undefined },
    { nanos: Number.POSITIVE_INFINITY, expected: undefined },
  ];

  it.each(cases)("$nanos ns -> $expected", ({ nanos, expected }) => {
    expect(nanosToDuration(nanos)).toStrictEqual(expected);
  });

  it("toUsage and toTimings read Ollama's metric names", () => {
    const metrics = { prompt_eval_count: 1, eval_count: 2, total_duration: 3, load_duration: 4, prompt_eval_duration: 5, eval_duration: 6 };
    expect(toUsage(metrics)).toStrictEqual({ promptEvalCount: 1, evalCount: 2 });
    expect(toTimings(metrics)).toStrictEqual({
      totalDuration: { seconds: 0, nanos: 3 },
      loadDuration: { seconds: 0, nanos: 4 },
      promptEvalDuration: { seconds: 0, nanos: 5 },
      evalDuration: { seconds: 0, nanos: 6 },
    });
  });
});
