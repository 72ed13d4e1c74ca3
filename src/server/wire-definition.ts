/**
 * OllamaService as the server registers it: ts-proto's definition, except
 * that the per-token responses (Generate, Chat) are serialized by the fast
 * encoders of token-encoding.ts (same bytes, about half the CPU), without
 * nice-grpc's `fromPartial` copy of every message (those encoders accept
 * partial messages themselves). Clients, reflection and every other method
 * are unchanged.
 */
import { ChatResponse, GenerateResponse, OllamaServiceDefinition } from "../../gen/ollama/v1/ollama.js";
import { encodeChatResponse, encodeGenerateResponse } from "./token-encoding.js";

/** A ts-proto message type whose `encode` is replaced (nice-grpc calls `encode(message).finish()`). */
function withEncoder<T extends { encode: unknown }, M>(type: T, encode: (message: M) => Uint8Array) {
  return { ...type, fromPartial: undefined, encode: (message: M) => ({ finish: () => encode(message) }) };
}

const { methods } = OllamaServiceDefinition;

/** Typed as ts-proto's definition: the wire format, and so every implementation signature, is the same. */
export const OllamaServiceWireDefinition = {
  ...OllamaServiceDefinition,
  methods: {
    ...methods,
    generate: { ...methods.generate, responseType: withEncoder(GenerateResponse, encodeGenerateResponse) },
    chat: { ...methods.chat, responseType: withEncoder(ChatResponse, encodeChatResponse) },
  },
} as unknown as typeof OllamaServiceDefinition;
