import { describe, expect, it } from "vitest";
import { latencySummary, percentile, SampleBuffer, sortedOf, spread } from "../../../bench/relay/stats.js";

describe("percentile (nearest rank)", () => {
  const hundred = sortedOf(Array.from({ length: 100 }, (_, i) => i + 1));
  const cases: Array<[ArrayLike<number>, number, number]> = [
    [hundred, 50, 50],
    [hundred, 90, 90],
    [hundred, 99, 99],
    [hundred, 99.9, 100],
    [hundred, 100, 100],
    [hundred, 0, 1],
    [[7], 99, 7],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 51, 3],
  ];
  it.each(cases)("%#: p%s", (sorted, p, expected) => {
    expect(percentile(sorted, p)).toBe(expected);
  });

  it("is NaN for no samples", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(latencySummary(new Float64Array(0))).toMatchObject({ n: 0, p50: Number.NaN, max: Number.NaN });
  });

  it("summarises a latency distribution", () => {
    expect(latencySummary(sortedOf([5, 1, 3, 2, 4]))).toEqual({ n: 5, p50: 3, p90: 5, p99: 5, p999: 5, max: 5 });
  });
});

describe("spread over repetitions", () => {
  const cases: Array<[number[], { min: number; median: number; max: number; n: number }]> = [
    [[3, 1, 2], { min: 1, median: 2, max: 3, n: 3 }],
    [[10], { min: 10, median: 10, max: 10, n: 1 }],
    [[4, 2], { min: 2, median: 2, max: 4, n: 2 }],
    [[Number.NaN, 5, 7, Number.NaN], { min: 5, median: 5, max: 7, n: 2 }],
    [[1, Infinity, 2], { min: 1, median: 2, max: Infinity, n: 3 }],
  ];
  it.each(cases)("%o", (values, expected) => {
    expect(spread(values)).toEqual(expected);
  });

  it("is all NaN when nothing was measured", () => {
    expect(spread([Number.NaN])).toEqual({ min: Number.NaN, median: Number.NaN, max: Number.NaN, n: 0 });
  });
});

describe("SampleBuffer", () => {
  it("grows past its capacity and sorts a copy", () => {
    const buffer = new SampleBuffer(16);
    for (let i = 40; i > 0; i--) buffer.push(i / 2);
    expect(buffer.length).toBe(40);
    const sorted = buffer.sorted();
    expect(sorted[0]).toBe(0.5);
    expect(sorted[39]).toBe(20);
    expect([...sorted]).toEqual([...sorted].sort((a, b) => a - b));
  });
});
