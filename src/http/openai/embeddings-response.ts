/**
 * EmbedResponse -> /v1/embeddings body, as Ollama's ToEmbeddingList writes
 * it: `{"object":"list","data":[{"object":"embedding","embedding":…,"index":i}],
 * "model":…,"usage":{"prompt_tokens":n,"total_tokens":n}}`.
 */
import type { EmbedResponse } from "../../../gen/ollama/v1/ollama.js";
import type { EncodingFormat } from "./embeddings-request.js";

/**
 * The embeddings body (application/json), newline-terminated like Go's
 * json.Encoder. `model` is the name the client sent.
 *
 * Float vectors are written as Go writes a float32 (the shortest decimal that
 * reads back to the same float32: 0.1, not 0.10000000149011612); base64 is
 * the vector's little-endian float32 bytes, which is what OpenAI's SDKs decode.
 */
export function embeddingsBody(response: EmbedResponse, model: string, encodingFormat: EncodingFormat): string {
  // Written by hand: the structure is fixed, and a vector of thousands of floats is formatted once.
  const data = response.embeddings.map((embedding, index) => {
    const vector =
      encodingFormat === "base64" ? JSON.stringify(float32Base64(embedding.values)) : `[${embedding.values.map(float32Text).join(",")}]`;
    return `{"object":"embedding","embedding":${vector},"index":${index}}`;
  });
  const tokens = response.promptEvalCount;
  const usage = `{"prompt_tokens":${tokens},"total_tokens":${tokens}}`;
  return `{"object":"list","data":[${data.join(",")}],"model":${JSON.stringify(model)},"usage":${usage}}\n`;
}

/** Base64 of the values as little-endian float32. */
export function float32Base64(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString("base64");
}

/** The shortest decimal text that reads back to the same float32 as `value` (Go's strconv 'g', bitSize 32). */
export function float32Text(value: number): string {
  const single = Math.fround(value);
  if (!Number.isFinite(single)) return "null";
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(single.toPrecision(digits));
    if (Math.fround(candidate) === single) return String(candidate);
  }
  return String(Number(single.toPrecision(9)));
}
