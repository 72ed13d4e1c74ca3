import { describe, expect, it } from "vitest";
import { ModelOptions } from "../../../gen/ollama/v1/ollama.js";
import { OPTION_SPECS, TYPED_OPTION_KEYS, toOllamaOptions, type OptionSpec } from "../../../src/service/options-mapping.js";

const snakeCase = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A value of the spec's kind that is in range (and not a default-looking zero, to catch dropped fields). */
function sampleValue(spec: OptionSpec): number | boolean | string[] {
  switch (spec.kind) {
    case "int":
      return 7;
    case "double":
      return 0.25;
    case "bool":
      return false;
    case "strings":
      return ["\n\n", "User:"];
  }
}

describe("OPTION_SPECS", () => {
  // A ModelOptions field missing from the table would be silently dropped by the mapping and by validation.
  it("covers every typed ModelOptions field exactly once", () => {
    const fields = Object.keys(ModelOptions.fromPartial({})).filter((key) => key !== "extra").sort();
    expect(OPTION_SPECS.map((spec) => spec.field).sort()).toEqual(fields);
  });

  it.each(OPTION_SPECS)("$field uses Ollama's snake_case key $key", ({ field, key }) => {
    expect(key).toBe(snakeCase(field));
  });

  it("TYPED_OPTION_KEYS lists every Ollama key", () => {
    expect([...TYPED_OPTION_KEYS].sort()).toEqual(OPTION_SPECS.map((spec) => spec.key).sort());
  });
});

describe("toOllamaOptions", () => {
  it.each(OPTION_SPECS)("$field lands under options.$key", (spec) => {
    const value = sampleValue(spec);
    const options = ModelOptions.fromPartial({ [spec.field]: value });
    expect(toOllamaOptions(options)).toStrictEqual({ [spec.key]: value });
  });

  it("keeps explicit zeros and false (set is not the same as absent)", () => {
    const options = ModelOptions.fromPartial({ temperature: 0, topK: 0, seed: 0, useMmap: false, numGpu: 0 });
    expect(toOllamaOptions(options)).toStrictEqual({ temperature: 0, top_k: 0, seed: 0, use_mmap: false, num_gpu: 0 });
  });

  it("maps all fields together", () => {
    const all = Object.fromEntries(OPTION_SPECS.map((spec) => [spec.field, sampleValue(spec)]));
    const expected = Object.fromEntries(OPTION_SPECS.map((spec) => [spec.key, sampleValue(spec)]));
    expect(toOllamaOptions(ModelOptions.fromPartial(all))).toStrictEqual(expected);
  });

  it("omits an empty stop list", () => {
    expect(toOllamaOptions(ModelOptions.fromPartial({ stop: [], temperature: 1 }))).toStrictEqual({ temperature: 1 });
  });

  it("passes extra keys through unchanged, next to typed ones", () => {
    const options = ModelOptions.fromPartial({
      numCtx: 8192,
      extra: { mirostat: 2, mirostat_tau: 5.5, future_flag: true, nested: { a: [1, "b"] } },
    });
    expect(toOllamaOptions(options)).toStrictEqual({
      num_ctx: 8192,
      mirostat: 2,
      mirostat_tau: 5.5,
      future_flag: true,
      nested: { a: [1, "b"] },
    });
  });

  it("lets the typed field win when extra duplicates it (validation rejects this earlier)", () => {
    const options = ModelOptions.fromPartial({ temperature: 0.1, extra: { temperature: 9 } });
    expect(toOllamaOptions(options)).toStrictEqual({ temperature: 0.1 });
  });

  const empty = [
    { name: "undefined", options: undefined },
    { name: "nothing set", options: ModelOptions.fromPartial({}) },
    { name: "empty extra and empty stop", options: ModelOptions.fromPartial({ extra: {}, stop: [] }) },
  ];

  it.each(empty)("returns undefined when $name, so the key is omitted", ({ options }) => {
    expect(toOllamaOptions(options)).toBeUndefined();
  });
});
