import { describe, expect, it } from "vitest";
import { ChatRequest, GenerateRequest, Role, ThinkLevel } from "../../../gen/ollama/v1/ollama.js";
import {
  ROLE_NAMES,
  toOllamaChatRequest,
  toOllamaFormat,
  toOllamaGenerateRequest,
  toOllamaKeepAlive,
  toOllamaThink,
} from "../../../src/service/request-mapping.js";

const MODEL = "llama3.2";
const generate = (partial: Parameters<typeof GenerateRequest.fromPartial>[0]) =>
  toOllamaGenerateRequest(GenerateRequest.fromPartial({ model: MODEL, prompt: "hi", ...partial }));
const chat = (partial: Parameters<typeof ChatRequest.fromPartial>[0]) =>
  toOllamaChatRequest(ChatRequest.fromPartial({ model: MODEL, ...partial }));

describe("toOllamaGenerateRequest", () => {
  it("sends only model, prompt and stream:true for a minimal request", () => {
    expect(generate({})).toStrictEqual({ model: MODEL, prompt: "hi", stream: true });
  });

  it("always streams, and keeps an empty prompt (a load request)", () => {
    expect(generate({ prompt: "" })).toStrictEqual({ model: MODEL, prompt: "", stream: true });
  });

  it("sends suffix, system, template, context and raw only when set", () => {
    expect(
      generate({ suffix: "}", system: "be terse", template: "{{ .Prompt }}", context: [1, 2, 3], raw: true }),
    ).toStrictEqual({
      model: MODEL,
      prompt: "hi",
      stream: true,
      suffix: "}",
      system: "be terse",
      template: "{{ .Prompt }}",
      context: [1, 2, 3],
      raw: true,
    });
  });

  it("encodes images as standard (not URL-safe) base64", () => {
    const body = generate({ images: [Buffer.from([0xfb, 0xff, 0xbf]), Buffer.from("abc")] });
    expect(body.images).toEqual(["+/+/", "YWJj"]);
  });

  it("encodes only the image's own bytes when it is a view into a larger buffer", () => {
    const view = Buffer.from("xxabcxx").subarray(2, 5);
    expect(generate({ images: [view] }).images).toEqual(["YWJj"]);
  });

  it("maps options, format, think, keep_alive, truncate, shift and logprobs", () => {
    const body = generate({
      options: { temperature: 0.2, stop: ["###"], extra: { mirostat: 1 } },
      format: { kind: { $case: "name", value: "json" } },
      think: { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_HIGH } },
      keepAlive: { seconds: 300, nanos: 0 },
      truncate: false,
      shift: true,
      logprobs: true,
      topLogprobs: 5,
    });
    expect(body).toStrictEqual({
      model: MODEL,
      prompt: "hi",
      stream: true,
      options: { mirostat: 1, temperature: 0.2, stop: ["###"] },
      format: "json",
      think: "high",
      keep_alive: 300,
      truncate: false,
      shift: true,
      logprobs: true,
      top_logprobs: 5,
    });
  });
});

