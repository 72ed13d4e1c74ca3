/**
 * Ollama JSON -> proto (this door) -> Ollama JSON (the gateway's upstream
 * mapping) must give back the request the client sent: whatever a client
 * puts in a body reaches the backend. Where Ollama itself reads two spellings
 * the same way (a "5m" keep_alive is 300 seconds, a single `input` string is
 * a list of one), `sent` gives the canonical spelling the backend receives.
 */
import { describe, expect, it } from "vitest";
import { parseChat, parseEmbed, parseEmbeddings, parseGenerate } from "../../../../src/http/ollama/index.js";
import { parseModelOptions } from "../../../../src/http/ollama/model-options.js";
import { toOllamaEmbedRequest } from "../../../../src/service/embed.js";
import { OPTION_SPECS, toOllamaOptions } from "../../../../src/service/options-mapping.js";
import { toOllamaChatRequest, toOllamaGenerateRequest } from "../../../../src/service/request-mapping.js";

type Json = Record<string, unknown>;

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex").toString("base64");
const JPEG = Buffer.from("ffd8ffe000104a464946", "hex").toString("base64");

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", description: "City name" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["city"],
    },
  },
};

const SCHEMA = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"] };

/** [name, body as the client sends it, body the backend receives (default: the same, streaming)] */
const GENERATE_CASES: Array<[string, Json, Json?]> = [
  ["minimal", { model: "llama3.2", prompt: "Why is the sky blue?" }],
  ["ollama-js non-streaming", { model: "llama3.2", prompt: "Hi", stream: false }],
  ["load only", { model: "llama3.2", prompt: "" }],
  [
    "every field",
    {
      model: "qwen3:8b",
      prompt: "def fib(n):",
      suffix: "    return result",
      system: "You write Python.",
      template: "{{ .System }} {{ .Prompt }}",
      context: [1, 2, 3, 4],
      images: [PNG, JPEG],
      format: "json",
      options: {
        num_keep: 5,
        seed: 42,
        num_predict: 128,
        top_k: 20,
        top_p: 0.9,
        min_p: 0.05,
        typical_p: 0.7,
        repeat_last_n: 33,
        temperature: 0.2,
        repeat_penalty: 1.2,
        presence_penalty: 1.5,
        frequency_penalty: 1,
        stop: ["\n\n", "User:"],
        num_ctx: 8192,
        num_batch: 2,
        num_gpu: 1,
        main_gpu: 0,
        use_mmap: false,
        num_thread: 8,
        draft_num_predict: 4,
        mirostat: 1,
        some_future_option: { nested: [1, "two"] },
      },
      keep_alive: 300,
      think: "high",
      truncate: false,
      shift: false,
      logprobs: true,
      top_logprobs: 5,
    },
  ],
  ["raw", { model: "llama3.2", prompt: "<|begin_of_text|>Hi", raw: true }],
  ["schema format, think on", { model: "qwen3", prompt: "Who?", format: SCHEMA, think: true }],
  ["think off, max effort absent", { model: "qwen3", prompt: "Who?", think: false }],
  ["think max", { model: "gpt-oss", prompt: "Who?", think: "max" }],
  ["keep forever", { model: "llama3.2", prompt: "x", keep_alive: -1 }],
  ["any negative is forever", { model: "llama3.2", prompt: "x", keep_alive: -5.5 }, { keep_alive: -1 }],
  ["unload after", { model: "llama3.2", prompt: "x", keep_alive: 0 }],
  ["fractional seconds", { model: "llama3.2", prompt: "x", keep_alive: 123.456 }],
  ["duration string", { model: "llama3.2", prompt: "x", keep_alive: "5m" }, { keep_alive: 300 }],
  ["compound duration", { model: "llama3.2", prompt: "x", keep_alive: "1h30m15.5s" }, { keep_alive: 5415.5 }],
  ["milliseconds", { model: "llama3.2", prompt: "x", keep_alive: "300ms" }, { keep_alive: 0.3 }],
  ["negative duration string", { model: "llama3.2", prompt: "x", keep_alive: "-1m" }, { keep_alive: -1 }],
  ["zero string", { model: "llama3.2", prompt: "x", keep_alive: "0" }, { keep_alive: 0 }],
  ["null and empty mean unset", { model: "llama3.2", prompt: "x", format: "", think: null, keep_alive: null, options: null }, { format: undefined, think: undefined, keep_alive: undefined, options: undefined }],
  ["integer options are truncated like Go", { model: "llama3.2", prompt: "x", options: { num_ctx: 4096.7, seed: -3.9 } }, { options: { num_ctx: 4096, seed: -3 } }],
  ["null options are skipped", { model: "llama3.2", prompt: "x", options: { temperature: null, top_k: 3 } }, { options: { top_k: 3 } }],
  ["keys match case-insensitively", { Model: "llama3.2", PROMPT: "x", Keep_Alive: 60 }, { model: "llama3.2", prompt: "x", keep_alive: 60, Model: undefined, PROMPT: undefined, Keep_Alive: undefined }],
  ["unknown keys and _debug_render_only are dropped", { model: "llama3.2", prompt: "x", _debug_render_only: false, foo: 1 }, { _debug_render_only: undefined, foo: undefined }],
];

