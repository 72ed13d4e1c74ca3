/**
 * Ollama stream lines -> gRPC stream messages. Pure: no I/O, no clock.
 * Non-final chunks carry only the delta; the final chunk adds done_reason,
 * usage, timings and the backend.
 */
import { Role, type ChatResponse, type GenerateResponse, type Logprob, type Timings, type ToolCall, type Usage } from "../../gen/ollama/v1/ollama.js";
import type { Duration } from "../../gen/google/protobuf/duration.js";
import { parseRfc3339 } from "../common/rfc3339.js";
import type {
  OllamaChatChunk,
  OllamaGenerateChunk,
  OllamaLogprob,
  OllamaMetrics,
  OllamaToolCall,
} from "../ollama/types.js";

const RESPONSE_ROLES: ReadonlyMap<string, Role> = new Map([
  ["system", Role.ROLE_SYSTEM],
  ["user", Role.ROLE_USER],
  ["assistant", Role.ROLE_ASSISTANT],
  ["tool", Role.ROLE_TOOL],
]);

/** A /api/generate line -> GenerateResponse. `backend` is set on the final message only. */
export function toGenerateResponse(chunk: OllamaGenerateChunk, backend: string): GenerateResponse {
  return {
    model: chunk.model ?? "",
    createdAt: parseRfc3339(chunk.created_at),
    response: chunk.response ?? "",
    thinking: chunk.thinking ?? "",
    toolCalls: chunk.tool_calls?.map(toToolCall) ?? [],
    logprobs: chunk.logprobs?.map(toLogprob) ?? [],
    ...finalFields(chunk, backend),
    context: chunk.done === true ? (chunk.context ?? []) : [],
  };
}

/** A /api/chat line -> ChatResponse. `backend` is set on the final message only. */
export function toChatResponse(chunk: OllamaChatChunk, backend: string): ChatResponse {
  const message = chunk.message;
  return {
    model: chunk.model ?? "",
    createdAt: parseRfc3339(chunk.created_at),
    message:
      message === undefined
        ? undefined
        : {
            role: RESPONSE_ROLES.get(message.role) ?? Role.ROLE_UNSPECIFIED,
            content: message.content ?? "",
            images: [],
            thinking: message.thinking ?? "",
            toolCalls: message.tool_calls?.map(toToolCall) ?? [],
            toolName: message.tool_name ?? "",
            toolCallId: message.tool_call_id ?? "",
          },
    logprobs: chunk.logprobs?.map(toLogprob) ?? [],
    ...finalFields(chunk, backend),
  };
}

/** The fields only the final message carries (left at their defaults on the others). */
function finalFields(
  chunk: OllamaMetrics & { done: boolean; done_reason?: string },
  backend: string,
): Pick<GenerateResponse, "done" | "doneReason" | "usage" | "timings" | "backend"> {
  if (chunk.done !== true) return { done: false, doneReason: "", usage: undefined, timings: undefined, backend: "" };
  return { done: true, doneReason: chunk.done_reason ?? "", usage: toUsage(chunk), timings: toTimings(chunk), backend };
}

/** Token counts of a final chunk. */
export function toUsage(metrics: OllamaMetrics): Usage {
  return { promptEvalCount: metrics.prompt_eval_count ?? 0, evalCount: metrics.eval_count ?? 0 };
}

/** Durations of a final chunk (absent ones stay unset). */
export function toTimings(metrics: OllamaMetrics): Timings {
  return {
    totalDuration: nanosToDuration(metrics.total_duration),
    loadDuration: nanosToDuration(metrics.load_duration),
    promptEvalDuration: nanosToDuration(metrics.prompt_eval_duration),
    evalDuration: nanosToDuration(metrics.eval_duration),
  };
}

/** Nanoseconds (an integer, as Ollama sends) -> Duration; undefined stays undefined. */
export function nanosToDuration(nanos: number | undefined): Duration | undefined {
  if (nanos === undefined || !Number.isFinite(nanos)) return undefined;
  const seconds = Math.trunc(nanos / 1e9);
  return { seconds, nanos: Math.round(nanos - seconds * 1e9) };
}

function toToolCall(call: OllamaToolCall): ToolCall {
  return {
    id: call.id ?? "",
    function: {
      index: call.function?.index ?? 0,
      name: call.function?.name ?? "",
      arguments: call.function?.arguments ?? {},
    },
  };
}

function toLogprob(logprob: OllamaLogprob): Logprob {
  return {
    token: logprob.token ?? "",
    logprob: logprob.logprob ?? 0,
    bytes: Buffer.from(logprob.bytes ?? []),
    topLogprobs: logprob.top_logprobs?.map(toLogprob) ?? [],
  };
}
