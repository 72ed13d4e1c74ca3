/**
 * Reads an Ollama streaming body: NDJSON values that must be objects, an
 * `{"error": ...}` line becomes UpstreamStreamError, and the stream must end
 * with a `done: true` object. Nothing before `done` is skipped.
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
 * Yields each line of the stream in order; the last value yielded is the
 * final line (`isFinal`). Throws UpstreamStreamError for an error line, and
 * UpstreamProtocolError for a malformed line or a body that ends early.
 * Every error goes through `mapError` first (the client tags its backend).
 *
 * One generator from body chunks to lines: this is the per-token path, and
 * each async-generator layer costs a promise round trip per token.
 */
export async function* readOllamaStream(
  body: AsyncIterable<Uint8Array>,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  isFinal: FinalLineTest = isDoneLine,
  mapError: (error: unknown) => unknown = (error) => error,
): AsyncGenerator<OllamaStreamLine, void, undefined> {
  const decoder = new NdjsonDecoder(maxLineBytes);
  // After `done` the body is still read to its end, so the keep-alive
  // connection goes back to the pool instead of being destroyed.
  let sawDone = false;
  try {
    for await (const chunk of body) {
      for (const value of decoder.push(chunk)) {
        if (sawDone) continue; // Ollama closes right after `done`; anything after it is ignored, never yielded.
        const line = checkLine(value);
        if (isFinal(line)) sawDone = true;
        yield line;
      }
    }
    for (const value of decoder.end()) {
      if (sawDone) continue;
      const line = checkLine(value);
      if (isFinal(line)) sawDone = true;
      yield line;
    }
  } catch (error) {
    // A failure while draining after `done` (say, a reset after the last line)
    // cannot make a complete answer incomplete.
    if (!sawDone) throw mapError(error);
    return;
  }
  if (!sawDone) throw mapError(new UpstreamProtocolError("MISSING_DONE", "stream ended without its final line (done:true or status:success)"));
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
