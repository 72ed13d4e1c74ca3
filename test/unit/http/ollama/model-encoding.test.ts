/**
 * Bodies of Ollama's model routes, compared as exact strings with what
 * Ollama writes (api.ListResponse, api.ProcessResponse, api.ShowResponse,
 * api.EmbedResponse...): field order, omitempty, `null` for a nil slice,
 * sorted map keys, RFC3339Nano UTC timestamps, float32 formatting.
 */
import { describe, expect, it } from "vitest";
import type { Model, ModelDetails, RunningModel } from "../../../../gen/ollama/v1/ollama.js";
import { embeddingsJson, embedJson, psJson, showJson, tagsJson, versionJson } from "../../../../src/http/ollama/index.js";

const DETAILS: ModelDetails = {
  parentModel: "",
  format: "gguf",
  family: "llama",
  families: ["llama"],
  parameterSize: "3.2B",
  quantizationLevel: "Q4_K_M",
};
const DETAILS_JSON = '{"parent_model":"","format":"gguf","family":"llama","families":["llama"],"parameter_size":"3.2B","quantization_level":"Q4_K_M"}';

function model(name: string, modifiedAt: string, digest: string): Model {
  return { name, size: 2019393189, digest, modifiedAt: new Date(modifiedAt), details: DETAILS, locations: [{ backend: "b1", digest, size: 1 }], digestMismatch: false };
}

function running(name: string, backend: string, expiresAt: string, sizeVram: number): RunningModel {
  return { name, backend, size: 3_000_000_000, sizeVram, contextLength: 4096, expiresAt: new Date(expiresAt), digest: "a80c4f17acd5", details: DETAILS };
}

describe("GET /api/tags", () => {
  it("lists models most recently modified first, without the gateway's fields", () => {
    const body = tagsJson({
      models: [model("a:latest", "2026-01-01T10:00:00.5Z", "aa"), model("b:7b", "2026-03-01T00:00:00Z", "bb"), model("c:latest", "2026-01-01T10:00:00.9Z", "cc")],
      backends: [{ backend: "b1", reachable: true, error: "" }],
    });
    expect(body).toBe(
      `{"models":[` +
        `{"name":"b:7b","model":"b:7b","modified_at":"2026-03-01T00:00:00Z","size":2019393189,"digest":"bb","details":${DETAILS_JSON}},` +
        // Same second: Ollama compares whole seconds with a stable sort, so the input order stays.
        `{"name":"a:latest","model":"a:latest","modified_at":"2026-01-01T10:00:00.5Z","size":2019393189,"digest":"aa","details":${DETAILS_JSON}},` +
        `{"name":"c:latest","model":"c:latest","modified_at":"2026-01-01T10:00:00.9Z","size":2019393189,"digest":"cc","details":${DETAILS_JSON}}]}`,
    );
  });

  it("is an empty list, not null, when nothing is installed; missing details are all-empty with families null", () => {
    expect(tagsJson({ models: [], backends: [] })).toBe('{"models":[]}');
    const bare: Model = { name: "x:latest", size: 1, digest: "d", modifiedAt: undefined, details: undefined, locations: [], digestMismatch: false };
    expect(tagsJson({ models: [bare], backends: [] })).toBe(
      '{"models":[{"name":"x:latest","model":"x:latest","modified_at":"0001-01-01T00:00:00Z","size":1,"digest":"d","details":{"parent_model":"","format":"","family":"","families":null,"parameter_size":"","quantization_level":""}}]}',
    );
  });
});

describe("GET /api/ps", () => {
  it("lists each model once (the instance that stays longest), latest expiry first", () => {
    const body = psJson({
      models: [
        running("llama3.2:latest", "b1", "2026-01-01T10:05:00Z", 3_000_000_000),
        running("llama3.2:latest", "b2", "2026-01-01T10:09:00.25Z", 1_000_000_000),
        running("qwen3:latest", "b1", "2026-01-01T11:00:00Z", 0),
      ],
      backends: [],
    });
    expect(body).toBe(
      `{"models":[` +
        `{"name":"qwen3:latest","model":"qwen3:latest","size":3000000000,"digest":"a80c4f17acd5","details":${DETAILS_JSON},"expires_at":"2026-01-01T11:00:00Z","size_vram":0,"context_length":4096},` +
        `{"name":"llama3.2:latest","model":"llama3.2:latest","size":3000000000,"digest":"a80c4f17acd5","details":${DETAILS_JSON},"expires_at":"2026-01-01T10:09:00.25Z","size_vram":1000000000,"context_length":4096}]}`,
    );
    expect(psJson({ models: [], backends: [] })).toBe('{"models":[]}');
  });
});

