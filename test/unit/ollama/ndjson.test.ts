import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_LINE_BYTES, NdjsonDecoder } from "../../../src/ollama/ndjson.js";

/** The decoder as an async stage over body chunks (how stream-reader.ts drives it). */
async function* decodeNdjson(source: AsyncIterable<Uint8Array>, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<unknown, void, undefined> {
  const ndjson = new NdjsonDecoder(maxLineBytes);
  for await (const chunk of source) yield* ndjson.push(chunk);
  yield* ndjson.end();
}
import { UpstreamProtocolError } from "../../../src/ollama/errors.js";

const LINES = [
  '{"response":"café","n":1}',
  '{"response":"日本語","n":2}',
  '{"response":"🦙 llama","n":3}',
  '{"done":true,"n":4}',
];
const EXPECTED = [
  { response: "café", n: 1 },
  { response: "日本語", n: 2 },
  { response: "🦙 llama", n: 3 },
  { done: true, n: 4 },
];
const LF_BODY = LINES.join("\n") + "\n";

async function* fromChunks(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of source) values.push(value);
  return values;
}

async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/** Splits `bytes` at the given byte offsets (ascending). */
function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  for (const offset of offsets) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

function byteAt(bytes: Buffer, text: string): number {
  const index = bytes.indexOf(Buffer.from(text, "utf8"));
  if (index < 0) throw new Error(`${text} not in body`);
  return index;
}

function oneBytePerChunk(bytes: Buffer): Buffer[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

/** Plain Uint8Array views (not Buffers) into a larger ArrayBuffer, at a non-zero offset. */
function asOffsetViews(bytes: Buffer, size: number): Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let start = 0; start < bytes.length; start += size) {
    const part = bytes.subarray(start, start + size);
    const backing = new ArrayBuffer(part.length + 6);
    const view = new Uint8Array(backing, 3, part.length);
    view.set(part);
    views.push(view);
  }
  return views;
}

interface Chunking {
  name: string;
  body: string;
  chunk: (bytes: Buffer) => Uint8Array[];
}

const chunkings: Chunking[] = [
  { name: "whole body in one chunk", body: LF_BODY, chunk: (b) => [b] },
  { name: "split inside a line", body: LF_BODY, chunk: (b) => splitAt(b, [5, 40]) },
  { name: "split right after each newline", body: LF_BODY, chunk: (b) => splitAt(b, newlineOffsets(b, 1)) },
  { name: "split right before each newline", body: LF_BODY, chunk: (b) => splitAt(b, newlineOffsets(b, 0)) },
  { name: "split inside é (2 bytes)", body: LF_BODY, chunk: (b) => splitAt(b, [byteAt(b, "é") + 1]) },
  {
    name: "split inside 日 and 本 (3 bytes each)",
    body: LF_BODY,
    chunk: (b) => splitAt(b, [byteAt(b, "日") + 1, byteAt(b, "日") + 2, byteAt(b, "本") + 1]),
  },
  {
    name: "split at every inner byte of an emoji (4 bytes)",
    body: LF_BODY,
    chunk: (b) => splitAt(b, [byteAt(b, "🦙") + 1, byteAt(b, "🦙") + 2, byteAt(b, "🦙") + 3]),
  },
  { name: "one byte at a time", body: LF_BODY, chunk: oneBytePerChunk },
  {
    name: "empty chunks interleaved",
    body: LF_BODY,
    chunk: (b) => [Buffer.alloc(0), ...splitAt(b, [byteAt(b, "🦙") + 2]).flatMap((c) => [c, Buffer.alloc(0), Buffer.alloc(0)])],
  },
  { name: "Uint8Array views at a byte offset", body: LF_BODY, chunk: (b) => asOffsetViews(b, 7) },
  { name: "CRLF endings, one chunk", body: LINES.join("\r\n") + "\r\n", chunk: (b) => [b] },
  { name: "CRLF endings, split between CR and LF", body: LINES.join("\r\n") + "\r\n", chunk: (b) => splitAt(b, newlineOffsets(b, 0)) },
  { name: "CRLF endings, one byte at a time", body: LINES.join("\r\n") + "\r\n", chunk: oneBytePerChunk },
  { name: "missing final newline", body: LINES.join("\n"), chunk: (b) => [b] },
  { name: "missing final newline, one byte at a time", body: LINES.join("\n"), chunk: oneBytePerChunk },
  { name: "missing final newline after CRLF lines", body: LINES.join("\r\n"), chunk: (b) => splitAt(b, [3]) },
  {
    name: "blank and whitespace-only lines",
    body: `\n${LINES[0]}\n\n   \n\t\r\n${LINES[1]}\n \t \n${LINES[2]}\n\r\n${LINES[3]}\n\n  `,
    chunk: (b) => [b],
  },
  {
    name: "blank and whitespace-only lines, one byte at a time",
    body: `\n${LINES[0]}\n\n   \n\t\r\n${LINES[1]}\n \t \n${LINES[2]}\n\r\n${LINES[3]}\n\n  `,
    chunk: oneBytePerChunk,
  },
];

