/**
 * NDJSON framing for Ollama's streaming responses: bytes -> lines -> JSON.
 *
 * Splitting happens on raw bytes. A 0x0A byte never occurs inside a
 * multi-byte UTF-8 sequence, so a chunk boundary that falls inside a
 * character is harmless: each line is decoded only once it is complete.
 * CRLF endings and a missing final newline are accepted; a line that is not
 * JSON is an error and is never skipped (contrast ollama-js, which logs and
 * drops it).
 */
import { UpstreamProtocolError } from "./errors.js";

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Default cap on one line: far above any real chunk, small enough to stop a runaway body. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Incremental NDJSON decoder. Feed it chunks with `push`, then call `end`
 * once the body is complete. Both return the values completed by that call,
 * in order. Whitespace-only lines are ignored (they carry no value).
 */
export class NdjsonDecoder {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #lineNumber = 0;
  /** A bad line found after good ones in the same chunk: thrown on the next call, so the good ones are delivered first. */
  #deferred: unknown;
  readonly #maxLineBytes: number;

  constructor(maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  /**
   * Consumes one chunk of the body. Throws UpstreamProtocolError on a bad
   * line; values completed before the bad line in the same chunk are returned
   * first and the error is thrown by the next call.
   */
  push(chunk: Uint8Array): unknown[] {
    this.#throwDeferred();
    const values: unknown[] = [];
    try {
      this.#consume(chunk, values);
    } catch (error) {
      if (values.length === 0) throw error;
      this.#deferred = error;
    }
    return values;
  }

  #throwDeferred(): void {
    if (this.#deferred === undefined) return;
    const error = this.#deferred;
    this.#deferred = undefined;
    throw error;
  }

  #consume(chunk: Uint8Array, values: unknown[]): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let newline = bytes.indexOf(LF, start); newline !== -1; newline = bytes.indexOf(LF, start)) {
      const tail = bytes.subarray(start, newline);
      start = newline + 1;
      let line = tail;
      if (this.#pendingBytes > 0) {
        this.#checkLength(this.#pendingBytes + tail.length);
        this.#pending.push(tail);
        line = Buffer.concat(this.#pending, this.#pendingBytes + tail.length);
        this.#pending = [];
        this.#pendingBytes = 0;
      } else {
        this.#checkLength(tail.length);
      }
      this.#parseLine(line, values);
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start);
      this.#checkLength(this.#pendingBytes + rest.length);
      this.#pending.push(rest);
      this.#pendingBytes += rest.length;
    }
  }

  /** Signals the end of the body; a last line without a newline is parsed here. */
  end(): unknown[] {
    this.#throwDeferred();
    const values: unknown[] = [];
    if (this.#pendingBytes > 0) {
      const line = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#parseLine(line, values);
    }
    return values;
  }

  #checkLength(length: number): void {
    if (length > this.#maxLineBytes) {
      throw new UpstreamProtocolError(
        "LINE_TOO_LONG",
        `NDJSON line ${this.#lineNumber + 1} exceeds ${this.#maxLineBytes} bytes`,
      );
    }
  }

  #parseLine(line: Buffer, values: unknown[]): void {
    this.#lineNumber += 1;
    let end = line.length;
    if (end > 0 && line[end - 1] === CR) end -= 1;
    if (isBlank(line, end)) return;
    let text: string;
    try {
      text = decoder.decode(line.subarray(0, end));
    } catch (cause) {
      throw new UpstreamProtocolError("MALFORMED_LINE", `NDJSON line ${this.#lineNumber} is not valid UTF-8`, { cause });
    }
    try {
      values.push(JSON.parse(text));
    } catch (cause) {
      // The line's content is model output and may echo the prompt: report its size, not its text.
      throw new UpstreamProtocolError(
        "MALFORMED_LINE",
        `NDJSON line ${this.#lineNumber} is not valid JSON (${end} bytes)`,
        { cause },
      );
    }
  }
}

function isBlank(line: Buffer, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const byte = line[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return false;
  }
  return true;
}
