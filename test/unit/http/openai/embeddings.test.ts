import { describe, expect, it } from "vitest";
import { EmbedResponse } from "../../../../gen/ollama/v1/ollama.js";
import { parseEmbeddingsRequest } from "../../../../src/http/openai/embeddings-request.js";
import { embeddingsBody, float32Text } from "../../../../src/http/openai/embeddings-response.js";

function failureOf(parsed: { ok: boolean; status?: number; body?: string }): { status: number | undefined; message: string } {
  if (parsed.ok) throw new Error("expected a failure");
  return { status: parsed.status, message: JSON.parse(parsed.body ?? "").error.message };
}

/** Values as the proto carries them: float32, widened to double. */
const float32s = (values: number[]) => values.map(Math.fround);

describe("embeddingsBody", () => {
  const response = EmbedResponse.fromPartial({
    model: "e",
    embeddings: [{ values: float32s([0.1, -0.25, 3e-7]) }, { values: float32s([1, 123456.789]) }],
    promptEvalCount: 9,
  });

  it("writes Ollama's list with float32 values in their shortest form", () => {
    expect(embeddingsBody(response, "all-minilm", "float")).toBe(
      '{"object":"list","data":[{"object":"embedding","embedding":[0.1,-0.25,3e-7],"index":0},' +
        '{"object":"embedding","embedding":[1,123456.79],"index":1}],"model":"all-minilm","usage":{"prompt_tokens":9,"total_tokens":9}}\n',
    );
  });

  it("writes base64 of little-endian float32 that decodes back to the same floats", () => {
    const body = JSON.parse(embeddingsBody(response, "e", "base64"));
    const decoded = body.data.map((item: { embedding: string }) => {
      const bytes = Buffer.from(item.embedding, "base64");
      return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    });
    expect(decoded).toStrictEqual(response.embeddings.map((e) => e.values));
    expect(body.data[1].embedding).toBe(Buffer.from(new Float32Array([1, 123456.789]).buffer).toString("base64"));
  });

  it.each([
    [0.1, "0.1"],
    [Math.fround(0.1), "0.1"],
    [1 / 3, "0.33333334"],
    [-0.0000001, "-1e-7"],
    [16777217, "16777216"],
    [1e21, "1e+21"],
  ])("float32Text(%d) is %s", (value, text) => {
    expect(float32Text(value)).toBe(text);
    expect(Math.fround(Number(text))).toBe(Math.fround(value));
  });
});

describe("parseEmbeddingsRequest", () => {
  function embeddings(body: Record<string, unknown>) {
    const parsed = parseEmbeddingsRequest(JSON.stringify({ model: "e", ...body }));
    if (!parsed.ok) throw new Error(`unexpected failure: ${parsed.body}`);
    return parsed;
  }

  it.each([
    ["a string", "hello", ["hello"]],
    ["an empty string (embedded as is, as Ollama does)", "", [""]],
    ["an array", ["a", "b"], ["a", "b"]],
  ])("reads input given as %s", (_name, input, expected) => {
    expect(embeddings({ input }).request.input).toStrictEqual(expected);
  });

  it("defaults to float and reads base64 in any case", () => {
    expect(embeddings({ input: "x" }).encodingFormat).toBe("float");
    expect(embeddings({ input: "x", encoding_format: "float" }).encodingFormat).toBe("float");
    expect(embeddings({ input: "x", encoding_format: "BASE64" }).encodingFormat).toBe("base64");
  });

  it("maps dimensions, 0 meaning unset", () => {
    expect(embeddings({ input: "x", dimensions: 256 }).request).toMatchObject({ model: "e", dimensions: 256 });
    expect(embeddings({ input: "x", dimensions: 0 }).request.dimensions).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["no input", {}, "invalid input"],
    ["an empty array", { input: [] }, "invalid input"],
    ["token arrays", { input: [1, 2, 3] }, "invalid input type"],
    ["an unknown encoding_format", { input: "x", encoding_format: "int8" }, "Invalid value for 'encoding_format' = int8. Supported values: ['float', 'base64']."],
    ["a string dimensions", { input: "x", dimensions: "8" }, "json: cannot unmarshal string into Go struct field EmbedRequest.dimensions of type int"],
  ])("rejects %s with 400", (_name, body, message) => {
    expect(failureOf(parseEmbeddingsRequest(JSON.stringify({ model: "e", ...body })))).toStrictEqual({ status: 400, message });
  });
});