describe("toOllamaChatRequest", () => {
  it("sends only model, messages and stream:true for a minimal request", () => {
    expect(chat({})).toStrictEqual({ model: MODEL, messages: [], stream: true });
  });

  const roles = [
    { role: Role.ROLE_SYSTEM, name: "system" },
    { role: Role.ROLE_USER, name: "user" },
    { role: Role.ROLE_ASSISTANT, name: "assistant" },
    { role: Role.ROLE_TOOL, name: "tool" },
  ];

  it.each(roles)("role $role -> $name", ({ role, name }) => {
    expect(chat({ messages: [{ role, content: "x" }] }).messages).toStrictEqual([{ role: name, content: "x" }]);
    expect(ROLE_NAMES.get(role)).toBe(name);
  });

  it("maps a full tool-calling conversation", () => {
    const body = chat({
      messages: [
        { role: Role.ROLE_SYSTEM, content: "You can call tools." },
        { role: Role.ROLE_USER, content: "Weather in Paris?", images: [Buffer.from("abc")] },
        {
          role: Role.ROLE_ASSISTANT,
          content: "",
          thinking: "I should call get_weather.",
          toolCalls: [
            { id: "call_abcd1234", function: { index: 0, name: "get_weather", arguments: { city: "Paris", days: 2 } } },
            { function: { index: 1, name: "get_time", arguments: {} } },
          ],
        },
        { role: Role.ROLE_TOOL, content: '{"temp":21}', toolName: "get_weather", toolCallId: "call_abcd1234" },
      ],
      tools: [
        {
          function: {
            name: "get_weather",
            description: "Current weather",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
        },
        { function: { name: "get_time" } },
      ],
    });
    expect(body).toStrictEqual({
      model: MODEL,
      stream: true,
      messages: [
        { role: "system", content: "You can call tools." },
        { role: "user", content: "Weather in Paris?", images: ["YWJj"] },
        {
          role: "assistant",
          content: "",
          thinking: "I should call get_weather.",
          tool_calls: [
            { id: "call_abcd1234", function: { index: 0, name: "get_weather", arguments: { city: "Paris", days: 2 } } },
            { function: { index: 1, name: "get_time", arguments: {} } },
          ],
        },
        { role: "tool", content: '{"temp":21}', tool_name: "get_weather", tool_call_id: "call_abcd1234" },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
        },
        { type: "function", function: { name: "get_time" } },
      ],
    });
  });

  it("gives a tool call without arguments an empty arguments object", () => {
    const body = chat({ messages: [{ role: Role.ROLE_ASSISTANT, toolCalls: [{ function: { name: "ping" } }] }] });
    expect(body.messages[0]?.tool_calls).toStrictEqual([{ function: { index: 0, name: "ping", arguments: {} } }]);
  });

  it("shares the common fields with Generate", () => {
    const body = chat({
      format: { kind: { $case: "jsonSchema", value: { type: "object" } } },
      think: { value: { $case: "enabled", value: false } },
      keepAlive: { seconds: -1, nanos: 0 },
      truncate: true,
      logprobs: true,
    });
    expect(body).toStrictEqual({
      model: MODEL,
      messages: [],
      stream: true,
      format: { type: "object" },
      think: false,
      keep_alive: -1,
      truncate: true,
      logprobs: true,
    });
  });

  const unset = [
    { name: "truncate and shift unset", partial: {} },
    { name: "logprobs false, top_logprobs 0", partial: { logprobs: false, topLogprobs: 0 } },
    { name: "options with nothing set", partial: { options: {} } },
    { name: "format without a kind", partial: { format: {} } },
    { name: "think without a value", partial: { think: {} } },
  ];

  it.each(unset)("omits keys when $name", ({ partial }) => {
    expect(chat(partial)).toStrictEqual({ model: MODEL, messages: [], stream: true });
  });
});

describe("toOllamaFormat", () => {
  const schema = { type: "object", properties: { age: { type: "integer" } }, required: ["age"] };
  const cases = [
    { name: "name json", format: { kind: { $case: "name" as const, value: "json" } }, expected: "json" },
    { name: "json_schema", format: { kind: { $case: "jsonSchema" as const, value: schema } }, expected: schema },
    { name: "json_schema without a value", format: { kind: { $case: "jsonSchema" as const, value: undefined } }, expected: {} },
    { name: "no kind", format: {}, expected: undefined },
    { name: "absent", format: undefined, expected: undefined },
  ];

  it.each(cases)("$name", ({ format, expected }) => {
    expect(toOllamaFormat(format)).toStrictEqual(expected);
  });
});

describe("toOllamaThink", () => {
  const cases = [
    { name: "enabled true", think: { value: { $case: "enabled" as const, value: true } }, expected: true },
    { name: "enabled false", think: { value: { $case: "enabled" as const, value: false } }, expected: false },
    { name: "level LOW", think: { value: { $case: "level" as const, value: ThinkLevel.THINK_LEVEL_LOW } }, expected: "low" },
    { name: "level MEDIUM", think: { value: { $case: "level" as const, value: ThinkLevel.THINK_LEVEL_MEDIUM } }, expected: "medium" },
    { name: "level HIGH", think: { value: { $case: "level" as const, value: ThinkLevel.THINK_LEVEL_HIGH } }, expected: "high" },
    { name: "level MAX", think: { value: { $case: "level" as const, value: ThinkLevel.THINK_LEVEL_MAX } }, expected: "max" },
    { name: "level UNSPECIFIED", think: { value: { $case: "level" as const, value: ThinkLevel.THINK_LEVEL_UNSPECIFIED } }, expected: undefined },
    { name: "no value", think: {}, expected: undefined },
    { name: "absent", think: undefined, expected: undefined },
  ];

  it.each(cases)("$name -> $expected", ({ think, expected }) => {
    expect(toOllamaThink(think)).toBe(expected);
  });
});

describe("toOllamaKeepAlive", () => {
  const cases = [
    { seconds: 300, nanos: 0, expected: 300 },
    { seconds: 1, nanos: 500_000_000, expected: 1.5 },
    { seconds: 0, nanos: 250_000_000, expected: 0.25 },
    { seconds: 0, nanos: 0, expected: 0 },
    { seconds: -1, nanos: 0, expected: -1 },
    { seconds: -300, nanos: 0, expected: -1 },
    { seconds: 0, nanos: -1, expected: -1 },
    { seconds: -2, nanos: -500_000_000, expected: -1 },
  ];

  it.each(cases)("{seconds: $seconds, nanos: $nanos} -> $expected", ({ seconds, nanos, expected }) => {
    expect(toOllamaKeepAlive({ seconds, nanos })).toBe(expected);
  });
});
