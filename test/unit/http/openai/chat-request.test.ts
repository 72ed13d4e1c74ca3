import { describe, expect, it } from "vitest";
import { Role, ThinkLevel, type ChatRequest } from "../../../../gen/ollama/v1/ollama.js";
import { parseChatCompletionRequest } from "../../../../src/http/openai/chat-request.js";

const USER = { role: "user", content: "hi" };

/** Parses a body object that must be valid; returns the proto request. */
function chat(body: Record<string, unknown>): ChatRequest {
  const parsed = parseChatCompletionRequest(JSON.stringify({ model: "m", messages: [USER], ...body }));
  if (!parsed.ok) throw new Error(`unexpected failure: ${parsed.body}`);
  return parsed.request;
}

/** Parses a body that must fail; returns status and error message. */
function failure(body: string | Record<string, unknown>): { status: number; message: string; type: string } {
  const parsed = parseChatCompletionRequest(typeof body === "string" ? body : JSON.stringify(body));
  if (parsed.ok) throw new Error("expected a failure");
  const error = JSON.parse(parsed.body).error;
  expect(error).toStrictEqual({ message: error.message, type: error.type, param: null, code: null });
  return { status: parsed.status, message: error.message, type: error.type };
}

describe("parseChatCompletionRequest: top level", () => {
  it("maps a minimal request with OpenAI's sampling defaults (temperature 1, top_p 1), as Ollama does", () => {
    const parsed = parseChatCompletionRequest(JSON.stringify({ model: "llama3.2", messages: [USER] }));
    expect(parsed).toMatchObject({ ok: true, stream: false, includeUsage: false });
    if (!parsed.ok) return;
    expect(parsed.request.model).toBe("llama3.2");
    expect(parsed.request.messages).toHaveLength(1);
    expect(parsed.request.options).toMatchObject({ temperature: 1, topP: 1, stop: [] });
    expect(parsed.request.options?.numPredict).toBeUndefined();
    expect(parsed.request.format).toBeUndefined();
    expect(parsed.request.think).toBeUndefined();
    expect(parsed.request.tools).toEqual([]);
  });

  it("reads stream and stream_options.include_usage", () => {
    const parsed = parseChatCompletionRequest(
      JSON.stringify({ model: "m", messages: [USER], stream: true, stream_options: { include_usage: true } }),
    );
    expect(parsed).toMatchObject({ ok: true, stream: true, includeUsage: true });
  });

  it.each([
    ["temperature", { temperature: 0.2 }, { temperature: 0.2 }],
    ["top_p", { top_p: 0.5 }, { topP: 0.5 }],
    ["max_tokens", { max_tokens: 64 }, { numPredict: 64 }],
    ["max_completion_tokens", { max_completion_tokens: 32 }, { numPredict: 32 }],
    ["max_completion_tokens over max_tokens", { max_tokens: 64, max_completion_tokens: 32 }, { numPredict: 32 }],
    ["a huge max_tokens, clamped to int32", { max_tokens: 1e12 }, { numPredict: 2_147_483_647 }],
    ["seed", { seed: 42 }, { seed: 42 }],
    ["stop string", { stop: "\n" }, { stop: ["\n"] }],
    ["stop array", { stop: ["a", "b"] }, { stop: ["a", "b"] }],
    ["frequency_penalty", { frequency_penalty: 0.5 }, { frequencyPenalty: 0.5 }],
    ["presence_penalty", { presence_penalty: -0.5 }, { presencePenalty: -0.5 }],
    ["null as absent", { temperature: null, seed: null }, { temperature: 1 }],
  ])("maps %s into options", (_name, body, expected) => {
    expect(chat(body).options).toMatchObject(expected);
  });

  it("leaves the penalties unset when absent (Ollama sets them only when sent)", () => {
    const options = chat({}).options;
    expect(options?.frequencyPenalty).toBeUndefined();
    expect(options?.presencePenalty).toBeUndefined();
    expect(options?.seed).toBeUndefined();
  });

  it.each([
    ["json_object", { type: "json_object" }, { kind: { $case: "name", value: "json" } }],
    ["JSON_OBJECT with spaces", { type: " JSON_OBJECT " }, { kind: { $case: "name", value: "json" } }],
    [
      "json_schema",
      { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { a: { type: "string" } } } } },
      { kind: { $case: "jsonSchema", value: { type: "object", properties: { a: { type: "string" } } } } },
    ],
    ["json_schema without a schema", { type: "json_schema" }, undefined],
    ["text", { type: "text" }, undefined],
  ])("maps response_format %s", (_name, format, expected) => {
    expect(chat({ response_format: format }).format).toStrictEqual(expected);
  });

  it.each([
    [{ reasoning_effort: "low" }, { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_LOW } }],
    [{ reasoning_effort: "medium" }, { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_MEDIUM } }],
    [{ reasoning_effort: "high" }, { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_HIGH } }],
    [{ reasoning_effort: "max" }, { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_MAX } }],
    [{ reasoning_effort: "none" }, { value: { $case: "enabled", value: false } }],
    [{ reasoning: { effort: "high" }, reasoning_effort: "low" }, { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_HIGH } }],
    [{ reasoning: {}, reasoning_effort: "low" }, { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_LOW } }],
    [{ reasoning_effort: "" }, undefined],
  ])("maps reasoning %j to think", (body, expected) => {
    expect(chat(body).think).toStrictEqual(expected);
  });

  it("maps logprobs and top_logprobs", () => {
    expect(chat({ logprobs: true, top_logprobs: 3 })).toMatchObject({ logprobs: true, topLogprobs: 3 });
    expect(chat({})).toMatchObject({ logprobs: false, topLogprobs: 0 });
  });

  it("maps function tools, keeping the JSON Schema parameters as they are", () => {
    const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const request = chat({
      tools: [{ type: "function", function: { name: "get_weather", description: "Weather now", parameters } }],
    });
    expect(request.tools).toStrictEqual([{ function: { name: "get_weather", description: "Weather now", parameters } }]);
  });

  it("ignores fields Ollama ignores (n, tool_choice, logit_bias, user)", () => {
    expect(chat({ n: 2, tool_choice: "auto", logit_bias: { "1": 2 }, user: "u" }).model).toBe("m");
  });
});

