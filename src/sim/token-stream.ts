/**
 * Deterministic answers: the sequence of chunks a simulated model emits.
 *
 * An answer is a pure function of (simulator seed, model, input, options.seed),
 * so the same request always streams the same words. Each piece becomes one
 * NDJSON chunk: thinking words first (thinking models), then either a single
 * tool call, JSON text (when `format` is set), or plain words.
 */
import { intBetween, pick, seededRng } from "./prng.js";
import type { Rng } from "./prng.js";
import { sampleSchema } from "./schema-sample.js";

const WORDS = [
  "the", "sky", "looks", "blue", "because", "air", "scatters", "short", "light", "waves", "more", "than",
  "long", "ones", "so", "we", "see", "a", "bright", "calm", "color", "during", "day", "and", "warm",
  "tones", "near", "sunset", "when", "sunlight", "travels", "further", "through", "atmosphere", "it", "is",
  "simple", "physics", "that", "shapes", "every", "view", "of", "ocean", "clouds", "mountains", "in", "spring",
];
const THINK_WORDS = [
  "let", "me", "think", "about", "this", "first", "the", "user", "asks", "so", "I", "should", "consider",
  "what", "matters", "here", "and", "answer", "briefly", "okay",
];
const TOOL_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** One alternative in `logprobs[].top_logprobs`. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

/** One entry of a chunk's `logprobs` array. */
export interface Logprob extends TokenLogprob {
  top_logprobs?: TokenLogprob[];
}

/** A response tool call: `{"id":"call_xxxxxxxx","function":{"index":0,"name":...,"arguments":{...}}}`. */
export interface ToolCall {
  id: string;
  function: { index: number; name: string; arguments: Record<string, unknown> };
}

/** One streamed chunk's payload. */
export type AnswerPiece =
  | { readonly kind: "thinking"; readonly text: string }
  | { readonly kind: "content"; readonly text: string; readonly logprobs?: Logprob[] }
  | { readonly kind: "tool_call"; readonly call: ToolCall };

/** The full answer and why it ended. */
export interface AnswerPlan {
  readonly pieces: readonly AnswerPiece[];
  readonly doneReason: "stop" | "length";
}

/** Inputs to {@link planAnswer}. */
export interface AnswerRequest {
  readonly seed: number;
  /** Normalized model name, so "llama3.2" and "llama3.2:latest" answer alike. */
  readonly model: string;
  /** The prompt, or the serialized messages. */
  readonly input: string;
  readonly optionSeed?: number;
  /** Plain-text content pieces when nothing else limits the answer. */
  readonly tokens: number;
  /** Cap on all pieces (thinking included); negative or absent means unbounded. */
  readonly numPredict?: number;
  readonly think: boolean;
  /** "json" or a JSON Schema object. */
  readonly format?: "json" | Readonly<Record<string, unknown>>;
  /** When set, the answer is one call to the first tool that has a name. */
  readonly tools?: readonly unknown[];
  readonly stop?: readonly string[];
  /** When set, content pieces carry logprobs with this many alternatives. */
  readonly topLogprobs?: number;
}

/** Plans the answer for a request. Pure: same input, same output. */
export function planAnswer(request: AnswerRequest): AnswerPlan {
  const rng = seededRng(request.seed, request.model, request.input, request.optionSeed ?? null);
  const pieces: AnswerPiece[] = [];
  if (request.think) {
    const count = Math.max(2, Math.round(request.tokens / 3));
    for (const text of words(rng, THINK_WORDS, count, false)) pieces.push({ kind: "thinking", text });
  }
  const call = request.tools === undefined ? undefined : toolCall(rng, request.tools);
  let doneReason: AnswerPlan["doneReason"] = "stop";
  if (call !== undefined) {
    pieces.push({ kind: "tool_call", call });
  } else {
    const texts = request.format === undefined ? words(rng, WORDS, request.tokens, true) : jsonPieces(rng, request.format);
    const cut = applyStop(texts, request.stop ?? []);
    for (const text of cut) {
      const logprobs = request.topLogprobs === undefined ? undefined : [logprobFor(rng, text, request.topLogprobs)];
      pieces.push(logprobs === undefined ? { kind: "content", text } : { kind: "content", text, logprobs });
    }
  }
  const limit = request.numPredict;
  if (limit !== undefined && limit >= 0 && pieces.length > limit) {
    pieces.length = limit;
    doneReason = "length";
  }
  return { pieces, doneReason };
}

