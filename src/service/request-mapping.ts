/**
 * gRPC requests -> Ollama request bodies. Pure: no I/O, no clock. Validation
 * has already happened (validate-request.ts); this only translates.
 */
import {
  Role,
  ThinkLevel,
  type ChatRequest,
  type Format,
  type GenerateRequest,
  type Message,
  type Think,
  type Tool,
  type ToolCall,
} from "../../gen/ollama/v1/ollama.js";
import type { Duration } from "../../gen/google/protobuf/duration.js";
import type {
  OllamaChatRequest,
  OllamaCompletionFields,
  OllamaFormat,
  OllamaGenerateRequest,
  OllamaKeepAlive,
  OllamaMessage,
  OllamaThink,
  OllamaTool,
  OllamaToolCall,
} from "../ollama/types.js";
import { toOllamaOptions } from "./options-mapping.js";

/** Role enum -> Ollama's role string. */
export const ROLE_NAMES: ReadonlyMap<Role, string> = new Map([
  [Role.ROLE_SYSTEM, "system"],
  [Role.ROLE_USER, "user"],
  [Role.ROLE_ASSISTANT, "assistant"],
  [Role.ROLE_TOOL, "tool"],
]);

const THINK_LEVELS: ReadonlyMap<ThinkLevel, OllamaThink> = new Map<ThinkLevel, OllamaThink>([
  [ThinkLevel.THINK_LEVEL_LOW, "low"],
  [ThinkLevel.THINK_LEVEL_MEDIUM, "medium"],
  [ThinkLevel.THINK_LEVEL_HIGH, "high"],
  [ThinkLevel.THINK_LEVEL_MAX, "max"],
]);

/** GenerateRequest -> body of POST /api/generate (always streaming). */
export function toOllamaGenerateRequest(request: GenerateRequest): OllamaGenerateRequest {
  const body: OllamaGenerateRequest = { model: request.model, prompt: request.prompt, stream: true };
  if (request.suffix !== "") body.suffix = request.suffix;
  if (request.system !== "") body.system = request.system;
  if (request.template !== "") body.template = request.template;
  if (request.context.length > 0) body.context = request.context;
  if (request.raw) body.raw = true;
  if (request.images.length > 0) body.images = request.images.map(toBase64);
  Object.assign(body, commonFields(request));
  return body;
}

/** ChatRequest -> body of POST /api/chat (always streaming). */
export function toOllamaChatRequest(request: ChatRequest): OllamaChatRequest {
  const body: OllamaChatRequest = { model: request.model, messages: request.messages.map(toOllamaMessage), stream: true };
  if (request.tools.length > 0) body.tools = request.tools.map(toOllamaTool);
  Object.assign(body, commonFields(request));
  return body;
}

/** The fields Generate and Chat share. */
function commonFields(request: GenerateRequest | ChatRequest): Partial<OllamaCompletionFields> {
  const fields: Partial<OllamaCompletionFields> = {};
  const format = toOllamaFormat(request.format);
  if (format !== undefined) fields.format = format;
  const options = toOllamaOptions(request.options);
  if (options !== undefined) fields.options = options;
  if (request.keepAlive !== undefined) fields.keep_alive = toOllamaKeepAlive(request.keepAlive);
  const think = toOllamaThink(request.think);
  if (think !== undefined) fields.think = think;
  if (request.truncate !== undefined) fields.truncate = request.truncate;
  if (request.shift !== undefined) fields.shift = request.shift;
  if (request.logprobs) fields.logprobs = true;
  if (request.topLogprobs > 0) fields.top_logprobs = request.topLogprobs;
  return fields;
}

function toOllamaMessage(message: Message): OllamaMessage {
  const result: OllamaMessage = { role: ROLE_NAMES.get(message.role) ?? "user", content: message.content };
  if (message.thinking !== "") result.thinking = message.thinking;
  if (message.images.length > 0) result.images = message.images.map(toBase64);
  if (message.toolCalls.length > 0) result.tool_calls = message.toolCalls.map(toOllamaToolCall);
  if (message.toolName !== "") result.tool_name = message.toolName;
  if (message.toolCallId !== "") result.tool_call_id = message.toolCallId;
  return result;
}

function toOllamaToolCall(call: ToolCall): OllamaToolCall {
  const fn = call.function;
  const result: OllamaToolCall = {
    function: { index: fn?.index ?? 0, name: fn?.name ?? "", arguments: fn?.arguments ?? {} },
  };
  if (call.id !== "") result.id = call.id;
  return result;
}

function toOllamaTool(tool: Tool): OllamaTool {
  const fn = tool.function;
  const result: OllamaTool = { type: "function", function: { name: fn?.name ?? "" } };
  if (fn?.description) result.function.description = fn.description;
  if (fn?.parameters !== undefined) result.function.parameters = fn.parameters;
  return result;
}

/** Format -> "json" or the schema object. */
export function toOllamaFormat(format: Format | undefined): OllamaFormat | undefined {
  switch (format?.kind?.$case) {
    case "name":
      return "json";
    case "jsonSchema":
      return format.kind.value ?? {};
    default:
      return undefined;
  }
}

/** Think -> boolean or effort string. */
export function toOllamaThink(think: Think | undefined): OllamaThink | undefined {
  switch (think?.value?.$case) {
    case "enabled":
      return think.value.value;
    case "level":
      return THINK_LEVELS.get(think.value.value);
    default:
      return undefined;
  }
}

/**
 * Duration -> Ollama keep_alive as a number of seconds (Ollama reads numbers
 * as seconds). Any negative duration means "forever", sent as -1.
 */
export function toOllamaKeepAlive(duration: Duration): OllamaKeepAlive {
  const seconds = duration.seconds + duration.nanos / 1e9;
  return seconds < 0 ? -1 : seconds;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
