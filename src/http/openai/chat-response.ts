/**
 * ChatResponse stream -> /v1/chat/completions answers, in the JSON of
 * Ollama's ChatWriter (middleware/openai.go) and ToChunk / ToChatCompletion
 * (openai/openai.go): one chat.completion.chunk per ChatResponse, the final
 * one with finish_reason, then a usage chunk when asked for, then [DONE]; or
 * one chat.completion object for a non-streamed call.
 */
import type { ChatResponse, Logprob, ToolCall, Usage } from "../../../gen/ollama/v1/ollama.js";
import {
  SseStream,
  SYSTEM_FINGERPRINT,
  choiceLogprobs,
  finishReason,
  sseData,
  toolCallsJson,
  usageJson,
  type CompletionIdentity,
  type StreamOptions,
} from "./response-parts.js";

/**
 * Turns the ChatResponses of one streamed call into SSE events. Not
 * reusable: after the done message (or fail) it returns no more events.
 *
 * As Ollama does, every delta carries role "assistant" and a `content` string
 * (possibly empty); `reasoning` and `tool_calls` appear only when non-empty.
 */
export class ChatChunkEncoder extends SseStream<ChatResponse> {
  readonly #options: StreamOptions;
  #toolCallsSent = 0;

  constructor(options: StreamOptions) {
    super();
    this.#options = options;
  }

  /** The chunk of one ChatResponse, and after the done message the usage chunk. */
  protected events(response: ChatResponse): string[] {
    const message = response.message;
    const toolCalls = toolCallsJson(message?.toolCalls ?? [], this.#toolCallsSent);
    this.#toolCallsSent += toolCalls.length;
    const delta = {
      role: "assistant",
      content: message?.content ?? "",
      reasoning: message?.thinking || undefined,
      tool_calls: toolCalls.length > 0 ? toolCalls : undefined,
    };
    const choice = {
      index: 0,
      delta,
      finish_reason: response.done ? finishReason(response.doneReason, this.#toolCallsSent > 0) : null,
      logprobs: choiceLogprobs(response.logprobs),
    };
    const events = [sseData(this.#chunk([choice]))];
    if (response.done && this.#options.includeUsage) events.push(sseData({ ...this.#chunk([]), usage: usageJson(response.usage) }));
    return events;
  }

  #chunk(choices: unknown[]): object {
    const { id, created, model } = this.#options;
    return { id, object: "chat.completion.chunk", created, model, system_fingerprint: SYSTEM_FINGERPRINT, choices };
  }
}

/**
 * Collects the ChatResponses of a non-streamed call into one chat.completion,
 * as Ollama's non-streamed chat aggregates them: content, reasoning, tool
 * calls and logprobs concatenated; done_reason and usage from the done message.
 */
export class ChatCompletionAccumulator {
  readonly #identity: CompletionIdentity;
  #content = "";
  #thinking = "";
  readonly #toolCalls: ToolCall[] = [];
  readonly #logprobs: Logprob[] = [];
  #doneReason = "";
  #usage: Usage | undefined;

  constructor(identity: CompletionIdentity) {
    this.#identity = identity;
  }

  add(response: ChatResponse): void {
    this.#content += response.message?.content ?? "";
    this.#thinking += response.message?.thinking ?? "";
    this.#toolCalls.push(...(response.message?.toolCalls ?? []));
    this.#logprobs.push(...response.logprobs);
    if (response.done) {
      this.#doneReason = response.doneReason;
      this.#usage = response.usage;
    }
  }

  /** The chat.completion body (application/json), newline-terminated like Go's json.Encoder. */
  body(): string {
    const { id, created, model } = this.#identity;
    const toolCalls = toolCallsJson(this.#toolCalls, 0);
    const message = {
      role: "assistant",
      content: this.#content,
      reasoning: this.#thinking || undefined,
      tool_calls: toolCalls.length > 0 ? toolCalls : undefined,
    };
    const choice = {
      index: 0,
      message,
      finish_reason: finishReason(this.#doneReason, toolCalls.length > 0),
      logprobs: choiceLogprobs(this.#logprobs),
    };
    const completion = {
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [choice],
      usage: usageJson(this.#usage),
    };
    return `${JSON.stringify(completion)}\n`;
  }
}
