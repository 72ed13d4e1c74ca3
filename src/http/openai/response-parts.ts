/**
 * Pieces shared by the /v1 response encoders: SSE framing, ids, usage, tool
 * calls and logprobs in the JSON shape (and key order) of Ollama's
 * openai/openai.go structs.
 */
import type { Logprob, ToolCall, Usage } from "../../../gen/ollama/v1/ollama.js";
import { openAiErrorObject } from "./errors.js";
import { httpFailureOf } from "../http-status.js";

/** Content-Type of a streamed /v1 answer. */
export const SSE_CONTENT_TYPE = "text/event-stream";

/** The last event of a successful stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** What every chunk and completion object of one answer shares. */
export interface CompletionIdentity {
  /** "chatcmpl-..." or "cmpl-..." (newChatCompletionId / newCompletionId); the same on every chunk. */
  id: string;
  /** Unix seconds; the same on every chunk. */
  created: number;
  /** The model name as the client sent it. */
  model: string;
}

/** Identity of a streamed answer, and whether it ends with a usage chunk. */
export interface StreamOptions extends CompletionIdentity {
  /** The request's stream_options.include_usage. */
  includeUsage: boolean;
}

/** Ollama's system_fingerprint, on every chat and completion object. */
export const SYSTEM_FINGERPRINT = "fp_ollama";

/** One SSE event carrying a JSON value. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/**
 * The event that ends a stream that fails after its first event (the HTTP
 * status is already 200): `data: {"error":{...}}`, the form OpenAI uses and
 * its SDKs raise as an APIError. No [DONE] follows. Ollama's /v1 layer loses
 * such errors (it decodes the error line as an empty chunk), so this is the
 * one place the gateway does better rather than the same.
 */
export function sseErrorEvent(error: unknown): string {
  const failure = httpFailureOf(error);
  return sseData({ error: openAiErrorObject(failure.status, failure.message) });
}

/** "chatcmpl-" and a number below 999, as Ollama makes them. */
export function newChatCompletionId(): string {
  return `chatcmpl-${Math.floor(Math.random() * 999)}`;
}

/** "cmpl-" and a number below 999, as Ollama makes them. */
export function newCompletionId(): string {
  return `cmpl-${Math.floor(Math.random() * 999)}`;
}

/** OpenAI's usage object from the proto's token counts (zeros when absent). */
export interface UsageJson {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageJson(usage: Usage | undefined): UsageJson {
  const prompt = usage?.promptEvalCount ?? 0;
  const completion = usage?.evalCount ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A tool call as OpenAI sends it; `arguments` is a JSON text. */
export interface ToolCallJson {
  id: string;
  index: number;
  type: "function";
  function: { name: string; arguments: string };
}

/**
 * Tool calls numbered from `firstIndex`. The index is the call's position in
 * the whole answer, not the proto's per-message index: OpenAI clients merge
 * deltas that share an index, so two calls streamed in separate messages must
 * never both be 0.
 */
export function toolCallsJson(calls: ToolCall[], firstIndex: number): ToolCallJson[] {
  return calls.map((call, i) => ({
    id: call.id,
    index: firstIndex + i,
    type: "function",
    function: { name: call.function?.name ?? "", arguments: JSON.stringify(call.function?.arguments ?? {}) },
  }));
}

/** A token's log probability in Ollama's JSON (api.Logprob): bytes and top_logprobs only when present. */
export interface LogprobJson {
  token: string;
  logprob: number;
  bytes?: number[];
  top_logprobs?: LogprobJson[];
}

export function logprobJson(logprob: Logprob): LogprobJson {
  const json: LogprobJson = { token: logprob.token, logprob: logprob.logprob };
  if (logprob.bytes.length > 0) json.bytes = [...logprob.bytes];
  if (logprob.topLogprobs.length > 0) json.top_logprobs = logprob.topLogprobs.map(logprobJson);
  return json;
}

/** A choice's `logprobs`, or undefined (key omitted) when there are none. */
export function choiceLogprobs(logprobs: Logprob[]): { content: LogprobJson[] } | undefined {
  return logprobs.length === 0 ? undefined : { content: logprobs.map(logprobJson) };
}

/** The finish_reason of a finished answer: tool_calls when any call was made, else Ollama's done_reason. */
export function finishReason(doneReason: string, madeToolCalls: boolean): string {
  if (madeToolCalls) return "tool_calls";
  // OpenAI clients refuse a finished choice without a reason; Ollama always sets one on done.
  return doneReason === "" ? "stop" : doneReason;
}

/**
 * What both SSE encoders share: the stream ends exactly once, with `[DONE]`
 * after the done message's events, or with an error event instead when the
 * call fails after the first event; nothing is emitted after that.
 */
export abstract class SseStream<T extends { done: boolean }> {
  #ended = false;

  /** True once the last event ([DONE] or an error event) was returned. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The events for one response; after the done message, `[DONE]` too. */
  encode(response: T): string[] {
    if (this.#ended) return [];
    const events = this.events(response);
    if (response.done) {
      events.push(SSE_DONE);
      this.#ended = true;
    }
    return events;
  }

  /** The event that ends the stream when the call fails after the first event (see sseErrorEvent). */
  fail(error: unknown): string[] {
    if (this.#ended) return [];
    this.#ended = true;
    return [sseErrorEvent(error)];
  }

  /** The events of one response, before `[DONE]` (the usage chunk goes here). */
  protected abstract events(response: T): string[];
}
