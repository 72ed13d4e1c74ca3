/**
 * Ollama's `options` object -> ModelOptions: the exact inverse of the
 * gateway's toOllamaOptions (src/service/options-mapping.ts), so that a
 * request relayed through the gateway reaches the backend with the options
 * the client sent.
 *
 * Checked like Ollama's `api.Options.FromMap`: a known key with a JSON null is
 * skipped; a known key with a wrong type fails with
 * `option "<key>" must be of type ...`, which Ollama reports as HTTP 500 (it
 * surfaces from scheduleRunner); integer options take any number and are
 * truncated, because Go decodes numbers as float64 first. Unknown keys (which
 * Ollama ignores) go to `extra` unchanged, so newer options still reach a
 * newer backend.
 */
import type { ModelOptions } from "../../../gen/ollama/v1/ollama.js";
import { OPTION_SPECS, type OptionSpec } from "../../service/options-mapping.js";
import { ParseStop } from "./parsed.js";

/** The typed options by Ollama key: the upstream mapping's own table, so the two directions cannot drift. */
const BY_KEY = new Map(OPTION_SPECS.map((spec) => [spec.key, spec]));

type OptionKind = OptionSpec["kind"];

/** Ollama's wording of each kind in its type error (api/types.go `FromMap`). */
const KIND_TEXT: Record<OptionKind, string> = { int: "of type integer", double: "of type float32", bool: "of type boolean", strings: "of type array" };

/**
 * Converts the bound `options` object (already known to be a JSON object).
 * Returns undefined when it sets nothing, like an absent `options`.
 * @throws ParseStop (500, Ollama's text) on a wrongly typed known option.
 */
export function parseModelOptions(raw: Readonly<Record<string, unknown>> | undefined): ModelOptions | undefined {
  if (raw === undefined) return undefined;
  const options: ModelOptions = { stop: [] };
  const extra: Record<string, unknown> = {};
  let set = false;
  for (const [key, value] of Object.entries(raw)) {
    const spec = BY_KEY.get(key);
    if (spec === undefined) {
      extra[key] = value;
      set = true;
      continue;
    }
    if (value === null) continue;
    (options as unknown as Record<string, unknown>)[spec.field] = typedValue(key, spec.kind, value);
    set = true;
  }
  if (Object.keys(extra).length > 0) options.extra = extra;
  return set ? options : undefined;
}

function typedValue(key: string, kind: OptionKind, value: unknown): unknown {
  const wrong = (text = KIND_TEXT[kind]): never => {
    throw new ParseStop(500, `option ${JSON.stringify(key)} must be ${text}`);
  };
  switch (kind) {
    case "int":
      return typeof value === "number" ? Math.trunc(value) : wrong();
    case "double":
      return typeof value === "number" ? value : wrong();
    case "bool":
      return typeof value === "boolean" ? value : wrong();
    case "strings":
      if (!Array.isArray(value)) return wrong();
      return value.every((item) => typeof item === "string") ? [...value] : wrong("of an array of strings");
  }
}
