import { Status } from "nice-grpc";
import { ServerError } from "nice-grpc-common";
import { describe, expect, it } from "vitest";
import { ChatResponse, Role } from "../../../../gen/ollama/v1/ollama.js";
import { ChatChunkEncoder, ChatCompletionAccumulator } from "../../../../src/http/openai/chat-response.js";

const IDENTITY = { id: "chatcmpl-7", created: 1_700_000_000, model: "llama3.2" };
const HEAD = '{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1700000000,"model":"llama3.2","system_fingerprint":"fp_ollama"';

const token = (content: string, thinking = "") =>
  ChatResponse.fromPartial({ model: "llama3.2", message: { role: Role.ROLE_ASSISTANT, content, thinking } });
const toolCall = (id: string, name: string, args: Record<string, unknown>) =>
  ChatResponse.fromPartial({
    model: "llama3.2",
    message: { role: Role.ROLE_ASSISTANT, toolCalls: [{ id, function: { index: 0, name, arguments: args } }] },
  });
const done = (doneReason = "stop") =>
  ChatResponse.fromPartial({
    model: "llama3.2",
    message: { role: Role.ROLE_ASSISTANT },
    done: true,
    doneReason,
    usage: { promptEvalCount: 12, evalCount: 3 },
  });

describe("ChatChunkEncoder", () => {
  it("writes Ollama's chunk JSON: role and content on every delta, finish_reason null until done", () => {
    const encoder = new ChatChunkEncoder({ ...IDENTITY, includeUsage: false });
    expect(encoder.encode(token("Hel"))).toStrictEqual([
      `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}\n\n`,
    ]);
    expect(encoder.encode(token("", "hmm"))).toStrictEqual([
      `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"hmm"},"finish_reason":null}]}\n\n`,
    ]);
    expect(encoder.ended).toBe(false);
  });

  it("ends with the finish chunk, the usage chunk (when asked for) and [DONE]", () => {
    const encoder = new ChatChunkEncoder({ ...IDENTITY, includeUsage: true });
    expect(encoder.encode(done("length"))).toStrictEqual([
      `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"length"}]}\n\n`,
      `data: ${HEAD},"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}\n\n`,
      "data: [DONE]\n\n",
    ]);
    expect(encoder.ended).toBe(true);
    expect(encoder.encode(token("late"))).toStrictEqual([]);
  });

  it("sends no usage chunk unless asked, and says stop when the done message has no reason", () => {
    const events = new ChatChunkEncoder({ ...IDENTITY, includeUsage: false }).encode(done(""));
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[0]!.slice(6)).choices[0].finish_reason).toBe("stop");
    expect(events[1]).toBe("data: [DONE]\n\n");
  });

  it("streams tool calls with a running index, type function and JSON-text arguments, then finishes with tool_calls", () => {
    const encoder = new ChatChunkEncoder({ ...IDENTITY, includeUsage: false });
    const events = [
      token("Let me check."),
      toolCall("call_a", "get_weather", { city: "Paris", days: 2 }),
      toolCall("call_b", "get_time", {}),
      done("stop"),
    ].flatMap((response) => encoder.encode(response));
    expect(events).toStrictEqual([
      `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":"Let me check."},"finish_reason":null}]}\n\n`,
      `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":[{"id":"call_a","index":0,"type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\",\\"days\\":2}"}}]},"finish_reason":null}]}\n\n`,
      `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":[{"id":"call_b","index":1,"type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]}\n\n`,
      `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"tool_calls"}]}\n\n`,
      "data: [DONE]\n\n",
    ]);
  });

  it("adds logprobs to the choice when the chunk has them", () => {
    const encoder = new ChatChunkEncoder({ ...IDENTITY, includeUsage: false });
    const response = ChatResponse.fromPartial({
      message: { role: Role.ROLE_ASSISTANT, content: "a" },
      logprobs: [{ token: "a", logprob: -0.5, bytes: Buffer.from("a"), topLogprobs: [{ token: "b", logprob: -2, bytes: Buffer.alloc(0) }] }],
    });
    const choice = JSON.parse(encoder.encode(response)[0]!.slice(6)).choices[0];
    expect(choice.logprobs).toStrictEqual({
      content: [{ token: "a", logprob: -0.5, bytes: [97], top_logprobs: [{ token: "b", logprob: -2 }] }],
    });
  });

  it("ends a failed stream with one OpenAI error event and no [DONE]", () => {
    const encoder = new ChatChunkEncoder({ ...IDENTITY, includeUsage: true });
    encoder.encode(token("Hel"));
    expect(encoder.fail(new ServerError(Status.UNAVAILABLE, "backend went away"))).toStrictEqual([
      'data: {"error":{"message":"backend went away","type":"api_error","param":null,"code":null}}\n\n',
    ]);
    expect(encoder.ended).toBe(true);
    expect(encoder.fail(new Error("again"))).toStrictEqual([]);
    expect(encoder.encode(done())).toStrictEqual([]);
  });
});

describe("ChatCompletionAccumulator", () => {
  it("writes one chat.completion with the whole text, reasoning and usage", () => {
    const whole = new ChatCompletionAccumulator(IDENTITY);
    [token("", "think "), token("", "more"), token("Hello"), token(" world"), done("stop")].forEach((r) => whole.add(r));
    expect(whole.body()).toBe(
      '{"id":"chatcmpl-7","object":"chat.completion","created":1700000000,"model":"llama3.2","system_fingerprint":"fp_ollama",' +
        '"choices":[{"index":0,"message":{"role":"assistant","content":"Hello world","reasoning":"think more"},"finish_reason":"stop"}],' +
        '"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}\n',
    );
  });

  it("collects tool calls from every message and reports finish_reason tool_calls", () => {
    const whole = new ChatCompletionAccumulator(IDENTITY);
    [toolCall("call_a", "f", { x: 1 }), toolCall("call_b", "g", {}), done("stop")].forEach((r) => whole.add(r));
    const body = JSON.parse(whole.body());
    expect(body.choices[0]).toStrictEqual({
      index: 0,
      message: {
        role: "assistant",
        content: "",
        tool_calls: [
          { id: "call_a", index: 0, type: "function", function: { name: "f", arguments: '{"x":1}' } },
          { id: "call_b", index: 1, type: "function", function: { name: "g", arguments: "{}" } },
        ],
      },
      finish_reason: "tool_calls",
    });
  });
});
