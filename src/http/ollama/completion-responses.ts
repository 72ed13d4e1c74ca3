/**
 * GenerateResponse / ChatResponse -> the JSON objects Ollama writes on
 * /api/generate and /api/chat, with api.GenerateResponse's and
 * api.ChatResponse's field order and omitempty rules:
 *
 *   generate: model, created_at, response, thinking?, done, done_reason?,
 *             context?, <metrics>?, tool_calls?, logprobs?
 *   chat:     model, created_at, message, done_reason?, done, <metrics>?, logprobs?
 *   metrics:  total_duration, load_duration, prompt_eval_count,
 *             prompt_eval_duration, eval_count, eval_duration (each omitted when 0)
 *
 * (`done_reason` does come before `done` in chat: the struct declares it
 * first.) The proto's `backend` is the gateway's addition and is never written.
 */
import { Role, type ChatResponse, type GenerateResponse, type Logprob, type Message, type ToolCall } from "../../../gen/ollama/v1/ollama.js";
import { encodeGoJson } from "../../ollama/go-json.js";
import { durationNanos, timestampText } from "./wire-values.js";

const ROLE_NAMES: ReadonlyMap<Role, string> = new Map([
  [Role.ROLE_SYSTEM, "system"],
  [Role.ROLE_USER, "user"],
  [Role.ROLE_ASSISTANT, "assistant"],
  [Role.ROLE_TOOL, "tool"],
]);

/** One /api/generate stream line (no trailing newline). */
export function generateChunkJson(message: GenerateResponse): string {
  return isPlainGenerateToken(message) ? plainGenerateToken(message) : encodeGoJson(generateObject(message));
}

/** One /api/chat stream line (no trailing newline). */
export function chatChunkJson(message: ChatResponse): string {
  return isPlainChatToken(message) ? plainChatToken(message) : encodeGoJson(chatObject(message));
}

/*
 * The per-token fast path. Almost every line of a stream is a plain token:
 * not final, text (and maybe thinking) only. Those lines are written from a
 * template, escaping only the strings, which costs about a third of building
 * and serializing the whole object (the Ollama door's largest per-token cost
 * in `make bench-http` profiles). The bytes are the same as the general
 * path's: a unit test compares the two on a table of lines.
 */

let lastModel = "";
let lastModelJson = '""';

/** The model name as a JSON string; a stream repeats it on every line, so the last one is kept. */
function modelJson(model: string): string {
  if (model !== lastModel) {
    lastModel = model;
    lastModelJson = encodeGoJson(model);
  }
  return lastModelJson;
}

function isPlainGenerateToken(m: GenerateResponse): boolean {
  return !m.done && m.doneReason === "" && m.context.length === 0 && m.toolCalls.length === 0 && m.logprobs.length === 0 && m.usage === undefined && m.timings === undefined;
}

function plainGenerateToken(m: GenerateResponse): string {
  const thinking = m.thinking === "" ? "" : `,"thinking":${encodeGoJson(m.thinking)}`;
  return `{"model":${modelJson(m.model)},"created_at":"${timestampText(m.createdAt)}","response":${encodeGoJson(m.response)}${thinking},"done":false}`;
}

function isPlainChatToken(m: ChatResponse): boolean {
  const message = m.message;
  return (
    !m.done && m.doneReason === "" && m.logprobs.length === 0 && m.usage === undefined && m.timings === undefined &&
    message !== undefined && ROLE_NAMES.has(message.role) && message.images.length === 0 && message.toolCalls.length === 0 &&
    message.toolName === "" && message.toolCallId === ""
  );
}

function plainChatToken(m: ChatResponse): string {
  const message = m.message as Message;
  const thinking = message.thinking === "" ? "" : `,"thinking":${encodeGoJson(message.thinking)}`;
  return `{"model":${modelJson(m.model)},"created_at":"${timestampText(m.createdAt)}","message":{"role":"${ROLE_NAMES.get(message.role)}","content":${encodeGoJson(message.content)}${thinking}},"done":false}`;
}

/** api.GenerateResponse as an ordered object. */
export function generateObject(message: GenerateResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {
    model: message.model,
    created_at: timestampText(message.createdAt),
    response: message.response,
  };
  if (message.thinking !== "") out.thinking = message.thinking;
  out.done = message.done;
  if (message.doneReason !== "") out.done_reason = message.doneReason;
  if (message.context.length > 0) out.context = message.context;
  addMetrics(out, message);
  if (message.toolCalls.length > 0) out.tool_calls = message.toolCalls.map(toolCallObject);
  if (message.logprobs.length > 0) out.logprobs = message.logprobs.map(logprobObject);
  return out;
}

/** api.ChatResponse as an ordered object. */
export function chatObject(message: ChatResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {
    model: message.model,
    created_at: timestampText(message.createdAt),
    message: messageObject(message.message),
  };
  if (message.doneReason !== "") out.done_reason = message.doneReason;
  out.done = message.done;
  addMetrics(out, message);
  if (message.logprobs.length > 0) out.logprobs = message.logprobs.map(logprobObject);
  return out;
}

/**
 * api.Message: `content` always, the rest only when set. A response without
 * a message (never sent by Ollama, whose field is not a pointer) is an empty
 * assistant message.
 */
export function messageObject(message: Message | undefined): Record<string, unknown> {
  if (message === undefined) return { role: "assistant", content: "" };
  const out: Record<string, unknown> = { role: ROLE_NAMES.get(message.role) ?? "", content: message.content };
  if (message.thinking !== "") out.thinking = message.thinking;
  if (message.images.length > 0) out.images = message.images.map((image) => Buffer.from(image).toString("base64"));
  if (message.toolCalls.length > 0) out.tool_calls = message.toolCalls.map(toolCallObject);
  if (message.toolName !== "") out.tool_name = message.toolName;
  if (message.toolCallId !== "") out.tool_call_id = message.toolCallId;
  return out;
}

/** api.ToolCall: `id` omitempty; `function.index` always written. */
export function toolCallObject(call: ToolCall): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (call.id !== "") out.id = call.id;
  out.function = { index: call.function?.index ?? 0, name: call.function?.name ?? "", arguments: call.function?.arguments ?? {} };
  return out;
}

/** api.Logprob: token, logprob, bytes (omitempty), top_logprobs (omitempty; alternatives carry no top_logprobs of their own). */
export function logprobObject(logprob: Logprob): Record<string, unknown> {
  const out = tokenLogprobObject(logprob);
  if (logprob.topLogprobs.length > 0) out.top_logprobs = logprob.topLogprobs.map(tokenLogprobObject);
  return out;
}

function tokenLogprobObject(logprob: Logprob): Record<string, unknown> {
  const out: Record<string, unknown> = { token: logprob.token, logprob: logprob.logprob };
  if (logprob.bytes.length > 0) out.bytes = [...logprob.bytes];
  return out;
}

/** api.Metrics, embedded: every field omitempty, durations in nanoseconds. */
function addMetrics(out: Record<string, unknown>, message: Pick<GenerateResponse, "usage" | "timings">): void {
  const { usage, timings } = message;
  const fields: Array<[string, number]> = [
    ["total_duration", durationNanos(timings?.totalDuration)],
    ["load_duration", durationNanos(timings?.loadDuration)],
    ["prompt_eval_count", usage?.promptEvalCount ?? 0],
    ["prompt_eval_duration", durationNanos(timings?.promptEvalDuration)],
    ["eval_count", usage?.evalCount ?? 0],
    ["eval_duration", durationNanos(timings?.evalDuration)],
  ];
  for (const [key, value] of fields) if (value !== 0) out[key] = value;
}
