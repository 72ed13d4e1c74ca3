import { describe, expect, it } from "vitest";
import { GenerateResponse } from "../../../gen/ollama/v1/ollama.js";
import { countNewlines, decodeSpec, encodeSpec, LineSplitter, stampOfLine, stampOfMessage } from "../../../bench/relay/wire.js";

describe("stream spec in the prompt", () => {
  const cases = [
    { tokens: 5, rate: 0, firstMs: 50 },
    { tokens: 1_000_000_000, rate: 30, firstMs: 0 },
    { tokens: 1, rate: 6, firstMs: 600_000 },
    { tokens: 30, rate: 0.5, firstMs: 12.5 },
  ];
  it.each(cases)("round-trips %o", (spec) => {
    expect(decodeSpec(encodeSpec(spec))).toEqual(spec);
  });

  it("falls back to 16 unpaced tokens without delay", () => {
    expect(decodeSpec("hello")).toEqual({ tokens: 16, rate: 0, firstMs: 0 });
    expect(decodeSpec("bench tokens=x rate=2")).toEqual({ tokens: 16, rate: 2, firstMs: 0 });
  });
});

describe("stampOfLine", () => {
  const cases: Array<[string, number | undefined]> = [
    ['{"model":"bench:latest","created_at":"2026-01-01T00:00:00Z","response":"10324853315","done":false}', 10324853315],
    ['{"model":"m","response":"","done":true}', undefined],
    ['{"model":"m","message":{"content":"123"}}', undefined],
    ['{"response":"42abc"}', 42],
  ];
  it.each(cases)("%s -> %s", (line, stamp) => {
    expect(stampOfLine(Buffer.from(line))).toBe(stamp);
  });
});

describe("stampOfMessage", () => {
  it("reads response and done from a ts-proto encoded GenerateResponse", () => {
    const token = GenerateResponse.encode(GenerateResponse.fromPartial({ model: "bench:latest", createdAt: new Date(), response: "98765432101", thinking: "x" })).finish();
    expect(stampOfMessage(Buffer.from(token))).toEqual({ stamp: 98765432101, done: false });
    const final = GenerateResponse.encode(
      GenerateResponse.fromPartial({ model: "bench:latest", done: true, doneReason: "stop", usage: { promptEvalCount: 8, evalCount: 300 }, backend: "b1", context: [1, 2, 3] }),
    ).finish();
    expect(stampOfMessage(Buffer.from(final))).toEqual({ stamp: undefined, done: true });
  });

  it("throws on a truncated message", () => {
    const token = Buffer.from(GenerateResponse.encode(GenerateResponse.fromPartial({ model: "bench:latest", response: "12345" })).finish());
    expect(() => stampOfMessage(token.subarray(0, token.length - 2))).toThrow(/truncated/);
  });
});

describe("LineSplitter", () => {
  it("joins lines split across chunks and keeps the tail", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line.toString()));
    expect(splitter.push(Buffer.from('{"a":1}\n{"b"'))).toBe(1);
    expect(splitter.push(Buffer.from(":2}\n"))).toBe(1);
    expect(splitter.push(Buffer.from("x\ny\nz"))).toBe(2);
    expect(splitter.push(Buffer.from("z\n"))).toBe(1);
    expect(lines).toEqual(['{"a":1}', '{"b":2}', "x", "y", "zz"]);
  });

  it("counts newlines", () => {
    expect(countNewlines(Buffer.from("a\nb\n\nc"))).toBe(3);
    expect(countNewlines(Buffer.alloc(0))).toBe(0);
  });
});
