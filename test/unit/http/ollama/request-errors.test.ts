/**
 * A body Ollama rejects is rejected here with Ollama's status and text, so
 * a client sees the same error from the gateway as from Ollama (and the
 * gateway's own gRPC-flavoured validation messages never reach it).
 */
import { describe, expect, it } from "vitest";
import {
  parseChat,
  parseEmbed,
  parseEmbeddings,
  parseGenerate,
  parsePull,
  parseShow,
  type Parsed,
} from "../../../../src/http/ollama/index.js";

const PARSERS: Record<string, (body: string) => Parsed<unknown>> = {
  generate: parseGenerate,
  chat: parseChat,
  embed: parseEmbed,
  embeddings: parseEmbeddings,
  show: parseShow,
  pull: parsePull,
};

const ok = { model: "llama3.2", prompt: "x" };
const body = (extra: Record<string, unknown>) => JSON.stringify({ ...ok, ...extra });

/** [route, body, status, Ollama's message] */
const CASES: Array<[string, string, number, string]> = [
  ["generate", "", 400, "missing request body"],
  ["chat", " \n", 400, "missing request body"],
  ["generate", "{", 400, "unexpected EOF"],
  ["generate", "<xml/>", 400, "invalid character '<' looking for beginning of value"],
  ["generate", "[]", 400, "json: cannot unmarshal array into Go value of type api.GenerateRequest"],
  ["generate", '{"model":1}', 400, "json: cannot unmarshal number into Go struct field GenerateRequest.model of type string"],
  ["generate", body({ stream: "no" }), 400, "json: cannot unmarshal string into Go struct field GenerateRequest.stream of type bool"],
  ["generate", body({ context: [1.5] }), 400, "json: cannot unmarshal number 1.5 into Go struct field GenerateRequest.context of type int"],
  ["generate", body({ keep_alive: "3600" }), 400, 'time: missing unit in duration "3600"'],
  ["generate", body({ keep_alive: "5 minutes" }), 400, 'time: unknown unit " minutes" in duration "5 minutes"'],
  ["generate", body({ keep_alive: true }), 400, "Unsupported type: 'bool'"],
  ["generate", body({ think: "extreme" }), 400, 'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)'],
  ["generate", body({ think: 1 }), 400, 'think must be a boolean or string ("high", "medium", "low", "max", true, or false)'],
  ["generate", body({ images: ["data:image/png;base64,AAAA"] }), 400, "illegal base64 data at input byte 4"],
  ["generate", body({ images: ["AAA"] }), 400, "illegal base64 data at input byte 0"],
  ["generate", body({ top_logprobs: 21 }), 400, "top_logprobs must be between 0 and 20"],
  ["generate", JSON.stringify({ prompt: "x", top_logprobs: -1 }), 400, "top_logprobs must be between 0 and 20"],
  ["generate", JSON.stringify({ prompt: "x" }), 404, "model '' not found"],
  ["generate", body({ model: "  " }), 404, "model '  ' not found"],
  ["generate", body({ model: "llama 3" }), 400, "invalid model name"],
  ["generate", body({ model: "x".repeat(513) }), 400, "invalid model name"],
  ["generate", body({ raw: true, system: "s" }), 400, "raw mode does not support template, system, or context"],
  ["generate", body({ raw: true, context: [1] }), 400, "raw mode does not support template, system, or context"],
  ["generate", body({ options: [1] }), 400, "json: cannot unmarshal array into Go struct field GenerateRequest.options of type map[string]interface {}"],
  ["generate", body({ options: { num_ctx: "big" } }), 500, 'option "num_ctx" must be of type integer'],
  ["generate", body({ options: { temperature: "hot" } }), 500, 'option "temperature" must be of type float32'],
  ["generate", body({ options: { use_mmap: 1 } }), 500, 'option "use_mmap" must be of type boolean'],
  ["generate", body({ options: { stop: "\n" } }), 500, 'option "stop" must be of type array'],
  ["generate", body({ options: { stop: ["a", 1] } }), 500, 'option "stop" must be of an array of strings'],
  ["generate", body({ format: "xml" }), 500, 'invalid format: "\\"xml\\""; expected "json" or a valid JSON Schema object'],
  ["generate", body({ format: ["json"] }), 500, 'invalid format: "[\\"json\\"]"; expected "json" or a valid JSON Schema object'],
  ["chat", JSON.stringify({ messages: [] }), 400, "model is required"],
  ["chat", JSON.stringify({ model: "m", messages: "hi" }), 400, "json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message"],
  ["chat", JSON.stringify({ model: "m", messages: [{ role: 1 }] }), 400, "json: cannot unmarshal number into Go struct field Alias.role of type string"],
  ["chat", JSON.stringify({ model: "m", messages: [{ role: "user", images: ["!"] }] }), 400, "illegal base64 data at input byte 0"],
  [
    "chat",
    JSON.stringify({ model: "m", messages: [{ role: "assistant", tool_calls: [{ function: { name: 7 } }] }] }),
    400,
    "json: cannot unmarshal number into Go struct field ToolCallFunction.tool_calls.function.name of type string",
  ],
  [
    "chat",
    JSON.stringify({ model: "m", messages: [{ role: "assistant", tool_calls: [{ function: { name: "f", arguments: "{}" } }] }] }),
    400,
    "json: cannot unmarshal string into Go struct field ToolCallFunction.tool_calls.function.arguments of type api.ToolCallFunctionArguments",
  ],
  ["chat", JSON.stringify({ model: "m", tools: ["f"] }), 400, "json: cannot unmarshal string into Go struct field ChatRequest.tools of type api.Tool"],
  [
    "chat",
    JSON.stringify({ model: "m", tools: [{ type: "function", function: { name: "f", parameters: "none" } }] }),
    400,
    "json: cannot unmarshal string into Go struct field ToolFunction.tools.function.parameters of type api.ToolFunctionParameters",
  ],
  ["chat", JSON.stringify({ model: "m", top_logprobs: 99, messages: [] }), 400, "top_logprobs must be between 0 and 20"],
  ["embed", JSON.stringify({ input: "x" }), 404, "model '' not found"],
  ["embed", JSON.stringify({ model: "m", input: 1 }), 400, "invalid input type"],
  ["embed", JSON.stringify({ model: "m", input: ["a", 2] }), 400, "invalid input type"],
  ["embed", JSON.stringify({ model: "m", input: "a", dimensions: "x" }), 400, "json: cannot unmarshal string into Go struct field EmbedRequest.dimensions of type int"],
  ["embeddings", JSON.stringify({ prompt: "x" }), 400, "model is required"],
  ["show", "{}", 400, "model is required"],
  ["pull", "{}", 400, "invalid model name"],
  ["pull", JSON.stringify({ name: "a b" }), 400, "invalid model name"],
];

