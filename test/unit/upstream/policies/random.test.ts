import { describe, expect, it } from "vitest";
import { RandomPolicy, randomPolicyFactory } from "../../../../src/upstream/policies/random.js";
import { deps, mulberry32, outcome, plain, sequence, shares, weighted } from "./fixtures.js";

describe("random (weighted)", () => {
  const cases: Array<{ name: string; weights: number[]; expected: number[] }> = [
    { name: "1:2:3", weights: [1, 2, 3], expected: [100 / 6, 100 / 3, 50] },
    { name: "equal", weights: [1, 1, 1, 1], expected: [25, 25, 25, 25] },
    { name: "fractional 0.1:0.9", weights: [0.1, 0.9], expected: [10, 90] },
  ];

  it.each(cases)("shares over 10k picks are within 2 points of the weights: $name", ({ weights, expected }) => {
    const names = ["a", "b", "c", "d"].slice(0, weights.length);
    const result = shares(sequence(new RandomPolicy(mulberry32(2024)), 10_000, weighted(names, weights)));
    names.forEach((name, i) => expect(Math.abs((result[name] ?? 0) - expected[i]!)).toBeLessThan(2));
  });

  it("is reproducible with the same seed", () => {
    const ready = weighted(["a", "b", "c"], [1, 2, 3]);
    expect(sequence(new RandomPolicy(mulberry32(9)), 50, ready)).toEqual(sequence(new RandomPolicy(mulberry32(9)), 50, ready));
  });

  it("only ever picks from ready", () => {
    const candidates = weighted(["a", "b", "c"], [1, 1, 1]);
    const picks = new Set(sequence(new RandomPolicy(mulberry32(1)), 200, [candidates[1]!], candidates));
    expect([...picks]).toEqual(["b"]);
  });

  it("is built by its factory", () => {
    const policy = randomPolicyFactory.create(randomPolicyFactory.parseConfig({}), deps(3));
    expect(policy.name).toBe("random");
    expect(outcome(policy.choose(weighted(["a"], [1]), [], plain))).toBe("a");
  });
});
