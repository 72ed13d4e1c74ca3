/**
 * Proto values -> the values Ollama's Go types marshal to: timestamps in
 * RFC3339Nano UTC, durations as integer nanoseconds, ModelDetails with every
 * key present. Shared by the response encoders.
 */
import type { ModelDetails } from "../../../gen/ollama/v1/ollama.js";
import type { Duration } from "../../../gen/google/protobuf/duration.js";
import { goTimestamp } from "../../ollama/go-timestamp.js";

/** Go's zero time.Time as json.Marshal writes it (a time.Time field is never omitted, even with omitempty). */
export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** A proto Timestamp (ts-proto Date) -> RFC3339Nano in UTC; absent is Go's zero time. */
export function timestampText(date: Date | undefined): string {
  return date === undefined || Number.isNaN(date.getTime()) ? GO_ZERO_TIME : goTimestamp(date.getTime());
}

/** A Duration -> integer nanoseconds (Go's time.Duration); absent is 0. */
export function durationNanos(duration: Duration | undefined): number {
  return duration === undefined ? 0 : duration.seconds * 1e9 + duration.nanos;
}

/**
 * api.ModelDetails: no field is omitempty, and a model without families has
 * a nil slice, written `null` (the proto cannot tell nil from empty, and nil
 * is what Ollama holds when the model file names no family).
 */
export function detailsObject(details: ModelDetails | undefined): Record<string, unknown> {
  return {
    parent_model: details?.parentModel ?? "",
    format: details?.format ?? "",
    family: details?.family ?? "",
    families: details === undefined || details.families.length === 0 ? null : details.families,
    parameter_size: details?.parameterSize ?? "",
    quantization_level: details?.quantizationLevel ?? "",
  };
}

/** Go marshals a `map[string]any` with its keys sorted (nested maps too); arrays keep their order. */
export function sortedKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeysDeep);
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareUtf8)) {
    Object.defineProperty(out, key, {
      value: sortedKeysDeep((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Go compares map keys as UTF-8 bytes. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
