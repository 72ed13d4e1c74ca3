import { describe, expect, it } from "vitest";
import { KEEP_FOREVER, parseGoDuration, parseKeepAlive } from "../../../src/ollama/keep-alive.js";

describe("parseGoDuration", () => {
  const valid: Array<[string, number]> = [
    ["0", 0],
    ["-0", 0],
    ["0s", 0],
    ["300ms", 300e6],
    ["5m", 300e9],
    ["1h30m", 5400e9],
    ["1.5h", 5400e9],
    [".5s", 500e6],
    ["5.s", 5e9],
    ["+2s", 2e9],
    ["-1m", -60e9],
    ["1µs", 1e3],
    ["1us", 1e3],
    ["7ns", 7],
    ["2h45m30.5s", 9930.5e9],
  ];
  it.each(valid)("parses %j", (input, ns) => {
    expect(parseGoDuration(input)).toEqual({ ok: true, value: ns });
  });

  const invalid: Array<[string, string]> = [
    ["3600", 'time: missing unit in duration "3600"'],
    ["", 'time: invalid duration ""'],
    ["abc", 'time: invalid duration "abc"'],
    ["-", 'time: invalid duration "-"'],
    [".s", 'time: invalid duration ".s"'],
    ["1x", 'time: unknown unit "x" in duration "1x"'],
    ["1h-5m", 'time: unknown unit "h-" in duration "1h-5m"'],
    ["1 h", 'time: unknown unit " h" in duration "1 h"'],
    ["1h30", 'time: missing unit in duration "1h30"'],
    ["99999999999h", 'time: invalid duration "99999999999h"'],
  ];
  it.each(invalid)("rejects %j with Go's message", (input, message) => {
    expect(parseGoDuration(input)).toEqual({ ok: false, message });
  });
});

describe("parseKeepAlive", () => {
  const cases: Array<[unknown, ReturnType<typeof parseKeepAlive>]> = [
    [undefined, { ok: true, value: undefined }],
    [null, { ok: true, value: undefined }],
    ["5m", { ok: true, value: 300_000 }],
    ["0", { ok: true, value: 0 }],
    ["-1m", { ok: true, value: KEEP_FOREVER }],
    [30, { ok: true, value: 30_000 }],
    [1.5, { ok: true, value: 1_500 }],
    [0, { ok: true, value: 0 }],
    [-1, { ok: true, value: KEEP_FOREVER }],
    ["3600", { ok: false, message: 'time: missing unit in duration "3600"' }],
    [true, { ok: false, message: "Unsupported type: 'bool'" }],
    [[1], { ok: false, message: "Unsupported type: '[]interface {}'" }],
    [{ a: 1 }, { ok: false, message: "Unsupported type: 'map[string]interface {}'" }],
  ];
  it.each(cases)("maps %j", (input, expected) => {
    expect(parseKeepAlive(input)).toEqual(expected);
  });
});
