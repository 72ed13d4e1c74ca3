import { describe, expect, it } from "vitest";
import { goBase64Error } from "../../../src/ollama/go-base64.js";
import { decodeGoJson } from "../../../src/ollama/go-json.js";
import { bindRequest } from "../../../src/ollama/request-binding.js";
import type { StructSpec } from "../../../src/ollama/request-binding.js";

describe("decodeGoJson", () => {
  const errors: Array<[string, string]> = [
    ["{", "unexpected EOF"],
    ['{"model":"x"', "unexpected EOF"],
    ["x", "invalid character 'x' looking for beginning of value"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
    ["{a:1}", "invalid character 'a' looking for beginning of object key string"],
    ["[1 2]", "invalid character '2' after array element"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":-}', "invalid character '}' in numeric literal"],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
    ['{"a":"\n"}', "invalid character '\\n' in string literal"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
  ];
  it.each(errors)("reports %j like Go", (input, message) => {
    expect(decodeGoJson(input)).toEqual({ kind: "error", message });
  });

  it("treats an empty or blank body as EOF", () => {
    expect(decodeGoJson("")).toEqual({ kind: "eof" });
    expect(decodeGoJson(" \n\t")).toEqual({ kind: "eof" });
  });

  it("reads only the first value, like json.Decoder", () => {
    expect(decodeGoJson('{"model":"x"} trailing')).toEqual({ kind: "ok", value: { model: "x" } });
  });
});

const SPEC: StructSpec = {
  goName: "GenerateRequest",
  fields: {
    model: "string",
    stream: "bool",
    top_logprobs: "int",
    images: "images",
    options: "map",
    keep_alive: "keepAlive",
    think: "think",
    context: "ints",
    messages: "messages",
  },
};

describe("bindRequest", () => {
  it("matches keys case-insensitively and ignores unknown keys and nulls", () => {
    expect(bindRequest('{"Model":"x","extra":1,"stream":null}', SPEC)).toEqual({ ok: true, value: { model: "x" } });
  });

  const failures: Array<[string, string]> = [
    ["", "missing request body"],
    ["[]", "json: cannot unmarshal array into Go value of type api.GenerateRequest"],
    ['{"model":5}', "json: cannot unmarshal number into Go struct field GenerateRequest.model of type string"],
    ['{"stream":"yes"}', "json: cannot unmarshal string into Go struct field GenerateRequest.stream of type bool"],
    ['{"top_logprobs":1.5}', "json: cannot unmarshal number 1.5 into Go struct field GenerateRequest.top_logprobs of type int"],
    ['{"options":[]}', "json: cannot unmarshal array into Go struct field GenerateRequest.options of type map[string]interface {}"],
    ['{"context":["a"]}', "json: cannot unmarshal string into Go struct field GenerateRequest.context of type int"],
    ['{"images":["data:image/png;base64,AAAA"]}', "illegal base64 data at input byte 4"],
    ['{"keep_alive":"3600"}', 'time: missing unit in duration "3600"'],
    ['{"keep_alive":true}', "Unsupported type: 'bool'"],
    ['{"think":"extreme"}', 'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)'],
    ['{"think":1}', 'think must be a boolean or string ("high", "medium", "low", "max", true, or false)'],
    ['{"messages":[{"role":"user","content":3}]}', "json: cannot unmarshal number into Go struct field Alias.content of type string"],
    ['{"messages":[{"role":"user","images":["!!!!"]}]}', "illegal base64 data at input byte 0"],
  ];
  it.each(failures)("rejects %j", (body, message) => {
    expect(bindRequest(body, SPEC)).toEqual({ ok: false, message });
  });

  it("lets an unmarshaler error win over an earlier type error", () => {
    expect(bindRequest('{"model":5,"keep_alive":"x"}', SPEC)).toEqual({ ok: false, message: 'time: invalid duration "x"' });
  });

  it("lower-cases message roles", () => {
    const result = bindRequest('{"messages":[{"role":"USER","content":"hi"}]}', SPEC);
    expect(result).toEqual({ ok: true, value: { messages: [{ role: "user", content: "hi" }] } });
  });
});

describe("goBase64Error", () => {
  const cases: Array<[string, string | undefined]> = [
    ["aGVsbG8=", undefined],
    ["aGVs\nbG8=", undefined],
    ["", undefined],
    ["aGVsbG8", "illegal base64 data at input byte 4"],
    ["data:image/png;base64,AAAA", "illegal base64 data at input byte 4"],
    ["a===", "illegal base64 data at input byte 1"],
    ["aG=", "illegal base64 data at input byte 3"],
    ["aG==x", "illegal base64 data at input byte 4"],
    ["aG-_", "illegal base64 data at input byte 2"],
    // Inputs the native fast path must not accept: padding in the wrong place or in excess.
    ["====", "illegal base64 data at input byte 0"],
    ["AA=A", "illegal base64 data at input byte 2"],
    ["AAA=AAA=", "illegal base64 data at input byte 4"],
    ["AAA=", undefined],
  ];
  it.each(cases)("checks %j", (input, message) => {
    expect(goBase64Error(input)).toBe(message);
  });
});
