/**
 * ModelOptions <-> Ollama's `options` object: one table names every typed
 * option with its Ollama key, its kind and its valid range, so mapping and
 * validation cannot drift apart.
 */
import type { ModelOptions } from "../../gen/ollama/v1/ollama.js";
import type { JsonObject } from "../ollama/types.js";

/** Kind of a typed option, which decides its validation. */
type OptionKind = "int" | "double" | "bool" | "strings";

/** One typed option: the ts-proto field, the Ollama key, its kind and its bounds. */
export interface OptionSpec {
  readonly field: keyof ModelOptions;
  readonly key: string;
  readonly kind: OptionKind;
  readonly min?: number;
  readonly max?: number;
}

/** Every typed option. Bounds follow Ollama's documented meanings (api/types.go, docs/modelfile). */
export const OPTION_SPECS: readonly OptionSpec[] = [
  { field: "numKeep", key: "num_keep", kind: "int", min: -1 },
  { field: "seed", key: "seed", kind: "int" },
  { field: "numPredict", key: "num_predict", kind: "int", min: -2 },
  { field: "topK", key: "top_k", kind: "int", min: 0 },
  { field: "topP", key: "top_p", kind: "double", min: 0, max: 1 },
  { field: "minP", key: "min_p", kind: "double", min: 0, max: 1 },
  { field: "typicalP", key: "typical_p", kind: "double", min: 0, max: 1 },
  { field: "repeatLastN", key: "repeat_last_n", kind: "int", min: -1 },
  { field: "temperature", key: "temperature", kind: "double", min: 0 },
  { field: "repeatPenalty", key: "repeat_penalty", kind: "double", min: 0 },
  { field: "presencePenalty", key: "presence_penalty", kind: "double" },
  { field: "frequencyPenalty", key: "frequency_penalty", kind: "double" },
  { field: "stop", key: "stop", kind: "strings" },
  { field: "numCtx", key: "num_ctx", kind: "int", min: 1 },
  { field: "numBatch", key: "num_batch", kind: "int", min: 1 },
  { field: "numGpu", key: "num_gpu", kind: "int", min: -1 },
  { field: "mainGpu", key: "main_gpu", kind: "int", min: 0 },
  { field: "useMmap", key: "use_mmap", kind: "bool" },
  { field: "numThread", key: "num_thread", kind: "int", min: 0 },
  { field: "draftNumPredict", key: "draft_num_predict", kind: "int", min: 0 },
];

/** Ollama keys of the typed options, to reject duplicates in `extra`. */
export const TYPED_OPTION_KEYS: ReadonlySet<string> = new Set(OPTION_SPECS.map((spec) => spec.key));

/**
 * Builds Ollama's `options` object: `extra` first, then every typed field that
 * is set. Returns undefined when nothing is set, so the key is omitted.
 */
export function toOllamaOptions(options: ModelOptions | undefined): JsonObject | undefined {
  if (options === undefined) return undefined;
  const result: JsonObject = { ...(options.extra ?? {}) };
  for (const spec of OPTION_SPECS) {
    const value = options[spec.field];
    if (value === undefined) continue;
    if (spec.kind === "strings") {
      if ((value as string[]).length > 0) result[spec.key] = value;
      continue;
    }
    result[spec.key] = value;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}
