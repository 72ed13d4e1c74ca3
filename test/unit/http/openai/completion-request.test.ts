import { describe, expect, it } from "vitest";
import { parseCompletionRequest } from "../../../../src/http/openai/completion-request.js";

function completion(body: Record<string, unknown>) {
  const parsed = parseCompletionRequest(JSON.stringify({ model: "m", prompt: "Once", ...body }));
  if (!parsed.ok) throw new Error(`unexpected failure: ${parsed.body}`);
  return parsed;
}

function failureOf(parsed: { ok: boolean; status?: number; body?: string }): { status: number | undefined; message: string } {
  if (parsed.ok) throw new Error("expected a failure");
  return { status: parsed.status, message: JSON.parse(parsed.body ?? "").error.message };
}

describe("parseCompletionRequest", () => {
  it("maps prompt, suffix and Ollama's defaults (temperature 1, top_p 1, penalties 0)", () => {
    const parsed = completion({ suffix: "end" });
    expect(parsed).toMatchObject({ stream: false, includeUsage: false });
    expect(parsed.request).toMatchObject({ model: "m", prompt: "Once", suffix: "end", logprobs: false, topLogprobs: 0 });
    expect(parsed.request.options).toMatchObject({ temperature: 1, topP: 1, frequencyPenalty: 0, presencePenalty: 0, stop: [] });
    expect(parsed.request.options?.numPredict).toBeUndefined();
  });

  it.each([
    [{ max_tokens: 7 }, { numPredict: 7 }],
    [{ temperature: 0 }, { temperature: 0 }],
    [{ top_p: 0.3 }, { topP: 0.3 }],
    [{ top_p: 0 }, { topP: 1 }],
    [{ seed: 9 }, { seed: 9 }],
    [{ stop: "x" }, { stop: ["x"] }],
    [{ stop: ["x", "y"] }, { stop: ["x", "y"] }],
    [{ frequency_penalty: 1.5, presence_penalty: 0.5 }, { frequencyPenalty: 1.5, presencePenalty: 0.5 }],
  ])("maps %j into options", (body, expected) => {
    expect(completion(body).request.options).toMatchObject(expected);
  });

  it("reads stream, stream_options and logprobs: N", () => {
    const parsed = completion({ stream: true, stream_options: { include_usage: true }, logprobs: 2, echo: false });
    expect(parsed).toMatchObject({ stream: true, includeUsage: true });
    expect(parsed.request).toMatchObject({ logprobs: true, topLogprobs: 2 });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["echo", { echo: true }, "echo is not supported"],
    ["a prompt array", { prompt: ["a", "b"] }, "json: cannot unmarshal array into Go struct field CompletionRequest.prompt of type string"],
    ["a numeric stop entry", { stop: [1] }, "invalid type for 'stop' field: float64"],
    ["a string top_p", { top_p: "x" }, "json: cannot unmarshal string into Go struct field CompletionRequest.top_p of type float32"],
  ])("rejects %s with 400", (_name, body, message) => {
    expect(failureOf(parseCompletionRequest(JSON.stringify({ model: "m", prompt: "p", ...body })))).toStrictEqual({ status: 400, message });
  });
});