describe("parseChatCompletionRequest: messages", () => {
  it.each([
    ["system", Role.ROLE_SYSTEM],
    ["developer", Role.ROLE_SYSTEM],
    ["user", Role.ROLE_USER],
    ["assistant", Role.ROLE_ASSISTANT],
    ["USER", Role.ROLE_USER],
  ])("maps role %s", (role, expected) => {
    expect(chat({ messages: [{ role, content: "x" }] }).messages[0]?.role).toBe(expected);
  });

  it("splits array content into one message per part, as Ollama does, decoding data-URL images", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const request = chat({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${png.toString("base64")}` } },
            { type: "image_url", image_url: `data:;base64,${Buffer.from("abc").toString("base64")}` },
          ],
        },
      ],
    });
    expect(request.messages.map((m) => ({ role: m.role, content: m.content, images: m.images.map((i) => [...i]) }))).toStrictEqual([
      { role: Role.ROLE_USER, content: "what is this?", images: [] },
      { role: Role.ROLE_USER, content: "", images: [[...png]] },
      { role: Role.ROLE_USER, content: "", images: [[...Buffer.from("abc")]] },
    ]);
  });

  it("maps an assistant turn with tool calls (content null) and the tool results that answer it", () => {
    const request = chat({
      messages: [
        USER,
        {
          role: "assistant",
          content: null,
          reasoning: "need weather",
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            { id: "call_b", type: "function", function: { name: "get_time", arguments: '"{\\"tz\\":\\"CET\\"}"' } },
          ],
        },
        { role: "tool", tool_call_id: "call_a", content: "18C" },
        { role: "tool", tool_call_id: "call_b", name: "clock", content: "12:00" },
        { role: "tool", tool_call_id: "call_b", content: [{ type: "text", text: "12:01" }] },
      ],
    });
    const [, assistant, toolA, toolB, toolParts] = request.messages;
    expect(assistant).toMatchObject({
      role: Role.ROLE_ASSISTANT,
      content: "",
      thinking: "need weather",
      toolCalls: [
        { id: "call_a", function: { index: 0, name: "get_weather", arguments: { city: "Paris" } } },
        { id: "call_b", function: { index: 1, name: "get_time", arguments: { tz: "CET" } } },
      ],
    });
    expect(toolA).toMatchObject({ role: Role.ROLE_TOOL, content: "18C", toolCallId: "call_a", toolName: "get_weather" });
    expect(toolB).toMatchObject({ role: Role.ROLE_TOOL, content: "12:00", toolCallId: "call_b", toolName: "clock" });
    expect(toolParts).toMatchObject({ role: Role.ROLE_TOOL, content: "12:01", toolCallId: "call_b", toolName: "get_time" });
  });

  it.each([
    ["empty text", "", {}],
    ["null", "null", {}],
    ["an object (not a string)", { a: 1 }, { a: 1 }],
  ])("reads tool-call arguments given as %s", (_name, args, expected) => {
    const request = chat({
      messages: [{ role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: args } }] }],
    });
    expect(request.messages[0]?.toolCalls[0]?.function?.arguments).toStrictEqual(expected);
  });
});

describe("parseChatCompletionRequest: failures", () => {
  it.each<[string, string | Record<string, unknown>, string]>([
    ["an empty body", "", "missing request body"],
    ["an array body", "[]", "json: cannot unmarshal array into Go value of type openai.ChatCompletionRequest"],
    ["no messages", { model: "m" }, "[] is too short - 'messages'"],
    ["empty messages", { model: "m", messages: [] }, "[] is too short - 'messages'"],
    [
      "a string temperature",
      { model: "m", messages: [USER], temperature: "hot" },
      "json: cannot unmarshal string into Go struct field ChatCompletionRequest.temperature of type float64",
    ],
    [
      "a fractional max_tokens",
      { model: "m", messages: [USER], max_tokens: 1.5 },
      "json: cannot unmarshal number 1.5 into Go struct field ChatCompletionRequest.max_tokens of type int",
    ],
    [
      "a string message",
      { model: "m", messages: ["hi"] },
      "json: cannot unmarshal string into Go struct field ChatCompletionRequest.messages of type openai.Message",
    ],
    ["an unknown role", { model: "m", messages: [{ role: "robot", content: "x" }] }, 'invalid role "robot": must be "system", "developer", "user", "assistant" or "tool"'],
    ["null content without tool calls", { model: "m", messages: [{ role: "user", content: null }] }, "invalid message content type: <nil>"],
    ["numeric content", { model: "m", messages: [{ role: "user", content: 3 }] }, "invalid message content type: float64"],
    ["an unknown part type", { model: "m", messages: [{ role: "user", content: [{ type: "audio" }] }] }, "invalid message format"],
    ["a text part without text", { model: "m", messages: [{ role: "user", content: [{ type: "text" }] }] }, "invalid message format"],
    [
      "a remote image URL",
      { model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x/cat.png" } }] }] },
      "image URLs are not currently supported, please use base64 encoded data instead",
    ],
    [
      "an unsupported image type",
      { model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/gif;base64,R0lG" } }] }] },
      "invalid image input",
    ],
    [
      "broken base64",
      { model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,a$b=" } }] }] },
      "invalid image input",
    ],
    [
      "unparsable tool-call arguments",
      { model: "m", messages: [{ role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: "{oops" } }] }] },
      "invalid tool call arguments",
    ],
    [
      "array tool-call arguments",
      { model: "m", messages: [{ role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: "[1]" } }] }] },
      "invalid tool call arguments",
    ],
    [
      "an unknown reasoning effort",
      { model: "m", messages: [USER], reasoning_effort: "extreme" },
      `invalid reasoning value: 'extreme' (must be "high", "medium", "low", "max", or "none")`,
    ],
    ["a numeric stop entry", { model: "m", messages: [USER], stop: ["a", 1] }, "invalid type for 'stop' field: float64"],
  ])("rejects %s with 400", (_name, body, message) => {
    expect(failure(body)).toStrictEqual({ status: 400, message, type: "invalid_request_error" });
  });

  it("reports malformed JSON with the parser's message", () => {
    const result = failure("{oops");
    expect(result.status).toBe(400);
    expect(result.message).toMatch(/JSON/);
  });
});