const CHAT_CASES: Array<[string, Json, Json?]> = [
  ["minimal", { model: "llama3.2", messages: [{ role: "user", content: "Hello" }] }],
  ["load only", { model: "llama3.2", messages: [] }],
  ["no messages key", { model: "llama3.2" }, { messages: [] }],
  [
    "tool conversation",
    {
      model: "qwen3",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Weather in Tokyo? Here is a map.", images: [PNG] },
        {
          role: "assistant",
          content: "",
          thinking: "I should call the tool.",
          tool_calls: [
            { id: "call_k3j9x0ab", function: { index: 0, name: "get_weather", arguments: { city: "Tokyo", unit: "celsius" } } },
            { function: { index: 1, name: "get_weather", arguments: { city: "Osaka" } } },
          ],
        },
        { role: "tool", content: "22 degrees", tool_name: "get_weather", tool_call_id: "call_k3j9x0ab" },
      ],
      tools: [WEATHER_TOOL, { type: "function", function: { name: "now" } }],
      format: SCHEMA,
      options: { temperature: 0, num_ctx: 16384, stop: ["</answer>"] },
      keep_alive: "10m",
      think: "low",
      truncate: true,
      shift: true,
      logprobs: true,
      top_logprobs: 20,
      stream: false,
    },
    { keep_alive: 600 },
  ],
  [
    "roles are lower-cased",
    { model: "llama3.2", messages: [{ role: "USER", content: "a" }, { role: "Assistant", content: "b" }] },
    { messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }] },
  ],
  [
    "messages with a role no stock template renders are dropped",
    { model: "llama3.2", messages: [{ role: "developer", content: "a" }, { role: "user", content: "b" }, null] },
    { messages: [{ role: "user", content: "b" }] },
  ],
];

const EMBED_CASES: Array<[string, Json, Json?]> = [
  ["one string", { model: "all-minilm", input: "Why is the sky blue?" }, { input: ["Why is the sky blue?"] }],
  ["a batch", { model: "all-minilm", input: ["a", "b", "c"] }],
  ["load only", { model: "all-minilm", input: "" }, { input: [] }],
  ["no input", { model: "all-minilm" }, { input: [] }],
  [
    "every field",
    { model: "nomic-embed-text", input: ["x"], truncate: false, dimensions: 256, keep_alive: "1h", options: { num_ctx: 2048 } },
    { keep_alive: 3600 },
  ],
];

/** What the backend receives: the client's body, with `sent` overriding (undefined deletes a key); always streaming. */
function expected(sent: Json, overrides: Json | undefined, extra: Json = {}): Json {
  const out: Json = { ...sent, ...extra, ...overrides };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

/** JSON as it would go on the wire (drops undefined fields). */
function wire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

describe("round trip through the proto", () => {
  it.each(GENERATE_CASES)("generate: %s", (_name, body, sent) => {
    const parsed = parseGenerate(JSON.stringify(body));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.stream).toBe(body.stream !== false);
    expect(wire(toOllamaGenerateRequest(parsed.request))).toEqual(expected(body, sent, { stream: true }));
  });

  it.each(CHAT_CASES)("chat: %s", (_name, body, sent) => {
    const parsed = parseChat(JSON.stringify(body));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.stream).toBe(body.stream !== false);
    expect(wire(toOllamaChatRequest(parsed.request))).toEqual(expected(body, sent, { stream: true }));
  });

  it.each(EMBED_CASES)("embed: %s", (_name, body, sent) => {
    const parsed = parseEmbed(JSON.stringify(body));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.stream).toBe(false);
    expect(wire(toOllamaEmbedRequest(parsed.request))).toEqual(expected(body, sent));
  });

  it("legacy embeddings become a one-input embed", () => {
    const parsed = parseEmbeddings(JSON.stringify({ model: "all-minilm", prompt: "hi", keep_alive: 30, options: { seed: 1 } }));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(wire(toOllamaEmbedRequest(parsed.request))).toEqual({ model: "all-minilm", input: ["hi"], keep_alive: 30, options: { seed: 1 } });
    const empty = parseEmbeddings(JSON.stringify({ model: "all-minilm", prompt: "" }));
    expect(empty.ok && empty.request.input).toEqual([]);
  });

  it("images become the bytes Go's decoder yields (CR/LF ignored)", () => {
    const wrapped = `${PNG.slice(0, 8)}\r\n${PNG.slice(8)}`;
    const parsed = parseGenerate(JSON.stringify({ model: "llava", prompt: "what is this?", images: [wrapped] }));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.request.images[0]?.toString("hex")).toBe("89504e470d0a1a0a0000000d49484452");
  });

  it("types every option of the gateway's upstream mapping, and each comes back unchanged", () => {
    const sample = { int: 7, double: 0.5, bool: true, strings: ["</s>"] } as const;
    for (const spec of OPTION_SPECS) {
      const options = parseModelOptions({ [spec.key]: sample[spec.kind] });
      expect(options?.[spec.field], spec.key).toEqual(sample[spec.kind]);
      expect(options?.extra, spec.key).toBeUndefined();
      expect(toOllamaOptions(options), spec.key).toEqual({ [spec.key]: sample[spec.kind] });
    }
  });
});
