/**
 * Builds a JSON value that superficially satisfies a JSON Schema: the right
 * type per property, enum and const honoured, numeric bounds respected.
 * Used for `format` (structured outputs) and for tool-call arguments.
 */
import { intBetween, pick } from "./prng.js";
import type { Rng } from "./prng.js";

const WORDS = ["blue", "river", "north", "quiet", "amber", "stone", "cloud", "maple", "harbor", "signal", "paris", "tokyo"];
const MAX_DEPTH = 6;

/** How properties are chosen for objects. */
export interface SampleOptions {
  /** Only `required` properties when the schema lists any (tool-call style). */
  readonly requiredOnly?: boolean;
}

/** A value for `schema`; anything that is not a schema object yields a short string. */
export function sampleSchema(schema: unknown, rng: Rng, options: SampleOptions = {}, depth = 0): unknown {
  if (!isRecord(schema) || depth > MAX_DEPTH) return pick(rng, WORDS);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return pick(rng, schema.enum);
  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (alternatives !== undefined && alternatives.length > 0) return sampleSchema(alternatives[0], rng, options, depth + 1);
  switch (schemaType(schema)) {
    case "object":
      return sampleObject(schema, rng, options, depth);
    case "array":
      return sampleArray(schema, rng, options, depth);
    case "integer":
      return clamp(schema, intBetween(rng, 1, 100));
    case "number":
      return clamp(schema, Math.round(rng() * 10_000) / 100);
    case "boolean":
      return rng() < 0.5;
    case "null":
      return null;
    default:
      return rng() < 0.5 ? pick(rng, WORDS) : `${pick(rng, WORDS)} ${pick(rng, WORDS)}`;
  }
}

function sampleObject(schema: Record<string, unknown>, rng: Rng, options: SampleOptions, depth: number): Record<string, unknown> {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === "string") : [];
  const keys = options.requiredOnly && required.length > 0 ? required : Object.keys(properties);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    Object.defineProperty(out, key, {
      value: sampleSchema(properties[key], rng, options, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function sampleArray(schema: Record<string, unknown>, rng: Rng, options: SampleOptions, depth: number): unknown[] {
  const min = typeof schema.minItems === "number" ? schema.minItems : 1;
  const max = typeof schema.maxItems === "number" ? schema.maxItems : Math.max(min, 3);
  const count = intBetween(rng, Math.min(min, max), max);
  return Array.from({ length: count }, () => sampleSchema(schema.items, rng, options, depth + 1));
}

/** The schema's type; a list of types picks the first non-null one; untyped schemas are inferred. */
function schemaType(schema: Record<string, unknown>): string | undefined {
  const type = schema.type;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === "string" && t !== "null") ?? "null";
  if (isRecord(schema.properties)) return "object";
  if (schema.items !== undefined) return "array";
  return undefined;
}

function clamp(schema: Record<string, unknown>, value: number): number {
  const min = typeof schema.minimum === "number" ? schema.minimum : undefined;
  const max = typeof schema.maximum === "number" ? schema.maximum : undefined;
  let out = value;
  if (min !== undefined && out < min) out = min;
  if (max !== undefined && out > max) out = max;
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