describe("POST /api/show", () => {
  it("writes ShowResponse's order, omits empty strings, sorts model_info keys", () => {
    const body = showJson({
      license: "MIT <c>",
      modelfile: "FROM x\n",
      parameters: 'stop "<|eot|>"',
      template: "{{ .Prompt }}",
      system: "",
      details: DETAILS,
      modelInfo: { "llama.context_length": 131072, "general.architecture": "llama", "general.parameter_count": 3212749888, "tokenizer.ggml.tokens": [] },
      capabilities: ["completion", "tools"],
      modifiedAt: new Date("2026-02-03T04:05:06.789Z"),
      projectorInfo: undefined,
      backend: "b1",
    });
    expect(body).toBe(
      '{"license":"MIT \\u003cc\\u003e","modelfile":"FROM x\\n","parameters":"stop \\"\\u003c|eot|\\u003e\\"","template":"{{ .Prompt }}",' +
        `"details":${DETAILS_JSON},` +
        '"model_info":{"general.architecture":"llama","general.parameter_count":3212749888,"llama.context_length":131072,"tokenizer.ggml.tokens":[]},' +
        '"capabilities":["completion","tools"],"modified_at":"2026-02-03T04:05:06.789Z"}',
    );
  });

  it("always writes details and modified_at, nothing else when empty", () => {
    expect(
      showJson({ license: "", modelfile: "", parameters: "", template: "", system: "", details: undefined, modelInfo: {}, capabilities: [], modifiedAt: undefined, projectorInfo: {}, backend: "" }),
    ).toBe(
      '{"details":{"parent_model":"","format":"","family":"","families":null,"parameter_size":"","quantization_level":""},"modified_at":"0001-01-01T00:00:00Z"}',
    );
  });
});

describe("GET /api/version", () => {
  const backend = (name: string, version: string, reachable = true) => ({ backend: name, version, reachable, error: reachable ? "" : "down" });
  const cases: Array<[string, Array<ReturnType<typeof backend>>, string]> = [
    ["lowest of the reachable backends", [backend("a", "0.32.15"), backend("b", "0.9.7"), backend("c", "0.12.0")], "0.9.7"],
    ["a pre-release is below its release", [backend("a", "0.33.0"), backend("b", "0.33.0-rc2")], "0.33.0-rc2"],
    ["pre-releases compare numerically", [backend("a", "0.33.0-rc10"), backend("b", "0.33.0-rc2")], "0.33.0-rc10"],
    ["unreachable backends do not count", [backend("a", "0.30.0"), backend("b", "", false)], "0.30.0"],
    ["unparseable versions are skipped", [backend("a", "dev"), backend("b", "0.31.1")], "0.31.1"],
    ["none reachable: the gateway's version", [backend("a", "", false)], "1.4.0"],
  ];
  it.each(cases)("%s", (_name, backends, version) => {
    expect(versionJson({ gatewayVersion: "1.4.0", backends })).toBe(`{"version":"${version}"}`);
  });
});

describe("embeddings", () => {
  const timings = (total: number, load: number) => ({
    totalDuration: { seconds: 0, nanos: total },
    loadDuration: { seconds: 0, nanos: load },
    promptEvalDuration: undefined,
    evalDuration: undefined,
  });

  it("POST /api/embed writes float32 values as Go does, and the metrics", () => {
    const values = [Math.fround(0.1), -0.0234567, Math.fround(1e-7), 0];
    expect(embedJson({ model: "all-minilm", embeddings: [{ values }, { values: [0.5] }], promptEvalCount: 8, timings: timings(14143917, 1019500), backend: "b1" })).toBe(
      '{"model":"all-minilm","embeddings":[[0.1,-0.0234567,1e-7,0],[0.5]],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8}',
    );
  });

  it("POST /api/embed load-only: an empty list and no metrics", () => {
    expect(embedJson({ model: "all-minilm", embeddings: [], promptEvalCount: 0, timings: undefined, backend: "b1" })).toBe('{"model":"all-minilm","embeddings":[]}');
  });

  it("POST /api/embeddings (legacy) writes the one vector, or [] for an empty prompt", () => {
    expect(embeddingsJson({ model: "m", embeddings: [{ values: [0.25, -1.5] }], promptEvalCount: 2, timings: timings(1, 1), backend: "b1" })).toBe(
      '{"embedding":[0.25,-1.5]}',
    );
    expect(embeddingsJson({ model: "m", embeddings: [], promptEvalCount: 0, timings: undefined, backend: "b1" })).toBe('{"embedding":[]}');
  });
});
