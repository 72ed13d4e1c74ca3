/** The fast token encoders write exactly ts-proto's bytes, for every shape (simple ones by hand, the rest delegated). */
import { describe, expect, it } from "vitest";
import { ChatResponse, GenerateResponse, Role } from "../../../gen/ollama/v1/ollama.js";
import { encodeChatResponse, encodeGenerateResponse } from "../../../src/server/token-encoding.js";
import { mulberry32 } from "../../../src/sim/prng.js";

const when = new Date("2026-11-21T18:00:00.123Z");
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("encodeGenerateResponse", () => {
  it.each([
    { name: "a token", m: { model: "llama3.2", createdAt: when, response: " token", backend: "b1" } },
    { name: "thinking only", m: { model: "qwen3", createdAt: when, thinking: "hmm", backend: "b1" } },
    { name: "empty (all defaults)", m: {} },
    { name: "unicode and a long text (2-byte length)", m: { model: "m", response: "é😀".repeat(100) } },
    { name: "done without usage", m: { model: "m", done: true, doneReason: "stop" } },
    { name: "epoch 0", m: { createdAt: new Date(0) } },
    { name: "final with usage and timings (delegated)", m: { model: "m", done: true, usage: { promptEvalCount: 3, evalCount: 9 }, timings: { totalDuration: { seconds: 1, nanos: 5 } } } },
    { name: "tool calls (delegated)", m: { toolCalls: [{ function: { name: "f", index: 0 } }] } },
    { name: "context (delegated)", m: { context: [1, 2, 300] } },
    { name: "a date before 1970 (delegated)", m: { createdAt: new Date(-1500) } },
  ])("$name", ({ m }) => {
    expect(hex(encodeGenerateResponse(m as never))).toBe(hex(GenerateResponse.encode(GenerateResponse.fromPartial(m as never)).finish()));
  });
});

describe("encodeChatResponse", () => {
  it.each([
    { name: "a token", m: { model: "llama3.2", createdAt: when, message: { role: Role.ROLE_ASSISTANT, content: " hi" }, backend: "b2" } },
    { name: "thinking", m: { message: { role: Role.ROLE_ASSISTANT, content: "", thinking: "..." } } },
    { name: "an empty message", m: { message: {} } },
    { name: "tool name and id", m: { message: { role: Role.ROLE_TOOL, toolName: "get_weather", toolCallId: "c1" } } },
    { name: "done", m: { model: "m", done: true, doneReason: "length", message: { role: Role.ROLE_ASSISTANT } } },
    { name: "logprobs (delegated)", m: { logprobs: [{ token: "a", logprob: -0.5, bytes: Buffer.from([97]), topLogprobs: [] }] } },
    { name: "images (delegated)", m: { message: { images: [Buffer.from([1, 2])] } } },
    { name: "tool calls (delegated)", m: { message: { toolCalls: [{ function: { name: "f", index: 0 } }] } } },
  ])("$name", ({ m }) => {
    expect(hex(encodeChatResponse(m as never))).toBe(hex(ChatResponse.encode(ChatResponse.fromPartial(m as never)).finish()));
  });

  it("500 random token messages match ts-proto byte for byte", () => {
    const random = mulberry32(7);
    const text = () => {
      const alphabet = ["a", " ", "é", "😀", "\n", "字", "x".repeat(130)];
      let s = "";
      const n = Math.floor(random() * 6);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
      return s;
    };
    for (let i = 0; i < 500; i++) {
      const m = {
        model: text(),
        createdAt: random() < 0.9 ? new Date(Math.floor(random() * 4e12)) : undefined,
        message: random() < 0.9 ? { role: Math.floor(random() * 5), content: text(), thinking: text(), toolName: text(), toolCallId: text() } : undefined,
        done: random() < 0.1,
        doneReason: text(),
        backend: text(),
      };
      expect(hex(encodeChatResponse(m as never))).toBe(hex(ChatResponse.encode(ChatResponse.fromPartial(m as never)).finish()));
      const g = { model: m.model, createdAt: m.createdAt, response: text(), thinking: text(), done: m.done, doneReason: m.doneReason, backend: m.backend };
      expect(hex(encodeGenerateResponse(g))).toBe(hex(GenerateResponse.encode(GenerateResponse.fromPartial(g)).finish()));
    }
  });
});
