/**
 * Prints a Generate/Chat stream to the terminal as it arrives: answer text on
 * stdout, thinking dimmed on stderr, tool calls as JSON lines on stderr, and a
 * one-line summary (backend, tokens, speed, time to first token) at the end.
 */
import type { ChatResponse, GenerateResponse, Timings, ToolCall } from "../../gen/ollama/v1/ollama.js";
import { formatDurationMs } from "../common/duration.js";

/** A sink for one stream. */
export class StreamPrinter {
  readonly #out: NodeJS.WritableStream;
  readonly #err: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #startedAt = performance.now();
  #firstAt: number | undefined;
  #inThinking = false;
  #wroteText = false;

  constructor(out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr) {
    this.#out = out;
    this.#err = err;
  }

  /** Prints one Generate message. */
  generate(message: GenerateResponse): void {
    this.#delta(message.thinking, message.response, message.toolCalls);
    if (message.done) this.#summary(message.backend, message.doneReason, message.usage?.evalCount ?? 0, message.timings);
  }

  /** Prints one Chat message. */
  chat(message: ChatResponse): void {
    this.#delta(message.message?.thinking ?? "", message.message?.content ?? "", message.message?.toolCalls ?? []);
    if (message.done) this.#summary(message.backend, message.doneReason, message.usage?.evalCount ?? 0, message.timings);
  }

  #delta(thinking: string, text: string, toolCalls: ToolCall[]): void {
    this.#firstAt ??= performance.now();
    if (thinking !== "") {
      if (!this.#inThinking) this.#err.write(this.#dim("thinking: "));
      this.#inThinking = true;
      this.#err.write(this.#dim(thinking));
    }
    if (text !== "") {
      if (this.#inThinking) this.#err.write("\n");
      this.#inThinking = false;
      this.#wroteText = true;
      this.#out.write(text);
    }
    for (const call of toolCalls) {
      this.#err.write(`\ntool call: ${JSON.stringify({ id: call.id, name: call.function?.name, arguments: call.function?.arguments })}\n`);
    }
  }

  #summary(backend: string, doneReason: string, evalCount: number, timings: Timings | undefined): void {
    if (this.#wroteText || this.#inThinking) this.#out.write("\n");
    const evalNs = (timings?.evalDuration?.seconds ?? 0) * 1e9 + (timings?.evalDuration?.nanos ?? 0);
    const speed = evalNs > 0 ? `${(evalCount / (evalNs / 1e9)).toFixed(1)} tok/s` : "";
    const ttft = this.#firstAt === undefined ? "" : `first token ${formatDurationMs(this.#firstAt - this.#startedAt)}`;
    const total = `total ${formatDurationMs(performance.now() - this.#startedAt)}`;
    const parts = [`backend ${backend}`, `${evalCount} tokens`, speed, ttft, total, `done: ${doneReason}`].filter((p) => p !== "");
    this.#err.write(this.#dim(`[${parts.join(" · ")}]`) + "\n");
  }

  #dim(text: string): string {
    return this.#err.isTTY ? `\x1b[2m${text}\x1b[0m` : text;
  }
}
