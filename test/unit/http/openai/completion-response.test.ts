import { describe, expect, it } from "vitest";
import { GenerateResponse } from "../../../../gen/ollama/v1/ollama.js";
import { CompletionAccumulator, CompletionChunkEncoder } from "../../../../src/http/openai/completion-response.js";

const IDENTITY = { id: "cmpl-5", created: 1_700_000_000, model: "m" };
const piece = (response: string) => GenerateResponse.fromPartial({ model: "m", response });
const done = (doneReason: string) =>
  GenerateResponse.fromPartial({ model: "m", done: true, doneReason, usage: { promptEvalCount: 4, evalCount: 2 } });

describe("CompletionChunkEncoder", () => {
  it("writes Ollama's text_completion chunks (choices before model), then [DONE]", () => {
    const encoder = new CompletionChunkEncoder({ ...IDENTITY, includeUsage: false });
    expect([piece("Once"), done("length")].flatMap((r) => encoder.encode(r))).toStrictEqual([
      'data: {"id":"cmpl-5","object":"text_completion","created":1700000000,"choices":[{"text":"Once","index":0,"finish_reason":null}],"model":"m","system_fingerprint":"fp_ollama"}\n\n',
      'data: {"id":"cmpl-5","object":"text_completion","created":1700000000,"choices":[{"text":"","index":0,"finish_reason":"length"}],"model":"m","system_fingerprint":"fp_ollama"}\n\n',
      "data: [DONE]\n\n",
    ]);
    expect(encoder.ended).toBe(true);
  });

  it("with include_usage, puts zero usage on each chunk (as Ollama does) and the real usage on a last, choice-less chunk", () => {
    const encoder = new CompletionChunkEncoder({ ...IDENTITY, includeUsage: true });
    const events = [piece("a"), done("stop")].flatMap((r) => encoder.encode(r)).map((e) => (e.startsWith("data: {") ? JSON.parse(e.slice(6)) : e));
    expect(events.map((e) => (typeof e === "string" ? e : { choices: e.choices.length, usage: e.usage }))).toStrictEqual([
      { choices: 1, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } },
      { choices: 1, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } },
      { choices: 0, usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } },
      "data: [DONE]\n\n",
    ]);
  });

  it("ends a failed stream with an error event", () => {
    const encoder = new CompletionChunkEncoder({ ...IDENTITY, includeUsage: false });
    expect(encoder.fail(new Error("boom"))).toStrictEqual([
      'data: {"error":{"message":"internal gateway error","type":"api_error","param":null,"code":null}}\n\n',
    ]);
  });
});

describe("CompletionAccumulator", () => {
  it("writes one text_completion with the whole text and usage", () => {
    const whole = new CompletionAccumulator(IDENTITY);
    [piece("Once "), piece("upon"), done("stop")].forEach((r) => whole.add(r));
    expect(whole.body()).toBe(
      '{"id":"cmpl-5","object":"text_completion","created":1700000000,"model":"m","system_fingerprint":"fp_ollama",' +
        '"choices":[{"text":"Once upon","index":0,"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}\n',
    );
  });
});
