/** Merging backend catalogues: union by name, locations in backend order, digest mismatches flagged, failures reported. */
import { describe, expect, it } from "vitest";
import { mergeCatalogues, type CatalogueAnswer } from "../../../src/service/model-catalogue.js";

const llama = (digest: string, size = 2_000) => ({
  name: "llama3.2:latest",
  digest,
  size,
  modified_at: "2026-08-21T10:00:00.123456789Z",
  details: { format: "gguf", family: "llama", families: ["llama"], parameter_size: "3.2B", quantization_level: "Q4_K_M" },
});
const qwen = { name: "qwen3:latest", digest: "q1", size: 5_000 };

describe("mergeCatalogues", () => {
  it("unions models by name, sorted, with one location per backend", () => {
    const answers: CatalogueAnswer[] = [
      { backend: "a", models: [qwen, llama("d1")] },
      { backend: "b", models: [llama("d1")] },
    ];
    const { models, backends } = mergeCatalogues(answers);
    expect(models.map((m) => m.name)).toEqual(["llama3.2:latest", "qwen3:latest"]);
    expect(models[0]).toMatchObject({
      size: 2_000,
      digest: "d1",
      digestMismatch: false,
      details: { format: "gguf", family: "llama", families: ["llama"], parameterSize: "3.2B", quantizationLevel: "Q4_K_M" },
    });
    expect(models[0]!.locations.map((l) => l.backend)).toEqual(["a", "b"]);
    expect(models[0]!.modifiedAt?.toISOString()).toBe("2026-08-21T10:00:00.123Z");
    expect(models[1]!.locations.map((l) => l.backend)).toEqual(["a"]);
    expect(backends).toEqual([
      { backend: "a", reachable: true, error: "" },
      { backend: "b", reachable: true, error: "" },
    ]);
  });

  it("flags a name whose digest differs between backends and keeps each copy's digest", () => {
    const { models } = mergeCatalogues([
      { backend: "a", models: [llama("d1")] },
      { backend: "b", models: [llama("d2", 3_000)] },
    ]);
    expect(models[0]!.digestMismatch).toBe(true);
    expect(models[0]!.locations.map((l) => [l.backend, l.digest, l.size])).toEqual([
      ["a", "d1", 2_000],
      ["b", "d2", 3_000],
    ]);
  });

  it("reports failed backends without failing the merge", () => {
    const { models, backends } = mergeCatalogues([
      { backend: "a", error: "backend connection failed (ECONNREFUSED)" },
      { backend: "b", models: [qwen] },
    ]);
    expect(models.map((m) => m.name)).toEqual(["qwen3:latest"]);
    expect(backends[0]).toEqual({ backend: "a", reachable: false, error: "backend connection failed (ECONNREFUSED)" });
  });

  it("skips nameless entries and tolerates missing details", () => {
    const { models } = mergeCatalogues([{ backend: "a", models: [{ name: "" }, { name: "bare:latest" }] }]);
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ name: "bare:latest", size: 0, digest: "", details: { family: "", families: [] } });
  });
});
