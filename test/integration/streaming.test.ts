/**
 * Generate and Chat stream through the gateway token by token, and every
 * Ollama feature in the request reaches the backend intact (asserted on the
 * body the simulator received).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Metadata } from "nice-grpc";
import { Role, ThinkLevel } from "../../gen/ollama/v1/ollama.js";
import { collect, startTestFleet, type TestFleet } from "../support/harness.js";

let fleet: TestFleet;

beforeAll(async () => {
  fleet = await startTestFleet({ tokens: 8 });
});
afterAll(async () => {
  await fleet.close();
});

function lastBody(path: string): Record<string, unknown> {
  const request = fleet.sim.requests().filter((r) => r.path === path).at(-1);
  expect(request, `a request to ${path}`).toBeDefined();
  return request?.body as Record<string, unknown>;
}

describe("Generate", () => {
  it("streams one message per token and ends with usage, timings and the backend", async () => {
    let trailer: Metadata | undefined;
    const messages = await collect(
      fleet.client.generate({ model: "llama3.2", prompt: "Why is the sky blue?" }, { onTrailer: (t) => (trailer = t) }),
    );
    expect(messages.length).toBe(9); // 8 tokens + the final message
    const final = messages.at(-1)!;
    expect(messages.slice(0, -1).every((m) => !m.done && m.response !== "" && m.backend === "")).toBe(true);
    expect(final).toMatchObject({ done: true, doneReason: "stop", backend: "b1", model: "llama3.2" });
    expect(final.usage?.evalCount).toBe(8);
    expect(final.usage?.promptEvalCount).toBeGreaterThan(0);
    expect(final.timings?.totalDuration).toBeDefined();
    expect(final.createdAt).toBeInstanceOf(Date);
    expect(final.context.length).toBeGreaterThan(0);
    // The same usage goes into trailing metadata.
    expect(trailer?.get("ollama-eval-count")).toBe("8");
    expect(trailer?.get("ollama-prompt-eval-count")).toBe(String(final.usage?.promptEvalCount));
    expect(trailer?.get("ollama-backend")).toBe("b1");
    expect(trailer?.get("ollama-done-reason")).toBe("stop");
  });

  it("returns exactly what Ollama streamed (text identical to a direct call)", async () => {
    const body = { model: "llama3.2", prompt: "Tell me about gRPC", options: { seed: 3 } };
    const direct = await fetch(`${fleet.sim.url}/api/generate`, { method: "POST", body: JSON.stringify(body) });
    const directText = (await direct.text())
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { response: string }).response)
      .join("");
    const viaGateway = await collect(fleet.client.generate({ model: "llama3.2", prompt: "Tell me about gRPC", options: { seed: 3 } }));
    expect(viaGateway.map((m) => m.response).join("")).toBe(directText);
  });

  it("passes every Generate field and option to Ollama", async () => {
    const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await collect(
      fleet.client.generate({
        model: "qwen2.5-coder",
        prompt: "def add(a, b):",
        suffix: "\n# end",
        system: "You write Python.",
        images: [image],
        format: { kind: { $case: "jsonSchema", value: { type: "object", properties: { answer: { type: "string" } } } } },
        options: {
          temperature: 0.7,
          topK: 20,
          topP: 0.95,
          minP: 0.05,
          typicalP: 0.9,
          seed: 42,
          numPredict: 6,
          numCtx: 4096,
          repeatPenalty: 1.1,
          repeatLastN: 32,
          presencePenalty: 0.5,
          frequencyPenalty: 0.25,
          numKeep: 2,
          numBatch: 256,
          numGpu: 1,
          mainGpu: 0,
          numThread: 4,
          useMmap: false,
          stop: ["\n\n", "###"],
          extra: { new_option: 1.5 },
        },
        keepAlive: { seconds: 600, nanos: 0 },
        truncate: false,
        shift: true,
        logprobs: true,
        topLogprobs: 3,
      }),
    );
    expect(lastBody("/api/generate")).toEqual({
      model: "qwen2.5-coder",
      prompt: "def add(a, b):",
      suffix: "\n# end",
      system: "You write Python.",
      images: [image.toString("base64")],
      format: { type: "object", properties: { answer: { type: "string" } } },
      options: {
        temperature: 0.7,
        top_k: 20,
        top_p: 0.95,
        min_p: 0.05,
        typical_p: 0.9,
        seed: 42,
        num_predict: 6,
        num_ctx: 4096,
        repeat_penalty: 1.1,
        repeat_last_n: 32,
        presence_penalty: 0.5,
        frequency_penalty: 0.25,
        num_keep: 2,
        num_batch: 256,
        num_gpu: 1,
        main_gpu: 0,
        num_thread: 4,
        use_mmap: false,
        stop: ["\n\n", "###"],
        new_option: 1.5,
      },
      keep_alive: 600,
      truncate: false,
      shift: true,
      logprobs: true,
      top_logprobs: 3,
      stream: true,
    });
  });

  it("returns logprobs per token when asked", async () => {
    const messages = await collect(fleet.client.generate({ model: "llama3.2", prompt: "hi", logprobs: true, topLogprobs: 2 }));
    const first = messages[0]!;
    expect(first.logprobs.length).toBeGreaterThan(0);
    expect(first.logprobs[0]!.token).toBe(first.response);
    expect(first.logprobs[0]!.topLogprobs.length).toBe(2);
  });

  it("answers an empty prompt with a single load message", async () => {
    const messages = await collect(fleet.client.generate({ model: "llama3.2", prompt: "" }));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ done: true, doneReason: "load", backend: "b1" });
  });
});

describe("Chat", () => {
  it("streams the assistant message and ends with usage", async () => {
    const messages = await collect(
      fleet.client.chat({ model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: "Hello!" }] }),
    );
    expect(messages.length).toBe(9);
    expect(messages.slice(0, -1).every((m) => m.message?.role === Role.ROLE_ASSISTANT && m.message.content !== "")).toBe(true);
    expect(messages.at(-1)).toMatchObject({ done: true, doneReason: "stop", backend: "b1", usage: { evalCount: 8 } });
  });

  it("streams thinking deltas before the answer for a thinking model", async () => {
    const messages = await collect(
      fleet.client.chat({
        model: "qwen3",
        messages: [{ role: Role.ROLE_USER, content: "2+2?" }],
        think: { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_HIGH } },
      }),
    );
    const firstContent = messages.findIndex((m) => (m.message?.content ?? "") !== "");
    const thinking = messages.filter((m) => (m.message?.thinking ?? "") !== "");
    expect(thinking.length).toBeGreaterThan(0);
    expect(messages.indexOf(thinking[0]!)).toBeLessThan(firstContent);
    expect(lastBody("/api/chat").think).toBe("high");
  });

  it("passes tools, history, images and format to Ollama and maps the tool call back", async () => {
    const image = Buffer.from("not really a png");
    const parameters = {
      type: "object",
      properties: { city: { type: "string", description: "City name" }, days: { type: "integer" } },
      required: ["city"],
    };
    const messages = await collect(
      fleet.client.chat({
        model: "qwen3",
        messages: [
          { role: Role.ROLE_SYSTEM, content: "Use tools." },
          { role: Role.ROLE_USER, content: "Weather in Paris?", images: [image] },
          {
            role: Role.ROLE_ASSISTANT,
            content: "",
            thinking: "I should call the tool",
            toolCalls: [{ id: "call_abc12345", function: { index: 0, name: "get_weather", arguments: { city: "Paris" } } }],
          },
          { role: Role.ROLE_TOOL, content: "18C, sunny", toolName: "get_weather", toolCallId: "call_abc12345" },
          { role: Role.ROLE_USER, content: "And in Tokyo?" },
        ],
        tools: [{ function: { name: "get_weather", description: "Current weather", parameters } }],
        format: { kind: { $case: "name", value: "json" } },
        think: { value: { $case: "enabled", value: false } },
        keepAlive: { seconds: -1, nanos: 0 },
        options: { temperature: 0 },
      }),
    );
    expect(lastBody("/api/chat")).toEqual({
      model: "qwen3",
      messages: [
        { role: "system", content: "Use tools." },
        { role: "user", content: "Weather in Paris?", images: [image.toString("base64")] },
        {
          role: "assistant",
          content: "",
          thinking: "I should call the tool",
          tool_calls: [{ id: "call_abc12345", function: { index: 0, name: "get_weather", arguments: { city: "Paris" } } }],
        },
        { role: "tool", content: "18C, sunny", tool_name: "get_weather", tool_call_id: "call_abc12345" },
        { role: "user", content: "And in Tokyo?" },
      ],
      tools: [{ type: "function", function: { name: "get_weather", description: "Current weather", parameters } }],
      format: "json",
      think: false,
      keep_alive: -1,
      options: { temperature: 0 },
      stream: true,
    });
    const toolCalls = messages.flatMap((m) => m.message?.toolCalls ?? []);
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]).toMatchObject({ function: { index: 0, name: "get_weather" } });
    expect(toolCalls[0]!.id).toMatch(/^call_[a-z0-9]{8}$/);
    expect(toolCalls[0]!.function?.arguments).toHaveProperty("city");
    expect(messages.at(-1)!.done).toBe(true);
  });

  it("produces JSON matching a JSON-schema format", async () => {
    const schema = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"] };
    const messages = await collect(
      fleet.client.chat({
        model: "llama3.2",
        messages: [{ role: Role.ROLE_USER, content: "Describe a person" }],
        format: { kind: { $case: "jsonSchema", value: schema } },
      }),
    );
    expect(lastBody("/api/chat").format).toEqual(schema);
    const parsed = JSON.parse(messages.map((m) => m.message?.content ?? "").join("")) as Record<string, unknown>;
    expect(typeof parsed.name).toBe("string");
    expect(typeof parsed.age).toBe("number");
  });
});
