/**
 * OpenAI chat `messages` -> proto Messages, as Ollama's FromChatRequest does
 * it (openai/openai.go): string content is one message; array content becomes
 * one message per part (a text part carries `content`, an image part carries
 * `images`); `content: null` is allowed only next to `tool_calls`; a tool
 * result without `name` takes the name of the call it answers.
 * @internal
 */
import { decodeGoBase64, goBase64Error } from "../../ollama/go-base64.js";
import { Message, Role, type ToolCall } from "../../../gen/ollama/v1/ollama.js";
import { Fields, InvalidRequestError, goTypeName, isJsonObject, type JsonObject } from "./json-fields.js";

const ROLES: ReadonlyMap<string, Role> = new Map([
  ["system", Role.ROLE_SYSTEM],
  // The proto has no developer role; OpenAI defines it as the system prompt of newer models.
  ["developer", Role.ROLE_SYSTEM],
  ["user", Role.ROLE_USER],
  ["assistant", Role.ROLE_ASSISTANT],
  ["tool", Role.ROLE_TOOL],
]);

/** Image data-URL prefixes Ollama accepts; `data:;base64,` is its "no MIME type" form. */
const IMAGE_PREFIXES = ["data:;base64,", ...["jpeg", "jpg", "png", "webp"].map((type) => `data:image/${type};base64,`)];

/** Converts the request's messages (already known to be a non-empty array of objects). */
export function toMessages(messages: Fields[]): Message[] {
  const toolCallNames = collectToolCallNames(messages);
  return messages.flatMap((message) => toMessagesOf(message, toolCallNames));
}

function toMessagesOf(message: Fields, toolCallNames: ReadonlyMap<string, string>): Message[] {
  const roleText = message.string("role") ?? "";
  const role = ROLES.get(roleText.toLowerCase());
  if (role === undefined) {
    throw new InvalidRequestError(`invalid role "${roleText}": must be "system", "developer", "user", "assistant" or "tool"`);
  }
  const thinking = message.string("reasoning") ?? "";
  const rawToolCalls = message.objects("tool_calls", "[]openai.ToolCall");
  const toolCalls = rawToolCalls?.map(toToolCall) ?? [];
  const toolCallId = message.string("tool_call_id") ?? "";
  const toolName = role === Role.ROLE_TOOL ? (message.string("name") || toolCallNames.get(toolCallId) || "") : "";
  const turn = { role, toolName, toolCallId };
  const content = message.raw("content");

  if (typeof content === "string") {
    return [Message.fromPartial({ ...turn, content, thinking, toolCalls })];
  }
  if (Array.isArray(content)) {
    // Ollama attaches the turn's tool identity only when tool calls exist; here every part of a
    // tool result keeps it, so a tool result sent as text parts still names its call.
    const parts = content.map((part) => Message.fromPartial({ ...turn, ...toPart(part) }));
    const last = parts.at(-1);
    if (last === undefined) return [Message.fromPartial({ ...turn, thinking, toolCalls })];
    last.thinking = thinking;
    last.toolCalls = toolCalls;
    return parts;
  }
  if (content === undefined && rawToolCalls !== undefined) {
    return [Message.fromPartial({ ...turn, thinking, toolCalls })];
  }
  throw new InvalidRequestError(`invalid message content type: ${goTypeName(content)}`);
}

/** One content part: `{type:"text",text}` or `{type:"image_url",image_url:{url}|url}`. */
function toPart(part: unknown): Partial<Message> {
  if (!isJsonObject(part)) throw new InvalidRequestError("invalid message format");
  if (part.type === "text") {
    if (typeof part.text !== "string") throw new InvalidRequestError("invalid message format");
    return { content: part.text };
  }
  if (part.type === "image_url") {
    const image = part.image_url;
    const url = isJsonObject(image) ? image.url : image;
    if (typeof url !== "string") throw new InvalidRequestError("invalid message format");
    return { images: [decodeImageUrl(url)] };
  }
  throw new InvalidRequestError("invalid message format");
}

/**
 * A base64 data URL -> image bytes. Remote URLs are refused (the gateway, like
 * Ollama, fetches nothing on a client's behalf); base64 must be standard and
 * padded, as Go's StdEncoding requires.
 */
export function decodeImageUrl(url: string): Buffer {
  if (url.startsWith("http://") || url.startsWith("https://")) {
    throw new InvalidRequestError("image URLs are not currently supported, please use base64 encoded data instead");
  }
  const prefix = IMAGE_PREFIXES.find((candidate) => url.startsWith(candidate));
  if (prefix === undefined) throw new InvalidRequestError("invalid image input");
  const data = url.slice(prefix.length);
  if (goBase64Error(data) !== undefined) throw new InvalidRequestError("invalid image input");
  return decodeGoBase64(data);
}

/** An assistant message's `tool_calls[i]` -> ToolCall; `function.arguments` is a JSON text. */
function toToolCall(call: Fields, index: number): ToolCall {
  const fn = call.object("function", "openai.ToolCallFunction");
  return {
    id: call.string("id") ?? "",
    function: { index, name: fn?.string("name") ?? "", arguments: toArguments(fn?.raw("arguments")) },
  };
}

/**
 * Tool-call arguments as Ollama reads them (openai/toolcall_args.go): a JSON
 * object text, or a JSON string that holds one; `null` is no arguments.
 * Beyond Ollama, an empty text is no arguments too and an object is taken as
 * it is (clients ported from Ollama's native API send one).
 */
function toArguments(value: unknown): JsonObject {
  if (value === undefined) return {};
  if (isJsonObject(value)) return value;
  if (typeof value !== "string") throw new InvalidRequestError("invalid tool call arguments");
  if (value.trim() === "") return {};
  let parsed = parseJson(value);
  if (typeof parsed === "string") parsed = parseJson(parsed);
  if (parsed === null) return {};
  if (!isJsonObject(parsed)) throw new InvalidRequestError("invalid tool call arguments");
  return parsed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError("invalid tool call arguments");
  }
}

/** tool_call_id -> function name over every assistant tool call; a later duplicate id wins. */
function collectToolCallNames(messages: Fields[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    const calls = message.raw("tool_calls");
    if (!Array.isArray(calls)) continue;
    for (const call of calls) {
      if (!isJsonObject(call) || typeof call.id !== "string" || !isJsonObject(call.function)) continue;
      if (typeof call.function.name === "string") names.set(call.id, call.function.name);
    }
  }
  return names;
}
