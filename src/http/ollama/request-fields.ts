/**
 * Ollama request fields -> proto fields, each the exact inverse of the
 * gateway's proto -> Ollama mapping (src/service/request-mapping.ts), so a
 * request relayed through the gateway reaches the backend as the client sent
 * it. Inputs are values already bound by bindRequest (Go types checked);
 * what binding cannot check is checked here, with Ollama's texts.
 */
import { decodeGoBase64 } from "../../ollama/go-base64.js";
import { ThinkLevel, type Format, type Think } from "../../../gen/ollama/v1/ollama.js";
import type { Duration } from "../../../gen/google/protobuf/duration.js";
import { goQuote, parseGoDuration } from "../../ollama/keep-alive.js";
import { ParseStop } from "./parsed.js";

const THINK_LEVELS: ReadonlyMap<string, ThinkLevel> = new Map([
  ["low", ThinkLevel.THINK_LEVEL_LOW],
  ["medium", ThinkLevel.THINK_LEVEL_MEDIUM],
  ["high", ThinkLevel.THINK_LEVEL_HIGH],
  ["max", ThinkLevel.THINK_LEVEL_MAX],
]);

/** Largest Go time.Duration (int64 nanoseconds): a keep_alive past it cannot be represented by Ollama. */
const MAX_GO_DURATION_NANOS = 2 ** 63;

/** How "keep loaded forever" travels: any negative Duration (toOllamaKeepAlive sends it as -1). */
export const KEEP_ALIVE_FOREVER: Duration = { seconds: -1, nanos: 0 };

/**
 * `keep_alive` (a Go duration string, or a number of seconds) -> Duration.
 * Binding has already rejected invalid values with Ollama's text. Negative
 * means forever (Ollama stores MaxInt64), and so does a value too large for
 * Go's Duration (Ollama would overflow it).
 */
export function toKeepAlive(raw: unknown): Duration | undefined {
  let nanos: number;
  if (typeof raw === "number") {
    nanos = raw * 1e9;
  } else if (typeof raw === "string") {
    const parsed = parseGoDuration(raw);
    if (!parsed.ok) throw new ParseStop(400, parsed.message);
    nanos = parsed.value;
  } else {
    return undefined;
  }
  if (nanos < 0 || nanos >= MAX_GO_DURATION_NANOS) return KEEP_ALIVE_FOREVER;
  let seconds = Math.trunc(nanos / 1e9);
  let rest = Math.round(nanos - seconds * 1e9);
  if (rest >= 1e9) {
    seconds += 1;
    rest -= 1e9;
  }
  return { seconds, nanos: rest };
}

/** `think` (bound: a boolean or one of the level names) -> Think. */
export function toThink(raw: unknown): Think | undefined {
  if (typeof raw === "boolean") return { value: { $case: "enabled", value: raw } };
  if (typeof raw === "string") {
    const level = THINK_LEVELS.get(raw);
    if (level !== undefined) return { value: { $case: "level", value: level } };
  }
  return undefined;
}

/**
 * `format` -> Format. JSON null and "" mean unset; "json" is the named
 * format; an object is a JSON schema. Anything else is the error Ollama's
 * runner gives (HTTP 500), with Go's `%q` of the raw JSON.
 */
export function toFormat(raw: unknown): Format | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (raw === "json") return { kind: { $case: "name", value: "json" } };
  if (typeof raw === "object" && !Array.isArray(raw)) return { kind: { $case: "jsonSchema", value: raw as Record<string, unknown> } };
  throw new ParseStop(500, `invalid format: ${goQuote(JSON.stringify(raw))}; expected "json" or a valid JSON Schema object`);
}

/**
 * Bound `images` (base64 already validated like Go's StdEncoding) -> bytes.
 * A JSON null element is Go's nil slice: an empty image.
 */
export function toImages(raw: unknown): Buffer[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item) => (typeof item === "string" ? decodeGoBase64(item) : Buffer.alloc(0)));
}

/** A bound `[]int` (nulls are Go zeros). */
export function toInts(raw: unknown): number[] {
  return Array.isArray(raw) ? raw.map((item) => (typeof item === "number" ? item : 0)) : [];
}

/** A bound string field ("" when absent). */
export function text(raw: unknown): string {
  return typeof raw === "string" ? raw : "";
}

/** A bound object field (undefined when absent). */
export function objectField(raw: unknown): Record<string, unknown> | undefined {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
}

/** Longest model name the gateway accepts (src/service/validate-request.ts). */
const MAX_MODEL_NAME = 512;

/**
 * Checks a model name before the gateway's own validation sees it, so the
 * client gets Ollama's answer instead of a gRPC field violation: `empty` is
 * the route's answer to a missing name (it differs between routes), and a
 * name the gateway cannot take (whitespace, control characters, too long) is
 * Ollama's 400 "invalid model name".
 */
export function checkModelName(name: string, empty: { status: number; message: string }): void {
  if (name.trim() === "") throw new ParseStop(empty.status, empty.message);
  if (name.length > MAX_MODEL_NAME || /[\s\u0000-\u001f]/.test(name)) throw new ParseStop(400, "invalid model name");
}

/** Ollama's check on `top_logprobs` (before the model is looked up). */
export function checkTopLogprobs(raw: unknown): number {
  const value = typeof raw === "number" ? raw : 0;
  if (value < 0 || value > 20) throw new ParseStop(400, "top_logprobs must be between 0 and 20");
  return value;
}
