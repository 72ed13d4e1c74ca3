/**
 * What the relay benchmark's processes agree on: the model name, how a
 * request tells the bench backend what to stream (in the prompt, because the
 * gateway relays the prompt verbatim and nothing else of ours), and how each
 * token carries its send time (decimal microseconds of CLOCK_MONOTONIC as the
 * token text, which the gateway relays verbatim in GenerateResponse.response;
 * `created_at` would not do: the gateway keeps it as a Date, in ms).
 * Pure helpers, no I/O; unit-tested in test/unit/bench/relay-wire.test.ts.
 */

/** The one model the bench backend serves. */
export const BENCH_MODEL = "bench:latest";

/** The gRPC method every gRPC path (gateway, ceiling server) is called with. */
export const GENERATE_PATH = "/ollama.v1.OllamaService/Generate";

/** What one stream should look like. */
export interface StreamSpec {
  /** Token lines before the final `done` line. */
  readonly tokens: number;
  /** Tokens per second after the first one; 0 = as fast as the socket takes them. */
  readonly rate: number;
  /** Delay before the first token (and the response headers, as Ollama sends them), in ms. */
  readonly firstMs: number;
}

/** The prompt that asks the bench backend for `spec`. */
export function encodeSpec(spec: StreamSpec): string {
  return `bench tokens=${spec.tokens} rate=${spec.rate} first=${spec.firstMs}`;
}

/** Reads a prompt written by encodeSpec; missing fields get the defaults (16 tokens, unpaced, no delay). */
export function decodeSpec(prompt: string): StreamSpec {
  const field = (name: string, fallback: number): number => {
    const match = new RegExp(`\\b${name}=([0-9.]+)`).exec(prompt);
    const value = match === null ? Number.NaN : Number(match[1]);
    return Number.isFinite(value) ? value : fallback;
  };
  return { tokens: Math.floor(field("tokens", 16)), rate: field("rate", 0), firstMs: field("first", 0) };
}

/**
 * Microseconds of CLOCK_MONOTONIC (libuv's hrtime), the same clock in every
 * process on the machine, so a receive time minus another process's send
 * stamp is a one-way latency.
 */
export function monotonicUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1e3);
}

const RESPONSE_KEY = Buffer.from('"response":"');

/** The send stamp of one NDJSON /api/generate line (a Buffer, without its newline); undefined when it has none. */
export function stampOfLine(line: Buffer): number | undefined {
  const at = line.indexOf(RESPONSE_KEY);
  if (at < 0) return undefined;
  return digitsAt(line, at + RESPONSE_KEY.length, line.length);
}

/**
 * The send stamp in a GenerateResponse's `response` (field 3) and its `done`
 * flag (field 7), read from the protobuf bytes without decoding the rest.
 * Throws on bytes that are not a well-formed message.
 */
export function stampOfMessage(bytes: Buffer): { stamp: number | undefined; done: boolean } {
  let pos = 0;
  let stamp: number | undefined;
  let done = false;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.length) throw new Error("truncated varint");
      const byte = bytes[pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new Error("varint too long");
    }
  };
  while (pos < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0: {
        const value = varint();
        if (field === 7) done = value !== 0;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 2: {
        const length = varint();
        if (field === 3) stamp = digitsAt(bytes, pos, pos + length);
        pos += length;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${tag & 7}`);
    }
    if (pos > bytes.length) throw new Error("truncated field");
  }
  return { stamp, done };
}

/** The decimal number starting at `from` (up to the first non-digit or `to`); undefined when there is no digit. */
function digitsAt(bytes: Buffer, from: number, to: number): number | undefined {
  let value = 0;
  let i = from;
  for (; i < to; i++) {
    const c = bytes[i]!;
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
  }
  return i === from ? undefined : value;
}

/**
 * Splits a byte stream into lines: `push(chunk)` calls `onLine` once per
 * complete line (without its newline), keeping an incomplete tail for the
 * next chunk. Returns how many lines the chunk completed.
 */
export class LineSplitter {
  #tail: Buffer | undefined;
  readonly #onLine: (line: Buffer) => void;

  constructor(onLine: (line: Buffer) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): number {
    let data = chunk;
    if (this.#tail !== undefined) {
      data = Buffer.concat([this.#tail, chunk]);
      this.#tail = undefined;
    }
    let start = 0;
    let lines = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl < 0) break;
      this.#onLine(data.subarray(start, nl));
      lines++;
      start = nl + 1;
    }
    if (start < data.length) this.#tail = Buffer.from(data.subarray(start));
    return lines;
  }
}

/** Newlines in a chunk (the saturation counters only count lines). */
export function countNewlines(chunk: Buffer): number {
  let n = 0;
  let at = chunk.indexOf(10);
  while (at >= 0) {
    n++;
    at = chunk.indexOf(10, at + 1);
  }
  return n;
}
