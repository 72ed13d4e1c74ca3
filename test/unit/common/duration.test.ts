import { describe, expect, it } from "vitest";
import { formatDurationMs, parseDurationMs } from "../../../src/common/duration.js";

describe("parseDurationMs", () => {
  const valid: Array<[string, number]> = [
    ["0", 0],
    [" 0 ", 0],
    ["250ms", 250],
    ["0ms", 0],
    ["30s", 30_000],
    ["0.5s", 500],
    ["1.5s", 1_500],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1.5h", 5_400_000],
    ["1h30m", 5_400_000],
    ["1m30s", 90_000],
    ["2h3m4s5ms", 7_384_005],
    ["1s500ms", 1_500],
    ["24h", 86_400_000],
    ["-5s", -5_000],
    ["  10m  ", 600_000],
  ];

  it.each(valid)("%j -> %d ms", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  const invalid = ["", " ", "-", "5", "5 minutes", "5 m", "1d", "5MS", "5sec", "ms", "1m1", "abc", "5µs", "1e3ms", "10s-"];

  it.each(invalid)("%j -> undefined", (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe("formatDurationMs", () => {
  const cases: Array<[number, string]> = [
    [0, "0ms"],
    [250, "250ms"],
    [999, "999ms"],
    [1_000, "1s"],
    [1_500, "1.5s"],
    [30_000, "30s"],
    [60_000, "1m"],
    [90_000, "1.5m"],
    [3_600_000, "1h"],
    [5_400_000, "1.5h"],
    [86_400_000, "24h"],
    [Number.POSITIVE_INFINITY, "none"],
    [Number.NaN, "none"],
  ];

  it.each(cases)("%d ms -> %j", (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
  });

  // What the gateway logs must read back as the same duration in a config file.
  it.each([0, 250, 1_500, 30_000, 90_000, 600_000, 5_400_000, 86_400_000])("round-trips %d ms through parseDurationMs", (ms) => {
    expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
  });
});