/** Offsets of each LF plus `shift` (0: just before the LF, 1: just after it). */
function newlineOffsets(bytes: Buffer, shift: 0 | 1): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) offsets.push(i + shift);
  return offsets;
}

describe("NdjsonDecoder driven as an async stage", () => {
  // Chunk boundaries are arbitrary on the wire: every way of cutting the same body must decode to the same values.
  it.each(chunkings)("$name", async ({ body, chunk }) => {
    const chunks = chunk(Buffer.from(body, "utf8"));
    expect(await collect(decodeNdjson(fromChunks(chunks)))).toEqual(EXPECTED);
  });

  it("yields nothing for an empty body", async () => {
    expect(await collect(decodeNdjson(fromChunks([])))).toEqual([]);
    expect(await collect(decodeNdjson(fromChunks([Buffer.alloc(0)])))).toEqual([]);
  });

  it("uses a 16 MiB default line cap", () => {
    expect(DEFAULT_MAX_LINE_BYTES).toBe(16 * 1024 * 1024);
  });
});

describe("NdjsonDecoder", () => {
  it("returns each value from the push that completes its line", () => {
    const decoder = new NdjsonDecoder();
    expect(decoder.push(Buffer.from('{"a":1}\n{"b"'))).toEqual([{ a: 1 }]);
    expect(decoder.push(Buffer.from(":2}"))).toEqual([]);
    expect(decoder.push(Buffer.from("\n"))).toEqual([{ b: 2 }]);
    expect(decoder.end()).toEqual([]);
  });

  it("parses the last line without a newline on end()", () => {
    const decoder = new NdjsonDecoder();
    expect(decoder.push(Buffer.from('{"a":1}\n{"b":2}'))).toEqual([{ a: 1 }]);
    expect(decoder.end()).toEqual([{ b: 2 }]);
  });

  it("accepts any JSON value per line (object checks happen downstream)", () => {
    const decoder = new NdjsonDecoder();
    expect(decoder.push(Buffer.from('[1]\n3\n"s"\nnull\n'))).toEqual([[1], 3, "s", null]);
  });
});

