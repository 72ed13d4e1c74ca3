import { describe, expect, it } from "vitest";
import { MAX_BATCH_LINES, readOllamaBatches, type OllamaStreamLine } from "../../../src/ollama/stream-reader.js";
import { UpstreamProtocolError, UpstreamStreamError } from "../../../src/ollama/errors.js";

/** A body made of the given chunks (strings are UTF-8 encoded). */
async function* body(...chunks: string[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield Buffer.from(chunk, "utf8");
}

/** Reads the whole stream, recording what was yielded before it ended or failed. */
async function read(source: AsyncIterable<Uint8Array>): Promise<{ lines: OllamaStreamLine[]; error: unknown }> {
  const lines: OllamaStreamLine[] = [];
  try {
    for await (const batch of readOllamaBatches(source)) lines.push(...batch);
  } catch (error) {
    return { lines, error };
  }
  return { lines, error: undefined };
}

const TOKEN_1 = '{"model":"m","response":"Hel","done":false}\n';
const TOKEN_2 = '{"model":"m","response":"lo","done":false}\n';
const DONE = '{"model":"m","response":"","done":true,"done_reason":"stop","eval_count":2}\n';

describe("readOllamaBatches", () => {
  it("yields the lines of one chunk as one batch, and a chunk's lines in batches of at most MAX_BATCH_LINES", async () => {
    const many = TOKEN_1.repeat(MAX_BATCH_LINES * 2 + 3);
    const sizes: number[] = [];
    for await (const batch of readOllamaBatches(body(TOKEN_1 + TOKEN_2, many, TOKEN_2 + DONE))) sizes.push(batch.length);
    expect(sizes).toEqual([2, MAX_BATCH_LINES, MAX_BATCH_LINES, 3, 2]);
  });

  it("never yields an empty batch (a chunk that completes no line)", async () => {
    const sizes: number[] = [];
    for await (const batch of readOllamaBatches(body(TOKEN_1.slice(0, 10), TOKEN_1.slice(10), "\n\n", DONE))) sizes.push(batch.length);
    expect(sizes).toEqual([1, 1]);
  });

  it("yields the good lines of a chunk as a batch before failing on a bad line in it", async () => {
    const batches: OllamaStreamLine[][] = [];
    const run = async (): Promise<void> => {
      for await (const batch of readOllamaBatches(body(TOKEN_1 + TOKEN_2 + '{"error":"x"}\n' + DONE))) batches.push(batch);
    };
    await expect(run()).rejects.toMatchObject({ ollamaMessage: "x" });
    expect(batches.map((b) => b.length)).toEqual([2]);
  });

  it("yields every line, in order, up to and including done", async () => {
    const { lines, error } = await read(body(TOKEN_1, TOKEN_2, DONE));
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      { model: "m", response: "Hel", done: false },
      { model: "m", response: "lo", done: false },
      { model: "m", response: "", done: true, done_reason: "stop", eval_count: 2 },
    ]);
  });

  it("accepts a stream that is only the done line (e.g. a model load)", async () => {
    const { lines, error } = await read(body('{"model":"m","done":true,"done_reason":"load"}'));
    expect(error).toBeUndefined();
    expect(lines).toEqual([{ model: "m", done: true, done_reason: "load" }]);
  });

  it("does not yield lines that follow done", async () => {
    const { lines, error } = await read(body(TOKEN_1, DONE, TOKEN_2, '{"done":true,"late":1}\n'));
    expect(error).toBeUndefined();
    expect(lines).toHaveLength(2);
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: "stop" });
  });

  // Ollama reports a runner crash inside a 200 stream: the error must surface, with nothing after it.
  it("turns an error line into UpstreamStreamError and stops there", async () => {
    const { lines, error } = await read(body(TOKEN_1, '{"error":"x"}\n', TOKEN_2, DONE));
    expect(lines).toEqual([{ model: "m", response: "Hel", done: false }]);
    expect(error).toBeInstanceOf(UpstreamStreamError);
    expect(error).toMatchObject({ ollamaMessage: "x", kind: "server_error", origin: "upstream" });
  });

  it("reports an error line in the same chunk as earlier tokens after yielding those tokens", async () => {
    const { lines, error } = await read(body(TOKEN_1 + TOKEN_2 + '{"error":"x"}\n' + DONE));
    expect(lines).toHaveLength(2);
    expect(error).toMatchObject({ ollamaMessage: "x" });
  });

  it("serialises a non-string error value into ollamaMessage", async () => {
    const { error } = await read(body('{"error":{"code":7}}\n'));
    expect(error).toBeInstanceOf(UpstreamStreamError);
    expect(error).toMatchObject({ ollamaMessage: '{"code":7}' });
  });

  const missingDone = [
    { name: "empty body", chunks: [] as string[], yielded: 0 },
    { name: "tokens only", chunks: [TOKEN_1, TOKEN_2], yielded: 2 },
    { name: "last line has done:false", chunks: [TOKEN_1, '{"done":false}'], yielded: 2 },
    { name: 'done is the string "true"', chunks: [TOKEN_1, '{"done":"true"}\n'], yielded: 2 },
    { name: "only blank lines", chunks: ["\n\n  \r\n"], yielded: 0 },
  ];

  it.each(missingDone)("body ending without done ($name) -> MISSING_DONE", async ({ chunks, yielded }) => {
    const { lines, error } = await read(body(...chunks));
    expect(lines).toHaveLength(yielded);
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect(error).toMatchObject({ failure: "MISSING_DONE" });
  });

  const nonObjects = ["[1]", "3", '"text"', "null", "true", "[]"];

  it.each(nonObjects)("non-object line %s -> UNEXPECTED_VALUE", async (value) => {
    const { lines, error } = await read(body(TOKEN_1, `${value}\n`, DONE));
    expect(lines).toHaveLength(1);
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect(error).toMatchObject({ failure: "UNEXPECTED_VALUE" });
  });

  it("propagates a malformed line from the NDJSON stage", async () => {
    const { lines, error } = await read(body(TOKEN_1, "{oops\n", DONE));
    expect(lines).toHaveLength(1);
    expect(error).toMatchObject({ failure: "MALFORMED_LINE" });
  });

  it("applies maxLineBytes", async () => {
    const lines: OllamaStreamLine[] = [];
    const run = async (): Promise<void> => {
      for await (const batch of readOllamaBatches(body(TOKEN_1, `{"response":"${"x".repeat(64)}"}\n`, DONE), 48)) lines.push(...batch);
    };
    await expect(run()).rejects.toMatchObject({ failure: "LINE_TOO_LONG" });
    expect(lines).toHaveLength(1);
  });

  // The answer is complete once done arrives; the reader drains the rest of the body only to recycle the
  // connection, so whatever follows must not turn a finished answer into a failure (the relay would answer
  // UNAVAILABLE / UPSTREAM_STREAM_INTERRUPTED after the client already received its final message).
  it("ignores an error line that follows done", async () => {
    const { lines, error } = await read(body(TOKEN_1, DONE, '{"error":"late"}\n'));
    expect(lines).toHaveLength(2);
    expect(error).toBeUndefined();
  });

  it("ignores a connection reset while draining after done", async () => {
    async function* resetAfterDone(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(TOKEN_1 + DONE);
      throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    }
    const { lines, error } = await read(resetAfterDone());
    expect(lines).toHaveLength(2);
    expect(error).toBeUndefined();
  });

  it("ignores a non-object line that follows done", async () => {
    const { lines, error } = await read(body(TOKEN_1, DONE, "[1]\n"));
    expect(lines).toHaveLength(2);
    expect(error).toBeUndefined();
  });
});
