/**
 * Turns a planned answer into chunk objects for generate or chat. The route
 * supplies the {@link ChunkShape} (field names differ between the two); this
 * class handles accumulation for `stream:false`, timing and metrics.
 */
import type { ChunkSource } from "./chunk-responder.js";
import { finalMetrics } from "./inference.js";
import type { Timing } from "./inference.js";
import type { AnswerPiece, AnswerPlan, Logprob, ToolCall } from "./token-stream.js";
import { createdAtNow } from "./wire.js";

/** The body fields of an ending object (final line, or the whole `stream:false` body). */
export interface AnswerSummary {
  readonly createdAt: string;
  readonly done: boolean;
  readonly doneReason?: string;
  /** Metric fields with zeros omitted; absent when not done. */
  readonly metrics?: Record<string, number>;
  /** Text for the body's text field: "" on a streamed final line, everything when aggregated. */
  readonly content: string;
  readonly thinking: string;
  readonly toolCalls: readonly ToolCall[];
  readonly logprobs: readonly Logprob[];
  /** All content generated so far, whatever `content` holds (for generate's `context`). */
  readonly answer: string;
}

/** Route-specific object layout. */
export interface ChunkShape {
  chunk(piece: AnswerPiece, createdAt: string): Record<string, unknown>;
  end(summary: AnswerSummary): Record<string, unknown>;
}

/** A {@link ChunkSource} over an {@link AnswerPlan}. */
export class AnswerSource implements ChunkSource {
  #plan: AnswerPlan;
  #shape: ChunkShape;
  #timing: Timing;
  #promptTokens: number;
  #firstTokenNs: bigint | undefined;
  #content = "";
  #thinking = "";
  #toolCalls: ToolCall[] = [];
  #logprobs: Logprob[] = [];

  constructor(plan: AnswerPlan, shape: ChunkShape, timing: Timing, promptTokens: number) {
    this.#plan = plan;
    this.#shape = shape;
    this.#timing = timing;
    this.#promptTokens = promptTokens;
  }

  get count(): number {
    return this.#plan.pieces.length;
  }

  chunk(index: number): unknown {
    const piece = this.#plan.pieces[index];
    if (piece === undefined) throw new RangeError(`no chunk ${index}`);
    this.#firstTokenNs ??= process.hrtime.bigint();
    if (piece.kind === "thinking") this.#thinking += piece.text;
    if (piece.kind === "tool_call") this.#toolCalls.push(piece.call);
    if (piece.kind === "content") {
      this.#content += piece.text;
      if (piece.logprobs !== undefined) this.#logprobs.push(...piece.logprobs);
    }
    return this.#shape.chunk(piece, createdAtNow());
  }

  final(): unknown {
    return this.#shape.end({ ...this.#ending(true), content: "", thinking: "", toolCalls: [], logprobs: [] });
  }

  aggregate(): unknown {
    return this.#shape.end(this.#ending(true));
  }

  unfinished(): unknown {
    return this.#shape.end(this.#ending(false));
  }

  #ending(done: boolean): AnswerSummary {
    const base = {
      createdAt: createdAtNow(),
      done,
      content: this.#content,
      thinking: this.#thinking,
      toolCalls: this.#toolCalls,
      logprobs: this.#logprobs,
      answer: this.#content,
    };
    if (!done) return base;
    const metrics = finalMetrics(this.#timing, this.#firstTokenNs, this.#promptTokens, this.#plan.pieces.length);
    return { ...base, doneReason: this.#plan.doneReason, metrics };
  }
}
