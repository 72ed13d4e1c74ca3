/**
 * Reads an Ollama streaming body: NDJSON values that must be objects, an
 * `{"error": ...}` line becomes UpstreamStreamError, and the stream must end
 * with its final line (`done: true`). Nothing before it is skipped.
 */
import { DEFAULT_MAX_LINE_BYTES, NdjsonDecoder } from "./ndjson.js";
import { UpstreamProtocolError, UpstreamStreamError } from "./errors.js";

/** Any line of an Ollama stream that passed the structural checks. */
export interface OllamaStreamLine {
  done?: unknown;
  [key: string]: unknown;
}

/** Decides which line ends a stream: `done: true` for generate/chat, `status: "success"` for pull. */
export type FinalLineTest = (line: OllamaStreamLine) => boolean;

/** The end of a generate or chat stream. */
export const isDoneLine: FinalLineTest = (line) => line.done === true;

/** The end of a pull (or push, create) progress stream. */
export const isSuccessLine: FinalLineTest = (line) => line.status === "success";

/**
 * Most lines in one batch: bounds how far one write can overshoot the relay's
 * back-pressure mark (DirectStream's HIGH_WATER) and one meter payment.
 */
export const MAX_BATCH_LINES = 32;

/**
 * Yields the stream's lines in order, in batches: the complete lines of one
 * body chunk (one socket read), at most MAX_BATCH_LINES each, never empty.
 * The last line yielded is the final one (`isFinal`); lines after it are not
 * even parsed. Throws UpstreamStreamError for an error line and
 * UpstreamProtocolError for a malformed line or a body that ends early,
 * after yielding the good lines that came before it in the same chunk.
 * Every error goes through `mapError` first (the client tags its backend).
 *
 * Batches, not single lines: this is the per-token path, and every item
 * costs a promise round trip in each async-generator layer it passes.
 */
export async function* readOllamaBatches(
  body: AsyncIterable<Uint8Array>,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  isFinal: FinalLineTest = isDoneLine,
  mapError: (error: unknown) => unknown = (error) => error,
): AsyncGenerator<OllamaStreamLine[], void, undefined> {
  const decoder = new NdjsonDecoder(maxLineBytes);
  // After the final line the body is still read to its end, so the keep-alive
  // connection goes back to the pool instead of being destroyed.
  let sawFinal = false;
  /** Checks `values` into `lines` up to the final line; throws on a bad one, keeping those before it. */
  const collect = (values: unknown[], lines: OllamaStreamLine[]): void => {
    for (const value of values) {
      const line = checkLine(value);
      lines.push(line);
      if (isFinal(line)) {
        sawFinal = true;
        return;
      }
    }
  };
  try {
    for await (const chunk of body) {
      if (sawFinal) continue; // Ollama closes right after `done`; anything after it is ignored.
      const read = linesOf(chunk, decoder, collect);
      for (const batch of read.batches) yield batch;
      if (read.failure !== undefined) throw read.failure.error;
    }
    if (!sawFinal) {
      // The body's end: a last line without a newline. (Not folded into the loop above: a wrapping
      // generator that appends the end would cost a promise per chunk on the per-token path.)
      const read = linesOf(undefined, decoder, collect);
      for (const batch of read.batches) yield batch;
      if (read.failure !== undefined) throw read.failure.error;
    }
  } catch (error) {
    // A failure while draining after the final line (say, a reset after the
    // last line) cannot make a complete answer incomplete.
    if (!sawFinal) throw mapError(error);
    return;
  }
  if (!sawFinal) throw mapError(new UpstreamProtocolError("MISSING_DONE", "stream ended without its final line (done:true or status:success)"));
}

/**
 * The lines one chunk completes (`undefined`: the body's end), cut into
 * batches, and the failure of a bad line after them, if any. A plain
 * function, not a generator: `yield*` of a sync generator inside an async
 * one costs a promise per item.
 */
function linesOf(
  chunk: Uint8Array | undefined,
  decoder: NdjsonDecoder,
  collect: (values: unknown[], lines: OllamaStreamLine[]) => void,
): { batches: OllamaStreamLine[][]; failure?: { error: unknown } } {
  const lines: OllamaStreamLine[] = [];
  let failure: { error: unknown } | undefined;
  try {
    collect(chunk === undefined ? decoder.end() : decoder.push(chunk), lines);
  } catch (error) {
    failure = { error };
  }
  const batches: OllamaStreamLine[][] = [];
  if (lines.length <= MAX_BATCH_LINES) {
    if (lines.length > 0) batches.push(lines);
  } else {
    for (let i = 0; i < lines.length; i += MAX_BATCH_LINES) batches.push(lines.slice(i, i + MAX_BATCH_LINES));
  }
  return failure === undefined ? { batches } : { batches, failure };
}

/** A decoded value as a stream line: an object, and not an error line. */
function checkLine(value: unknown): OllamaStreamLine {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UpstreamProtocolError("UNEXPECTED_VALUE", "stream line is not a JSON object");
  }
  const line = value as OllamaStreamLine;
  if ("error" in line) {
    throw new UpstreamStreamError(typeof line.error === "string" ? line.error : JSON.stringify(line.error));
  }
  return line;
}
