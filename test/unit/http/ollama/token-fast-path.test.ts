/**
 * The per-token fast path writes the same bytes as the general encoder, for
 * every kind of text a token can carry, and alternating models (the model's
 * JSON is cached) never leak into each other's lines.
 */
import { describe, expect, it } from "vitest";
import { Role, type ChatResponse, type GenerateResponse } from "../../../../gen/ollama/v1/ollama.js";
import { encodeGoJson } from "../../../../src/ollama/go-json.js";
import { chatChunkJson, chatObject, generateChunkJson, generateObject } from "../../../../src/http/ollama/completion-responses.js";

const TEXTS = ["", " near", "a\"quote\" and \\backslash", "<b>&amp;</b>", "line\nbreak\ttab", "emoji 😀 and \u2028\u2029", "naïve ü", "\u0000\u001f control"];
const MODELS = ["llama3.2", "qwen3:latest", "hf.co/user/model:Q4_K_M", "llama3.2"];
const at = new Date(Date.UTC(2026, 10, 21, 21, 34, 41, 822));

function chat(model: string, content: string, thinking: string, role = Role.ROLE_ASSISTANT): ChatResponse {
  return {
    model,
    createdAt: at,
    message: { role, content, images: [], thinking, toolCalls: [], toolName: "", toolCallId: "" },
    logprobs: [],
    done: false,
    doneReason: "",
    usage: undefined,
    timings: undefined,
    backend: "",
  };
}

function generate(model: string, response: string, thinking: string): GenerateResponse {
  return { model, createdAt: at, response, thinking, toolCalls: [], logprobs: [], done: false, doneReason: "", usage: undefined, timings: undefined, backend: "", context: [] };
}

describe("token lines: fast path == general encoder", () => {
  it("chat, every text, thinking or not, alternating models", () => {
    for (const model of MODELS) {
      for (const content of TEXTS) {
        for (const thinking of ["", ...TEXTS.slice(1, 4)]) {
          const message = chat(model, content, thinking);
          expect(chatChunkJson(message)).toBe(encodeGoJson(chatObject(message)));
        }
      }
    }
  });

  it("generate, every text, thinking or not, alternating models", () => {
    for (const model of MODELS) {
      for (const response of TEXTS) {
        for (const thinking of ["", ...TEXTS.slice(1, 4)]) {
          const message = generate(model, response, thinking);
          expect(generateChunkJson(message)).toBe(encodeGoJson(generateObject(message)));
        }
      }
    }
  });

  it("lines that are not plain tokens take the general path", () => {
    const final = { ...chat("llama3.2", "", ""), done: true, doneReason: "stop", usage: { promptEvalCount: 3, evalCount: 5 } };
    expect(chatChunkJson(final)).toBe(encodeGoJson(chatObject(final)));
    expect(chatChunkJson(final)).toContain('"done_reason":"stop","done":true');
    const user = chat("llama3.2", "hi", "", Role.ROLE_USER);
    expect(chatChunkJson(user)).toContain('"role":"user"');
  });
});