/** A rough prompt token count: about four characters per token plus template overhead. */
export function countPromptTokens(text: string): number {
  return Math.ceil(text.length / 4) + 8;
}

/** Synthetic token ids for `context`, stable for the same text. */
export function contextTokens(text: string, count: number): number[] {
  const rng = seededRng("context", text);
  return Array.from({ length: count }, () => intBetween(rng, 1, 128_000));
}

function words(rng: Rng, vocabulary: readonly string[], count: number, sentence: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let word = pick(rng, vocabulary);
    if (i === 0 && sentence) word = word.charAt(0).toUpperCase() + word.slice(1);
    if (i === count - 1 && sentence) word += ".";
    out.push(i === 0 ? word : ` ${word}`);
  }
  return out;
}

/** JSON text split at structural characters, the way a tokenizer roughly would. */
function jsonPieces(rng: Rng, format: "json" | Readonly<Record<string, unknown>>): string[] {
  const value =
    format === "json"
      ? { answer: words(rng, WORDS, intBetween(rng, 3, 6), false).join(""), confidence: Math.round(rng() * 100) / 100 }
      : sampleSchema(format, rng);
  const text = JSON.stringify(value, null, 1).replace(/\n\s*/g, " ");
  return text.match(/\s*[{}[\],:]\s*|[^{}[\],:]+/g) ?? [text];
}

/** Ollama drops a stop sequence and everything after it. */
function applyStop(texts: readonly string[], stops: readonly string[]): string[] {
  const active = stops.filter((s) => s !== "");
  if (active.length === 0) return [...texts];
  const out: string[] = [];
  let sofar = "";
  for (const text of texts) {
    const next = sofar + text;
    const hits = active.map((s) => next.indexOf(s)).filter((i) => i >= 0);
    if (hits.length > 0) {
      const keep = next.slice(sofar.length, Math.min(...hits));
      if (keep !== "") out.push(keep);
      return out;
    }
    out.push(text);
    sofar = next;
  }
  return out;
}

function toolCall(rng: Rng, tools: readonly unknown[]): ToolCall | undefined {
  for (const tool of tools) {
    const fn = isRecord(tool) && isRecord(tool.function) ? tool.function : undefined;
    if (fn === undefined || typeof fn.name !== "string" || fn.name === "") continue;
    const args = sampleSchema(fn.parameters ?? { type: "object" }, rng, { requiredOnly: true });
    const id = Array.from({ length: 8 }, () => pick(rng, [...TOOL_ID_ALPHABET])).join("");
    return { id: `call_${id}`, function: { index: 0, name: fn.name, arguments: isRecord(args) ? args : {} } };
  }
  return undefined;
}

function logprobFor(rng: Rng, token: string, top: number): Logprob {
  const logprob = -Math.round(rng() * 2_000) / 1_000;
  const entry: Logprob = { token, logprob, bytes: [...Buffer.from(token, "utf8")] };
  if (top > 0) {
    const alternatives: TokenLogprob[] = [{ token, logprob, bytes: entry.bytes }];
    for (let i = 1; i < top; i++) {
      const alt = ` ${pick(rng, WORDS)}`;
      alternatives.push({ token: alt, logprob: logprob - i - Math.round(rng() * 1_000) / 1_000, bytes: [...Buffer.from(alt, "utf8")] });
    }
    entry.top_logprobs = alternatives;
  }
  return entry;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
