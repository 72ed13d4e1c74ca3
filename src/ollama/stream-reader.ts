/**
 * Reads an Ollama streaming body: NDJSON values that must be objects, an
 * `{"error": ...}` line becomes UpstreamStreamError, and the stream must end
 * with a `done: true` object. Nothing before `done` is skipped.
 */
import { decodeNdjson } from "./ndjson.js";
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
 */
export async function* readOllamaStream(
  body: AsyncIterable<Uint8Array>,
  maxLineBytes?: number,
  isFinal: FinalLineTest = isDoneLine,
): AsyncGenerator<OllamaStreamLine, void, undefined> {
  // After `done` the body is still read to its end, so the keep-alive
  // connection goes back to the pool instead of being destroyed.
  let sawDone = false;
  try {
    for await (const value of decodeNdjson(body, maxLineBytes)) {
      if (sawDone) continue; // Ollama closes right after `done`; anything after it is ignored, never yielded.
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new UpstreamProtocolError("UNEXPECTED_VALUE", "stream line is not a JSON object");
      }
      const line = value as OllamaStreamLine;
      if ("error" in line) {
        throw new UpstreamStreamError(typeof line.error === "string" ? line.error : JSON.stringify(line.error));
      }
      if (isFinal(line)) sawDone = true;
      yield line;
    }
  } catch (error) {
    // A failure while draining after `done` (say, a reset after the last line)
    // cannot make a complete answer incomplete.
    if (!sawDone) throw error;
    return;
  }
  if (!sawDone) throw new UpstreamProtocolError("MISSING_DONE", "stream ended without its final line (done:true or status:success)");
}
