/**
 * The OpenAI-compatible door with the official `openai` npm client, pointed
 * at the gateway with only the base URL changed: streamed and whole chat
 * completions (usage, tools, thinking as `reasoning`), completions,
 * embeddings (the client's default base64 and float), models, errors with
 * the client's error classes, and an abort that closes the Ollama request.
 * Answers are checked against the simulator's own answer to the same
 * request on Ollama's native API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { Ollama } from "ollama";
import { simIdle, startTestFleet, type TestFleet } from "../support/harness.js";

let fleet: TestFleet;
let openai: OpenAI;
let native: Ollama;

beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 8, tokensPerSecond: 0 }, (config) => {
    config.http.listen = "127.0.0.1:0";
  });
  openai = new OpenAI({ baseURL: `http://127.0.0.1:${fleet.gateway.httpPort}/v1`, apiKey: "unused", maxRetries: 0 });
  native = new Ollama({ host: fleet.sim.url });
});
afterAll(async () => {
  await fleet?.close();
});

const messages = [{ role: "user" as const, content: "Hello there" }];

describe("chat completions", () => {
  it("streams the simulator's answer, then usage, then [DONE]", async () => {
    const direct = await native.chat({ model: "llama3.2", messages });
    const stream = await openai.chat.completions.create({ model: "llama3.2", messages, stream: true, stream_options: { include_usage: true } });
    let content = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
      expect(chunk.object).toBe("chat.completion.chunk");
    }
    expect(content).toBe(direct.message.content);
    expect(finish).toBe("stop");
    expect(usage).toEqual({ prompt_tokens: direct.prompt_eval_count, completion_tokens: direct.eval_count, total_tokens: direct.prompt_eval_count + direct.eval_count });
  });

  it("answers whole, with usage", async () => {
    const direct = await native.chat({ model: "llama3.2", messages });
    const completion = await openai.chat.completions.create({ model: "llama3.2", messages });
    expect(completion.choices[0]?.message.content).toBe(direct.message.content);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.completion_tokens).toBe(direct.eval_count);
    expect(completion.model).toBe("llama3.2");
  });

  it("calls tools (finish_reason tool_calls, arguments as JSON text), streamed and whole", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } },
    ];
    const whole = await openai.chat.completions.create({ model: "llama3.2", messages: [{ role: "user", content: "Weather in Paris?" }], tools });
    const call = whole.choices[0]?.message.tool_calls?.[0];
    expect(whole.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" ? call.function.name : undefined).toBe("get_weather");
    expect(JSON.parse(call?.type === "function" ? call.function.arguments : "null")).toEqual(expect.any(Object));

    const stream = openai.chat.completions.stream({ model: "llama3.2", messages: [{ role: "user", content: "Weather in Paris?" }], tools });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.map((c) => (c.type === "function" ? c.function.name : ""))).toEqual(["get_weather"]);
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("sends the reasoning of a thinking model as `reasoning`", async () => {
    const completion = await openai.chat.completions.create({ model: "qwen3", messages, reasoning_effort: "high" });
    const message = completion.choices[0]?.message as unknown as { reasoning?: string; content: string };
    expect(message.reasoning).toEqual(expect.stringMatching(/\S/));
    expect(message.content).toEqual(expect.stringMatching(/\S/));
  });

  it("aborting the stream closes the Ollama request behind it", async () => {
    fleet.sim.configure({ tokens: 10_000, tokensPerSecond: 100 });
    try {
      const aborted = fleet.sim.stats().abortedByClient;
      const stream = await openai.chat.completions.create({ model: "llama3.2", messages, stream: true });
      let received = 0;
      for await (const _chunk of stream) {
        received += 1;
        if (received === 3) stream.controller.abort();
      }
      await simIdle(fleet.sim, 1_000);
      expect(fleet.sim.stats().abortedByClient).toBe(aborted + 1);
    } finally {
      fleet.sim.configure({ tokens: 8, tokensPerSecond: 0 });
    }
  });

  it("surfaces the statuses Ollama would: unknown model 404, bad request 400", async () => {
    const missing = await openai.chat.completions.create({ model: "nope", messages }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: "not_found_error" });
    const empty = await openai.chat.completions.create({ model: "llama3.2", messages: [] }).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect((empty as InstanceType<typeof OpenAI.APIError>).message).toContain("[] is too short - 'messages'");
  });
});

describe("completions, embeddings, models", () => {
  it("completes a prompt, streamed and whole", async () => {
    const direct = await native.generate({ model: "llama3.2", prompt: "Once upon a time" });
    const whole = await openai.completions.create({ model: "llama3.2", prompt: "Once upon a time" });
    expect(whole.choices[0]?.text).toBe(direct.response);
    let text = "";
    for await (const chunk of await openai.completions.create({ model: "llama3.2", prompt: "Once upon a time", stream: true })) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe(direct.response);
  });

  it("embeds: the client's default base64 and float give the simulator's vectors", async () => {
    const direct = await native.embed({ model: "all-minilm", input: ["one", "two"] });
    const base64 = await openai.embeddings.create({ model: "all-minilm", input: ["one", "two"] });
    const float = await openai.embeddings.create({ model: "all-minilm", input: ["one", "two"], encoding_format: "float" });
    for (const answer of [base64, float]) {
      expect(answer.data.map((d) => d.index)).toEqual([0, 1]);
      answer.data.forEach((d, i) => d.embedding.forEach((x, j) => expect(x).toBeCloseTo(direct.embeddings[i]![j]!, 6)));
    }
    expect(float.usage.prompt_tokens).toBe(direct.prompt_eval_count);
  });

  it("lists and retrieves models; an unknown one is a 404", async () => {
    const ids = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["llama3.2:latest", "all-minilm:latest"]));
    expect(await openai.models.retrieve("llama3.2:latest")).toMatchObject({ id: "llama3.2:latest", object: "model", owned_by: "library" });
    await expect(openai.models.retrieve("nope:latest")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("logs the call with its door", async () => {
    await openai.chat.completions.create({ model: "llama3.2", messages });
    expect(fleet.logs.records.filter((r) => r.msg === "rpc").at(-1)).toMatchObject({ method: "/ollama.v1.OllamaService/Chat", door: "openai", code: "OK" });
  });
});
