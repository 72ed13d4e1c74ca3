import { describe, expect, it } from "vitest";
import { ChatRequest, GenerateRequest, ModelOptions, Role, ThinkLevel } from "../../../gen/ollama/v1/ollama.js";
import { OPTION_SPECS } from "../../../src/service/options-mapping.js";
import {
  checkOptions,
  validateChatRequest,
  validateGenerateRequest,
  type FieldViolation,
  type RequestLimits,
} from "../../../src/service/validate-request.js";

type GeneratePartial = Parameters<typeof GenerateRequest.fromPartial>[0];
type ChatPartial = Parameters<typeof ChatRequest.fromPartial>[0];

const LIMITS: RequestLimits = { maxImageBytes: 8, maxImages: 2 };
const IMAGE = Buffer.from("png!");
const USER = { role: Role.ROLE_USER, content: "hi" };

const fieldsOf = (violations: FieldViolation[]): string[] => violations.map((v) => v.field);
const checkGenerate = (partial: GeneratePartial): string[] =>
  fieldsOf(validateGenerateRequest(GenerateRequest.fromPartial({ model: "llama3.2", prompt: "hi", ...partial }), LIMITS));
const checkChat = (partial: ChatPartial): string[] =>
  fieldsOf(validateChatRequest(ChatRequest.fromPartial({ model: "llama3.2", messages: [USER], ...partial }), LIMITS));

describe("valid requests", () => {
  it("accepts a minimal Generate and a minimal Chat", () => {
    expect(checkGenerate({})).toEqual([]);
    expect(checkChat({})).toEqual([]);
    expect(checkChat({ messages: [] })).toEqual([]);
  });

  it("accepts a Generate request that uses every field within bounds", () => {
    expect(
      checkGenerate({
        model: "registry.example.com/team/qwen3:8b-q4_K_M",
        suffix: "}",
        system: "be terse",
        template: "{{ .Prompt }}",
        context: [1, 2],
        images: [IMAGE, Buffer.alloc(LIMITS.maxImageBytes, 1)],
        format: { kind: { $case: "jsonSchema", value: { type: "object" } } },
        options: { temperature: 0, topP: 1, numCtx: 1, numPredict: -2, stop: ["\n"], extra: { mirostat: 2 } },
        keepAlive: { seconds: -1, nanos: 0 },
        think: { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_MAX } },
        logprobs: true,
        topLogprobs: 20,
        truncate: false,
        shift: false,
      }),
    ).toEqual([]);
  });

  it("accepts a Chat request with tools, tool calls and images in range", () => {
    expect(
      checkChat({
        messages: [
          { role: Role.ROLE_SYSTEM, content: "tools available" },
          { role: Role.ROLE_USER, content: "look", images: [IMAGE] },
          { role: Role.ROLE_ASSISTANT, toolCalls: [{ id: "call_1", function: { name: "f", arguments: {} } }] },
          { role: Role.ROLE_TOOL, content: "42", toolName: "f", toolCallId: "call_1", images: [IMAGE] },
        ],
        tools: [{ function: { name: "f" } }, { function: { name: "g", description: "G" } }],
        format: { kind: { $case: "name", value: "json" } },
        think: { value: { $case: "enabled", value: true } },
        keepAlive: { seconds: 1, nanos: 500_000_000 },
        topLogprobs: 0,
      }),
    ).toEqual([]);
  });

  it("accepts raw mode on its own", () => {
    expect(checkGenerate({ raw: true })).toEqual([]);
  });
});