describe("request failures", () => {
  it.each(CASES)("%s %s -> %i %s", (route, text, status, message) => {
    expect(PARSERS[route]?.(text)).toEqual({ ok: false, status, message });
  });
});

describe("legacy names and defaults", () => {
  it("show takes `model`, or the legacy `name`", () => {
    expect(parseShow('{"name":"llama3.2","verbose":true}')).toEqual({ ok: true, stream: false, request: { model: "llama3.2", verbose: true, backend: "" } });
    expect(parseShow('{"model":"a","name":"b"}')).toMatchObject({ ok: true, request: { model: "a", verbose: false } });
  });

  it("pull takes the `name` the ollama npm client sends, streams by default, and pulls everywhere", () => {
    expect(parsePull('{"name":"llama3.2","stream":true,"insecure":false}')).toEqual({
      ok: true,
      stream: true,
      request: { model: "llama3.2", backends: [], insecure: false },
    });
    expect(parsePull('{"model":"qwen3","insecure":true,"stream":false}')).toEqual({
      ok: true,
      stream: false,
      request: { model: "qwen3", backends: [], insecure: true },
    });
  });

  it("a JSON null body binds nothing (Go leaves the struct empty)", () => {
    expect(parseGenerate("null")).toEqual({ ok: false, status: 404, message: "model '' not found" });
    expect(parseChat("null")).toEqual({ ok: false, status: 400, message: "model is required" });
  });

  it("only the first JSON value is read, like Go's json.Decoder", () => {
    expect(parseGenerate('{"model":"m","prompt":"x"} trailing')).toMatchObject({ ok: true, request: { model: "m", prompt: "x" } });
  });
});
