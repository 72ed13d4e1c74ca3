/**
 * The request `options` map, checked like Ollama's `api.Options.FromMap`.
 *
 * Unknown keys (including ones removed in 2025 such as `numa` or `mirostat`)
 * are ignored, null values are skipped, and a wrong type fails with
 * `option "<key>" must be of type ...`. That error surfaces from
 * `scheduleRunner`, hence HTTP 500. Integer options accept any JSON number
 * and truncate it, because Go decodes numbers as float64 first.
 */

type OptionType = "int" | "float" | "bool" | "strings";

const OPTION_TYPES: Readonly<Record<string, OptionType>> = {
  num_keep: "int",
  seed: "int",
  num_predict: "int",
  top_k: "int",
  top_p: "float",
  min_p: "float",
  typical_p: "float",
  repeat_last_n: "int",
  temperature: "float",
  repeat_penalty: "float",
  presence_penalty: "float",
  frequency_penalty: "float",
  stop: "strings",
  num_ctx: "int",
  num_batch: "int",
  num_gpu: "int",
  main_gpu: "int",
  use_mmap: "bool",
  num_thread: "int",
  draft_num_predict: "int",
};

/** The options the simulator acts on. */
export interface ModelOptions {
  /** Generated-token cap; negative means unbounded. */
  readonly numPredict?: number;
  readonly seed?: number;
  readonly stop?: readonly string[];
  /** A different value from the resident runner's forces a reload. */
  readonly numCtx?: number;
}

export type OptionsResult = { ok: true; value: ModelOptions } | { ok: false; message: string };

/** Validates and extracts `options`; `raw` is the bound (already object-typed) field. */
export function readModelOptions(raw: Readonly<Record<string, unknown>> | undefined): OptionsResult {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    const type = Object.hasOwn(OPTION_TYPES, key) ? OPTION_TYPES[key] : undefined;
    if (type === undefined || value === null) continue;
    const problem = typeProblem(type, value);
    if (problem !== undefined) return { ok: false, message: `option ${JSON.stringify(key)} must be ${problem}` };
    values[key] = type === "int" ? Math.trunc(value as number) : value;
  }
  return {
    ok: true,
    value: {
      numPredict: values.num_predict as number | undefined,
      seed: values.seed as number | undefined,
      stop: values.stop as string[] | undefined,
      numCtx: values.num_ctx as number | undefined,
    },
  };
}

function typeProblem(type: OptionType, value: unknown): string | undefined {
  switch (type) {
    case "int":
      return typeof value === "number" ? undefined : "of type integer";
    case "float":
      return typeof value === "number" ? undefined : "of type float32";
    case "bool":
      return typeof value === "boolean" ? undefined : "of type boolean";
    case "strings":
      if (!Array.isArray(value)) return "of type array";
      return value.every((item) => typeof item === "string") ? undefined : "of an array of strings";
  }
}