describe("invalid Generate requests", () => {
  const cases: Array<{ name: string; request: GeneratePartial; fields: string[] }> = [
    { name: "missing model", request: { model: "" }, fields: ["model"] },
    { name: "whitespace-only model", request: { model: "   " }, fields: ["model"] },
    { name: "whitespace in model", request: { model: "llama 3" }, fields: ["model"] },
    { name: "control character in model", request: { model: "llama\u0000" }, fields: ["model"] },
    { name: "model name over 512 characters", request: { model: "m".repeat(513) }, fields: ["model"] },
    { name: "empty image", request: { images: [IMAGE, Buffer.alloc(0)] }, fields: ["images[1]"] },
    { name: "image over maxImageBytes", request: { images: [Buffer.alloc(LIMITS.maxImageBytes + 1)] }, fields: ["images[0]"] },
    { name: "too many images", request: { images: [IMAGE, IMAGE, IMAGE] }, fields: ["images"] },
    { name: "raw with system", request: { raw: true, system: "s" }, fields: ["raw"] },
    { name: "raw with template", request: { raw: true, template: "{{ .Prompt }}" }, fields: ["raw"] },
    { name: "raw with context", request: { raw: true, context: [1] }, fields: ["raw"] },
    { name: "format with no kind", request: { format: {} }, fields: ["format"] },
    { name: 'format.name "yaml"', request: { format: { kind: { $case: "name", value: "yaml" } } }, fields: ["format.name"] },
    { name: "think with no value", request: { think: {} }, fields: ["think"] },
    {
      name: "think.level UNSPECIFIED",
      request: { think: { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_UNSPECIFIED } } },
      fields: ["think.level"],
    },
    { name: "think.level unknown (9)", request: { think: { value: { $case: "level", value: 9 as ThinkLevel } } }, fields: ["think.level"] },
    { name: "top_logprobs 21", request: { topLogprobs: 21 }, fields: ["top_logprobs"] },
    { name: "top_logprobs -1", request: { topLogprobs: -1 }, fields: ["top_logprobs"] },
    { name: "temperature -0.1", request: { options: { temperature: -0.1 } }, fields: ["options.temperature"] },
    { name: "NaN temperature", request: { options: { temperature: Number.NaN } }, fields: ["options.temperature"] },
    { name: "infinite top_p", request: { options: { topP: Number.POSITIVE_INFINITY } }, fields: ["options.top_p"] },
    { name: "top_p 1.5", request: { options: { topP: 1.5 } }, fields: ["options.top_p"] },
    { name: "num_ctx 0", request: { options: { numCtx: 0 } }, fields: ["options.num_ctx"] },
    { name: "num_predict -3", request: { options: { numPredict: -3 } }, fields: ["options.num_predict"] },
    { name: "empty stop string", request: { options: { stop: ["###", ""] } }, fields: ["options.stop[1]"] },
    { name: "extra duplicates a typed option", request: { options: { extra: { temperature: 0.5, mirostat: 1 } } }, fields: ["options.extra.temperature"] },
    { name: "keep_alive seconds>0, nanos<0", request: { keepAlive: { seconds: 1, nanos: -1 } }, fields: ["keep_alive"] },
    { name: "keep_alive seconds<0, nanos>0", request: { keepAlive: { seconds: -1, nanos: 1 } }, fields: ["keep_alive"] },
    { name: "keep_alive nanos out of range", request: { keepAlive: { seconds: 0, nanos: 1_000_000_000 } }, fields: ["keep_alive"] },
    { name: "keep_alive seconds out of range", request: { keepAlive: { seconds: 315_576_000_001, nanos: 0 } }, fields: ["keep_alive"] },
  ];

  it.each(cases)("$name -> $fields", ({ request, fields }) => {
    expect(checkGenerate(request)).toEqual(fields);
  });
});

