/**
 * POST /v1/chat/completions body -> ChatRequest, following Ollama's
 * openai.FromChatRequest and ChatMiddleware. Sampling defaults are OpenAI's,
 * as Ollama sets them: temperature 1 and top_p 1 when absent. Fields Ollama
 * does not support (`n`, `tool_choice`, `logit_bias`, `user`, ...) are
 * ignored, as Ollama ignores them.
 */
import { ChatRequest, Format, ModelOptions, ThinkLevel, type Think, type Tool } from "../../../gen/ollama/v1/ollama.js";
import { toMessages } from "./chat-messages.js";
import { Fields, InvalidRequestError, clampNumPredict, parseBody, readStop } from "./json-fields.js";
import { runParser, type ParseResult } from "./parse-result.js";

/** A parsed chat completion request. */
export interface ParsedChatCompletion {
  request: ChatRequest;
  /** `stream: true`: answer with SSE chunks (ChatChunkEncoder); otherwise one chat.completion (ChatCompletionAccumulator). */
  stream: boolean;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  includeUsage: boolean;
}

const STRUCT = "ChatCompletionRequest";

const EFFORTS: ReadonlyMap<string, Think> = new Map([
  ["low", { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_LOW } }],
  ["medium", { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_MEDIUM } }],
  ["high", { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_HIGH } }],
  ["max", { value: { $case: "level", value: ThinkLevel.THINK_LEVEL_MAX } }],
  ["none", { value: { $case: "enabled", value: false } }],
]);

/** Parses a chat completion body. Failures are 400s in OpenAI's shape, with Ollama's messages. */
export function parseChatCompletionRequest(body: string): ParseResult<ParsedChatCompletion> {
  return runParser(() => {
    const fields = new Fields(parseBody(body, `openai.${STRUCT}`), STRUCT);
    const model = fields.string("model") ?? "";
    const messages = fields.objects("messages", "[]openai.Message") ?? [];
    if (messages.length === 0) throw new InvalidRequestError("[] is too short - 'messages'");
    const stream = fields.bool("stream") ?? false;
    const includeUsage = fields.object("stream_options", "openai.StreamOptions")?.bool("include_usage") ?? false;
    const request = ChatRequest.fromPartial({
      model,
      messages: toMessages(messages),
      tools: readTools(fields),
      format: readResponseFormat(fields),
      options: readOptions(fields),
      think: readThink(fields),
      logprobs: fields.bool("logprobs") ?? false,
      topLogprobs: fields.int32("top_logprobs") ?? 0,
    });
    return { request, stream, includeUsage };
  });
}

function readOptions(fields: Fields): ModelOptions {
  // max_completion_tokens is OpenAI's current name; max_tokens the deprecated one Ollama reads.
  const maxTokens = fields.int("max_completion_tokens") ?? fields.int("max_tokens");
  return ModelOptions.fromPartial({
    temperature: fields.number("temperature") ?? 1,
    topP: fields.number("top_p") ?? 1,
    numPredict: maxTokens === undefined ? undefined : clampNumPredict(maxTokens),
    seed: fields.int("seed"),
    frequencyPenalty: fields.number("frequency_penalty"),
    presencePenalty: fields.number("presence_penalty"),
    stop: readStop(fields) ?? [],
  });
}

/** `tools[]`: function tools -> Tool. The `type` is not checked, as Ollama does not check it. */
function readTools(fields: Fields): Tool[] {
  return (fields.objects("tools", "[]api.Tool") ?? []).map((tool) => {
    const fn = tool.object("function", "api.ToolFunction");
    if (fn === undefined) return { function: undefined };
    return {
      function: {
        name: fn.string("name") ?? "",
        description: fn.string("description") ?? "",
        parameters: fn.jsonObject("parameters", "api.ToolFunctionParameters"),
      },
    };
  });
}

/** `response_format`: json_object -> "json"; json_schema -> its `schema`; anything else -> no constraint. */
function readResponseFormat(fields: Fields): Format | undefined {
  const format = fields.object("response_format", "openai.ResponseFormat");
  if (format === undefined) return undefined;
  switch ((format.string("type") ?? "").trim().toLowerCase()) {
    case "json_object":
      return { kind: { $case: "name", value: "json" } };
    case "json_schema": {
      const schema = format.object("json_schema", "openai.JsonSchema")?.jsonObject("schema", "map[string]interface {}");
      return schema === undefined ? undefined : { kind: { $case: "jsonSchema", value: schema } };
    }
    default:
      return undefined;
  }
}

/**
 * `reasoning.effort` (Responses-style) or `reasoning_effort`: low, medium,
 * high, max -> that Think level; none -> thinking off. Ollama lets an empty
 * `reasoning: {}` hide `reasoning_effort`; here the first non-empty one wins.
 */
function readThink(fields: Fields): Think | undefined {
  const effort = fields.object("reasoning", "openai.Reasoning")?.string("effort") || fields.string("reasoning_effort") || "";
  if (effort === "") return undefined;
  const think = EFFORTS.get(effort);
  if (think === undefined) {
    throw new InvalidRequestError(`invalid reasoning value: '${effort}' (must be "high", "medium", "low", "max", or "none")`);
  }
  return think;
}