describe("malformed lines", () => {
  const SECRET = "the user's secret prompt";
  const malformed = [
    { name: "truncated object", body: `{"response":"${SECRET}"\n` },
    { name: "plain text", body: `${SECRET}\n` },
    { name: "two objects on one line", body: `{"a":1}{"response":"${SECRET}"}\n` },
    { name: "bad line after good lines", body: `{"a":1}\n{"b":2}\n{${SECRET}}\n` },
    { name: "bad last line without newline", body: `{"a":1}\n{"response":"${SECRET}` },
  ];

  // The line's content is model output and may echo the prompt: it must never reach an error message.
  it.each(malformed)("$name -> MALFORMED_LINE without the line's text", async ({ body }) => {
    const error = await rejection(() => collect(decodeNdjson(fromChunks([Buffer.from(body)]))));
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect(error).toMatchObject({ failure: "MALFORMED_LINE", kind: "protocol" });
    expect((error as Error).message).not.toContain(SECRET);
    expect((error as Error).message).not.toContain("secret");
  });

  // Values before a bad line are real output: they are delivered, then the error.
  it("delivers the good lines before a bad one in the same chunk, then throws", async () => {
    const decoder = new NdjsonDecoder();
    expect(decoder.push(Buffer.from('{"a":1}\n{"done":true}\n{oops\n'))).toEqual([{ a: 1 }, { done: true }]);
    expect(() => decoder.push(Buffer.from("{}\n"))).toThrow(expect.objectContaining({ failure: "MALFORMED_LINE" }));
    const viaStage = [] as unknown[];
    const error = await rejection(async () => {
      for await (const value of decodeNdjson(fromChunks([Buffer.from('{"a":1}\n{oops\n')]))) viaStage.push(value);
    });
    expect(viaStage).toEqual([{ a: 1 }]);
    expect(error).toMatchObject({ failure: "MALFORMED_LINE" });
  });

  it("fails on a bad line when it is fed one byte at a time", async () => {
    const body = Buffer.from(`{"a":1}\n{"response":"${SECRET}"\n`);
    const error = await rejection(() => collect(decodeNdjson(fromChunks(oneBytePerChunk(body)))));
    expect(error).toMatchObject({ failure: "MALFORMED_LINE" });
    expect((error as Error).message).not.toContain(SECRET);
  });

  const invalidUtf8 = [
    { name: "0xFF byte", bytes: [0xff] },
    { name: "lone continuation byte", bytes: [0x80] },
    { name: "truncated 2-byte sequence", bytes: [0xc3] },
    { name: "overlong encoding of '/'", bytes: [0xc0, 0xaf] },
    { name: "encoded UTF-16 surrogate", bytes: [0xed, 0xa0, 0x80] },
  ];

  it.each(invalidUtf8)("invalid UTF-8 ($name) -> MALFORMED_LINE", async ({ bytes }) => {
    const body = Buffer.concat([Buffer.from('{"response":"'), Buffer.from(bytes), Buffer.from('"}\n')]);
    const error = await rejection(() => collect(decodeNdjson(fromChunks([body]))));
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect(error).toMatchObject({ failure: "MALFORMED_LINE" });
  });

  it("invalid UTF-8 at the end of a body without a final newline -> MALFORMED_LINE", () => {
    const decoder = new NdjsonDecoder();
    expect(decoder.push(Buffer.concat([Buffer.from('{"a":1}\n{"b":"'), Buffer.from([0xe6, 0x97])]))).toEqual([{ a: 1 }]);
    expect(() => decoder.end()).toThrow(expect.objectContaining({ failure: "MALFORMED_LINE" }));
  });
});

describe("line length cap", () => {
  const MAX = 16;
  /** A JSON line of exactly `bytes` bytes (bytes >= 8). */
  const lineOf = (bytes: number): string => `{"s":"${"x".repeat(bytes - 8)}"}`;

  it("accepts a line of exactly maxLineBytes", async () => {
    const body = Buffer.from(`${lineOf(MAX)}\n${lineOf(MAX)}`);
    expect(await collect(decodeNdjson(fromChunks(oneBytePerChunk(body)), MAX))).toHaveLength(2);
  });

  const tooLong = [
    { name: "in one chunk", chunks: [`${lineOf(MAX + 1)}\n`] },
    { name: "in one chunk after a good line", chunks: [`{"a":1}\n${lineOf(MAX + 1)}\n`] },
    { name: "in one chunk without a newline", chunks: [lineOf(MAX + 1)] },
    { name: "across two chunks, no newline yet", chunks: [lineOf(MAX + 1).slice(0, 10), lineOf(MAX + 1).slice(10)] },
    { name: "across two chunks, newline in the second", chunks: [lineOf(MAX + 1).slice(0, 10), `${lineOf(MAX + 1).slice(10)}\n`] },
    { name: "across many one-byte chunks", chunks: [...`${lineOf(MAX * 4)}\n`] },
  ];

  it.each(tooLong)("over-long line $name -> LINE_TOO_LONG", async ({ chunks }) => {
    const bytes = chunks.map((c) => Buffer.from(c));
    const error = await rejection(() => collect(decodeNdjson(fromChunks(bytes), MAX)));
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect(error).toMatchObject({ failure: "LINE_TOO_LONG" });
  });

  // A runaway line must be refused while it grows, not buffered until its newline arrives.
  it("throws from the push that crosses the cap, before any newline", () => {
    const decoder = new NdjsonDecoder(MAX);
    expect(decoder.push(Buffer.from('{"s":"xxxxx'))).toEqual([]);
    expect(() => decoder.push(Buffer.from("xxxxxxxxxx"))).toThrow(expect.objectContaining({ failure: "LINE_TOO_LONG" }));
  });
});
