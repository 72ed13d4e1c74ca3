import { describe, expect, it } from "vitest";
import { pickWeighted, sampleWeighted, unitInterval, weightsOf } from "../../../../src/upstream/policies/weighted-sampling.js";
import { mulberry32 } from "./fixtures.js";

const items = (weights: readonly number[]) => weights.map((weight, i) => ({ weight, id: String.fromCharCode(97 + i) }));

describe("weighted sampling helpers", () => {
  const weightCases: Array<[string, number[], number[]]> = [
    ["usable weights kept", [1, 2.5], [1, 2.5]],
    ["unusable weights count as 0", [1, 0, -1, Number.NaN, Number.POSITIVE_INFINITY], [1, 0, 0, 0, 0]],
    ["none usable: uniform", [0, Number.NaN], [1, 1]],
    ["empty", [], []],
  ];

  it.each(weightCases)("weightsOf: %s", (_, weights, expected) => {
    expect(weightsOf(items(weights))).toEqual(expected);
  });

  // A scripted random() picks exact points of the cumulative weights [0, 1) [1, 3) [3, 6) scaled to [0, 1).
  const pickCases: Array<[number, string]> = [
    [0, "a"],
    [0.16, "a"],
    [0.17, "b"],
    [0.49, "b"],
    [0.5, "c"],
    [0.999_999, "c"],
    [1, "c"],
    [Number.NaN, "a"],
    [-3, "a"],
  ];

  it.each(pickCases)("pickWeighted with random() = %d -> %s", (value, expected) => {
    expect(pickWeighted(items([1, 2, 3]), () => value)?.id).toBe(expected);
  });

  it("pickWeighted of nothing is undefined", () => {
    expect(pickWeighted([], () => 0.5)).toBeUndefined();
  });

  it("pickWeighted never returns a zero-weight item when others are usable", () => {
    const list = items([0, 1, 0]);
    for (const value of [0, 0.3, 0.99, 1]) expect(pickWeighted(list, () => value)?.id).toBe("b");
  });

  it("sampleWeighted draws distinct items, at most the usable ones", () => {
    const random = mulberry32(5);
    for (let i = 0; i < 200; i++) {
      const sample = sampleWeighted(items([1, 2, 3, 4]), 3, random).map((item) => item.id);
      expect(new Set(sample).size).toBe(3);
    }
    expect(sampleWeighted(items([1, 2]), 5, random)).toHaveLength(2);
    expect(sampleWeighted(items([1, 0]), 2, random).map((item) => item.id)).toEqual(["a"]);
  });

  it("sampleWeighted's first draw is a weighted pick (1:3 within 2 points over 10k)", () => {
    const random = mulberry32(8);
    let first = 0;
    for (let i = 0; i < 10_000; i++) if (sampleWeighted(items([1, 3]), 2, random)[0]!.id === "b") first++;
    expect(Math.abs(first / 100 - 75)).toBeLessThan(2);
  });

  it.each([
    [0.25, 0.25],
    [1, 1 - Number.EPSILON],
    [7, 1 - Number.EPSILON],
    [Number.NaN, 0],
    [-0.5, 0],
  ])("unitInterval(%d) = %d", (value, expected) => {
    expect(unitInterval(() => value)).toBe(expected);
  });
});
