/**
 * POST /v1/completions body -> GenerateRequest, following Ollama's
 * openai.FromCompleteRequest: `prompt` is one string (Ollama has no token or
 * batch prompts), penalties default to 0, temperature and top_p to 1 (a top_p
 * of 0 also means 1, as in Ollama), and `logprobs: N` asks for N alternatives.
 */
import { GenerateRequest, ModelOptions } from "../../../gen/ollama/v1/ollama.js";
import { Fields, InvalidRequestError, clampNumPredict, parseBody, readStop } from "./json-fields.js";
import { runParser, type ParseResult } from "./parse-result.js";

/** A parsed legacy completion request. */
export interface ParsedCompletion {
  request: GenerateRequest;
  /** `stream: true`: answer with SSE chunks (CompletionChunkEncoder); otherwise one text_completion. */
  stream: boolean;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  includeUsage: boolean;
}

const STRUCT = "CompletionRequest";

/** Parses a completion body. Failures are 400s in OpenAI's shape, with Ollama's messages. */
export function parseCompletionRequest(body: string): ParseResult<ParsedCompletion> {
  return runParser(() => {
    const fields = new Fields(parseBody(body, `openai.${STRUCT}`), STRUCT);
    // Ollama ignores `echo` and answers without the prompt; a silent wrong answer is worse than a 400.
    if (fields.bool("echo") === true) throw new InvalidRequestError("echo is not supported");
    const maxTokens = fields.int("max_tokens");
    const topP = fields.number("top_p", "float32") ?? 0;
    const logprobs = fields.int32("logprobs") ?? 0;
    const request = GenerateRequest.fromPartial({
      model: fields.string("model") ?? "",
      prompt: fields.string("prompt") ?? "",
      suffix: fields.string("suffix") ?? "",
      options: ModelOptions.fromPartial({
        temperature: fields.number("temperature", "float32") ?? 1,
        topP: topP === 0 ? 1 : topP,
        numPredict: maxTokens === undefined ? undefined : clampNumPredict(maxTokens),
        seed: fields.int("seed"),
        frequencyPenalty: fields.number("frequency_penalty", "float32") ?? 0,
        presencePenalty: fields.number("presence_penalty", "float32") ?? 0,
        stop: readStop(fields) ?? [],
      }),
      logprobs: logprobs > 0,
      topLogprobs: logprobs > 0 ? logprobs : 0,
    });
    const stream = fields.bool("stream") ?? false;
    const includeUsage = fields.object("stream_options", "openai.StreamOptions")?.bool("include_usage") ?? false;
    return { request, stream, includeUsage };
  });
}