describe("invalid Chat requests", () => {
  const cases: Array<{ name: string; request: ChatPartial; fields: string[] }> = [
    { name: "missing model", request: { model: "" }, fields: ["model"] },
    { name: "messages[1].role unspecified", request: { messages: [USER, { content: "x" }] }, fields: ["messages[1].role"] },
    { name: "messages[1].role unknown (9)", request: { messages: [USER, { role: 9 as Role, content: "x" }] }, fields: ["messages[1].role"] },
    { name: "messages[0].role UNRECOGNIZED", request: { messages: [{ role: Role.UNRECOGNIZED }] }, fields: ["messages[0].role"] },
    { name: "empty image in a message", request: { messages: [{ ...USER, images: [Buffer.alloc(0)] }] }, fields: ["messages[0].images[0]"] },
    {
      name: "image over maxImageBytes in a message",
      request: { messages: [USER, { ...USER, images: [IMAGE, Buffer.alloc(LIMITS.maxImageBytes + 1)] }] },
      fields: ["messages[1].images[1]"],
    },
    {
      name: "too many images across messages",
      request: { messages: [{ ...USER, images: [IMAGE, IMAGE] }, USER, { ...USER, images: [IMAGE] }] },
      fields: ["messages[2].images"],
    },
    { name: "tools[0].function missing", request: { tools: [{}] }, fields: ["tools[0].function"] },
    { name: "tool with an empty name", request: { tools: [{ function: { name: "" } }] }, fields: ["tools[0].function.name"] },
    {
      name: "duplicate tool names",
      request: { tools: [{ function: { name: "f" } }, { function: { name: "g" } }, { function: { name: "f" } }] },
      fields: ["tools[2].function.name"],
    },
    {
      name: "tool call in history without a name",
      request: { messages: [USER, { role: Role.ROLE_ASSISTANT, toolCalls: [{ function: { name: "ok" } }, { function: { name: "" } }] }] },
      fields: ["messages[1].tool_calls[1].function.name"],
    },
    {
      name: "tool call in history without a function",
      request: { messages: [{ role: Role.ROLE_ASSISTANT, toolCalls: [{ id: "call_1" }] }] },
      fields: ["messages[0].tool_calls[0].function.name"],
    },
    { name: "keep_alive with mixed-sign seconds/nanos", request: { keepAlive: { seconds: 5, nanos: -5 } }, fields: ["keep_alive"] },
    { name: "top_logprobs 21", request: { topLogprobs: 21 }, fields: ["top_logprobs"] },
    { name: "options.extra duplicates num_ctx", request: { options: { extra: { num_ctx: 4096 } } }, fields: ["options.extra.num_ctx"] },
  ];

  it.each(cases)("$name -> $fields", ({ request, fields }) => {
    expect(checkChat(request)).toEqual(fields);
  });
});

describe("option ranges", () => {
  const bounded = OPTION_SPECS.filter((spec) => spec.min !== undefined || spec.max !== undefined);
  const step = (kind: string): number => (kind === "int" ? 1 : 0.01);

  // Every bound in the table is enforced, and the bound itself is inclusive.
  it.each(bounded)("options.$key: accepts its bounds and rejects values just outside", (spec) => {
    const at = (value: number): string[] => {
      const violations: FieldViolation[] = [];
      checkOptions(ModelOptions.fromPartial({ [spec.field]: value }), violations);
      return fieldsOf(violations);
    };
    if (spec.min !== undefined) {
      expect(at(spec.min)).toEqual([]);
      expect(at(spec.min - step(spec.kind))).toEqual([`options.${spec.key}`]);
    }
    if (spec.max !== undefined) {
      expect(at(spec.max)).toEqual([]);
      expect(at(spec.max + step(spec.kind))).toEqual([`options.${spec.key}`]);
    }
  });

  it("describes the violated range", () => {
    const violations: FieldViolation[] = [];
    checkOptions(ModelOptions.fromPartial({ topP: 1.5, temperature: -1 }), violations);
    expect(violations).toEqual([
      { field: "options.top_p", description: "must be between 0 and 1" },
      { field: "options.temperature", description: "must be >= 0" },
    ]);
  });
});

describe("several problems", () => {
  // A caller must be able to fix everything in one round trip.
  it("reports every problem of a Chat request at once, in field order", () => {
    expect(
      checkChat({
        model: "",
        messages: [{ content: "no role", images: [Buffer.alloc(0)] }],
        tools: [{}],
        options: { topP: 2, stop: [""] },
        keepAlive: { seconds: 1, nanos: -1 },
        think: {},
        topLogprobs: 30,
      }),
    ).toEqual([
      "model",
      "messages[0].role",
      "messages[0].images[0]",
      "tools[0].function",
      "options.top_p",
      "options.stop[0]",
      "keep_alive",
      "think",
      "top_logprobs",
    ]);
  });

  it("reports every problem of a Generate request at once", () => {
    expect(
      checkGenerate({
        model: "bad model",
        images: [Buffer.alloc(LIMITS.maxImageBytes + 1)],
        raw: true,
        system: "s",
        format: { kind: { $case: "name", value: "yaml" } },
        options: { numCtx: 0, extra: { seed: 1 } },
      }),
    ).toEqual(["model", "images[0]", "raw", "format.name", "options.num_ctx", "options.extra.seed"]);
  });

  it("gives every violation a non-empty description", () => {
    const violations = validateGenerateRequest(GenerateRequest.fromPartial({ topLogprobs: 99, think: {} }), LIMITS);
    expect(violations.length).toBeGreaterThan(0);
    for (const violation of violations) expect(violation.description).not.toBe("");
  });
});
