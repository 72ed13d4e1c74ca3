/**
 * `"stream": false` on /api/generate and /api/chat: Ollama runs the same
 * stream and answers one object at the end (routes.go GenerateHandler and
 * ChatHandler). That object is the final chunk with the text fields replaced
 * by the whole answer: `response`/`content` and `thinking` concatenated,
 * `logprobs` concatenated; chat also collects the tool calls of every chunk,
 * while generate keeps the final chunk's (Ollama assigns the last chunk
 * whole). Metrics, `done_reason`, `context` and `created_at` are the final
 * chunk's.
 */
import { Role, type ChatResponse, type GenerateResponse, type Logprob, type ToolCall } from "../../../gen/ollama/v1/ollama.js";
import { encodeGoJson } from "../../ollama/go-json.js";
import { chatObject, generateObject } from "./completion-responses.js";

/** Collects a Generate stream into Ollama's `stream:false` body. */
export class GenerateAccumulator {
  #last: GenerateResponse | undefined;
  #response = "";
  #thinking = "";
  #logprobs: Logprob[] = [];

  /** Takes the next message of the stream, in order. */
  add(message: GenerateResponse): void {
    this.#response += message.response;
    this.#thinking += message.thinking;
    this.#logprobs.push(...message.logprobs);
    this.#last = message;
  }

  /**
   * The body, once the stream has ended.
   * @throws Error when no message was added (a Generate stream always ends with one).
   */
  json(): string {
    if (this.#last === undefined) throw new Error("GenerateAccumulator: the stream had no message");
    return encodeGoJson(generateObject({ ...this.#last, response: this.#response, thinking: this.#thinking, logprobs: this.#logprobs }));
  }
}

/** Collects a Chat stream into Ollama's `stream:false` body. */
export class ChatAccumulator {
  #last: ChatResponse | undefined;
  #content = "";
  #thinking = "";
  #toolCalls: ToolCall[] = [];
  #logprobs: Logprob[] = [];

  /** Takes the next message of the stream, in order. */
  add(message: ChatResponse): void {
    this.#content += message.message?.content ?? "";
    this.#thinking += message.message?.thinking ?? "";
    this.#toolCalls.push(...(message.message?.toolCalls ?? []));
    this.#logprobs.push(...message.logprobs);
    this.#last = message;
  }

  /**
   * The body, once the stream has ended.
   * @throws Error when no message was added (a Chat stream always ends with one).
   */
  json(): string {
    const last = this.#last;
    if (last === undefined) throw new Error("ChatAccumulator: the stream had no message");
    const base = last.message ?? { role: Role.ROLE_ASSISTANT, content: "", images: [], thinking: "", toolCalls: [], toolName: "", toolCallId: "" };
    const message = { ...base, content: this.#content, thinking: this.#thinking, toolCalls: this.#toolCalls };
    return encodeGoJson(chatObject({ ...last, message, logprobs: this.#logprobs }));
  }
}
