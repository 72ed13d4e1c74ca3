/**
 * Writing responses the way Ollama (gin on Go's net/http) does.
 *
 * - `c.JSON` bodies are `application/json; charset=utf-8`.
 * - Streams are `application/x-ndjson`, one object per line. Headers go out
 *   with the first line, never earlier, so a waiting request shows nothing on
 *   the wire.
 * - An error raised inside a stream before any line was written is sent by
 *   `streamResponse` as plain `application/json` (no charset).
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { JSON_CONTENT_TYPE, NDJSON_CONTENT_TYPE } from "../ollama/content-types.js";
import { goTimestamp } from "../ollama/go-timestamp.js";

export { JSON_CONTENT_TYPE, NDJSON_CONTENT_TYPE, STREAM_ERROR_CONTENT_TYPE } from "../ollama/content-types.js";

/** Writes one complete JSON response. */
export function writeJson(res: ServerResponse, status: number, body: unknown, contentType = JSON_CONTENT_TYPE): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Writes `{"error": message}` with the given status. */
export function writeError(res: ServerResponse, status: number, message: string, contentType = JSON_CONTENT_TYPE): void {
  writeJson(res, status, { error: message }, contentType);
}

/** Writes a `text/plain; charset=utf-8` body (gin's `c.String` and routing errors). */
export function writeText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** A 200 with an empty body (`/api/delete`, `/api/copy`). */
export function writeEmpty(res: ServerResponse, status = 200): void {
  res.writeHead(status, { "Content-Length": 0 });
  res.end();
}

/** The current instant as Ollama writes `created_at` (`time.Now().UTC()`), monotonic within a process. */
export function createdAtNow(): string {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms);
  return goTimestamp(whole, Math.floor((ms - whole) * 1e6));
}

/**
 * An NDJSON response body. Respects back-pressure: `line` waits for `drain`,
 * and rejects with the abort reason if the client goes away meanwhile.
 */
export class NdjsonWriter {
  #res: ServerResponse;
  #signal: AbortSignal;
  #flushed: Promise<void> = Promise.resolve();

  constructor(res: ServerResponse, signal: AbortSignal) {
    this.#res = res;
    this.#signal = signal;
  }

  /** Whether the status line and headers have been written. */
  get started(): boolean {
    return this.#res.headersSent;
  }

  /** Writes one line (a newline is appended). The first call also sends the 200 headers. */
  async line(text: string): Promise<void> {
    if (!this.#res.headersSent) this.#res.writeHead(200, { "Content-Type": NDJSON_CONTENT_TYPE });
    let flushed: () => void = () => undefined;
    this.#flushed = new Promise<void>((resolve) => (flushed = resolve));
    // The callback runs once the chunk reaches the socket (or with an error if it never will).
    const accepted = this.#res.write(`${text}\n`, () => flushed());
    if (!accepted) await once(this.#res, "drain", { signal: this.#signal });
  }

  /** Ends the body cleanly (terminating chunk). */
  end(): void {
    if (!this.#res.headersSent) this.#res.writeHead(200, { "Content-Type": NDJSON_CONTENT_TYPE });
    this.#res.end();
  }

  /** Resolves once everything written so far has reached the socket (or the client left). */
  flushed(): Promise<void> {
    return Promise.race([this.#flushed, once(this.#res, "close").then(() => undefined)]);
  }
}
