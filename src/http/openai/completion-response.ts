/**
 * GenerateResponse stream -> /v1/completions answers, in the JSON of Ollama's
 * CompleteWriter (middleware/openai.go) and ToCompleteChunk / ToCompletion
 * (openai/openai.go): text_completion chunks, a usage chunk when asked for,
 * then [DONE]; or one text_completion object for a non-streamed call.
 */
import type { GenerateResponse, Logprob, Usage } from "../../../gen/ollama/v1/ollama.js";
import {
  SseStream,
  SYSTEM_FINGERPRINT,
  choiceLogprobs,
  finishReason,
  sseData,
  usageJson,
  type CompletionIdentity,
  type StreamOptions,
} from "./response-parts.js";

/**
 * Turns the GenerateResponses of one streamed call into SSE events. Not
 * reusable: after the done message (or fail) it returns no more events.
 *
 * Key order is Ollama's CompletionChunk (choices before model). With
 * include_usage, Ollama puts an all-zero usage on every chunk before the real
 * usage chunk; that is kept, since clients that read usage only from the last
 * chunk (as OpenAI documents) see the same totals.
 */
export class CompletionChunkEncoder extends SseStream<GenerateResponse> {
  readonly #options: StreamOptions;

  constructor(options: StreamOptions) {
    super();
    this.#options = options;
  }

  /** The chunk of one GenerateResponse, and after the done message the usage chunk. */
  protected events(response: GenerateResponse): string[] {
    const choice = {
      text: response.response,
      index: 0,
      finish_reason: response.done ? finishReason(response.doneReason, false) : null,
      logprobs: choiceLogprobs(response.logprobs),
    };
    const zeroUsage = this.#options.includeUsage ? usageJson(undefined) : undefined;
    const events = [sseData(this.#chunk([choice], zeroUsage))];
    if (response.done && this.#options.includeUsage) events.push(sseData(this.#chunk([], usageJson(response.usage))));
    return events;
  }

  #chunk(choices: unknown[], usage: unknown): object {
    const { id, created, model } = this.#options;
    return { id, object: "text_completion", created, choices, model, system_fingerprint: SYSTEM_FINGERPRINT, usage };
  }
}

/** Collects the GenerateResponses of a non-streamed call into one text_completion. */
export class CompletionAccumulator {
  readonly #identity: CompletionIdentity;
  #text = "";
  readonly #logprobs: Logprob[] = [];
  #doneReason = "";
  #usage: Usage | undefined;

  constructor(identity: CompletionIdentity) {
    this.#identity = identity;
  }

  add(response: GenerateResponse): void {
    this.#text += response.response;
    this.#logprobs.push(...response.logprobs);
    if (response.done) {
      this.#doneReason = response.doneReason;
      this.#usage = response.usage;
    }
  }

  /** The text_completion body (application/json), newline-terminated like Go's json.Encoder. */
  body(): string {
    const { id, created, model } = this.#identity;
    const choice = {
      text: this.#text,
      index: 0,
      finish_reason: finishReason(this.#doneReason, false),
      logprobs: choiceLogprobs(this.#logprobs),
    };
    const completion = {
      id,
      object: "text_completion",
      created,
      model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [choice],
      usage: usageJson(this.#usage),
    };
    return `${JSON.stringify(completion)}\n`;
  }
}
