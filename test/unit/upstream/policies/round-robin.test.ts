import { describe, expect, it } from "vitest";
import { RoundRobinPolicy, roundRobinPolicyFactory } from "../../../../src/upstream/policies/round-robin.js";
import { endpoint, outcome, plain, sequence, shares, weighted } from "./fixtures.js";

describe("round_robin (smooth weighted round robin)", () => {
  const cases: Array<{ name: string; weights: number[]; expected: string }> = [
    { name: "nginx's example 5:1:1", weights: [5, 1, 1], expected: "a a b a c a a  a a b a c a a" },
    { name: "equal weights rotate", weights: [1, 1, 1], expected: "a b c a b c a b c" },
    { name: "2:1 interleaves", weights: [2, 1], expected: "a b a a b a" },
    { name: "1:2 favours the heavier", weights: [1, 2], expected: "b a b b a b" },
    { name: "ties go to the earlier endpoint", weights: [1, 1], expected: "a b a b" },
    { name: "one endpoint", weights: [3], expected: "a a a" },
    { name: "fractional weights", weights: [0.5, 0.25, 0.25], expected: "a b c a  a b c a" },
  ];

  it.each(cases)("$name: $expected", ({ weights, expected }) => {
    const names = expected.split(/\s+/);
    const ready = weighted(["a", "b", "c"].slice(0, weights.length), weights);
    expect(sequence(new RoundRobinPolicy(), names.length, ready)).toEqual(names);
  });

  it("gives exact shares over whole cycles (1:2:3, 6000 picks)", () => {
    const picks = sequence(new RoundRobinPolicy(), 6000, weighted(["a", "b", "c"], [1, 2, 3]));
    const counts = Object.fromEntries(["a", "b", "c"].map((name) => [name, picks.filter((pick) => pick === name).length]));
    expect(counts).toEqual({ a: 1000, b: 2000, c: 3000 });
  });

  it("keeps weighted shares within 2 points over 10k picks (1:2:3)", () => {
    const result = shares(sequence(new RoundRobinPolicy(), 10_000, weighted(["a", "b", "c"], [1, 2, 3])));
    expect(Math.abs(result.a! - 100 / 6)).toBeLessThan(2);
    expect(Math.abs(result.b! - 100 / 3)).toBeLessThan(2);
    expect(Math.abs(result.c! - 50)).toBeLessThan(2);
  });

  /** A balancer publishes a new picker with fresh view objects on every change: the rotation must not restart. */
  it("continues the sequence across picker swaps (new arrays, same names)", () => {
    const policy = new RoundRobinPolicy();
    const picks: string[] = [];
    for (let swap = 0; swap < 7; swap++) {
      const ready = weighted(["a", "b", "c"], [5, 1, 1]).map((view) => endpoint(view.name, { weight: view.weight, inFlight: swap }));
      picks.push(outcome(policy.choose(ready, [...ready], plain)));
    }
    expect(picks.join(" ")).toBe("a a b a c a a");
  });

  it("skips an endpoint without a free slot and keeps its turn for later", () => {
    const policy = new RoundRobinPolicy();
    const all = weighted(["a", "b", "c"], [1, 1, 1]);
    const withoutB = [all[0]!, all[2]!];
    const picks = [
      outcome(policy.choose(all, all, plain)),
      outcome(policy.choose(withoutB, all, plain)),
      outcome(policy.choose(withoutB, all, plain)),
      ...sequence(policy, 3, all),
    ];
    // As in nginx: b's value is frozen while it is busy (a and c share the picks; a, just
    // picked against three, is behind c), and b, owed a turn, gets it as soon as it is back.
    expect(picks.join(" ")).toBe("a c c b a c");
  });

  it("lets a joining endpoint start at zero without disturbing the others' order", () => {
    const policy = new RoundRobinPolicy();
    const before = sequence(policy, 2, weighted(["a", "b"], [1, 1]));
    const after = sequence(policy, 6, weighted(["a", "b", "c"], [1, 1, 1]));
    expect([...before, ...after].join(" ")).toBe("a b a b c a b c");
  });

  it("applies a weight change from the next pick", () => {
    const policy = new RoundRobinPolicy();
    const first = sequence(policy, 2, weighted(["a", "b"], [1, 1]));
    const later = sequence(policy, 4, weighted(["a", "b"], [3, 1]));
    expect([...first, ...later].join(" ")).toBe("a b a a b a");
  });

  it("degrades to rotation when no weight is usable", () => {
    expect(sequence(new RoundRobinPolicy(), 4, weighted(["a", "b"], [0, Number.NaN]))).toEqual(["a", "b", "a", "b"]);
  });

  it("is built by its factory with no config", () => {
    const policy = roundRobinPolicyFactory.create(roundRobinPolicyFactory.parseConfig({}), { random: Math.random, costs: { loadMs: () => 0, serviceMs: () => 0 } });
    expect(policy.name).toBe("round_robin");
    expect(sequence(policy, 3, weighted(["a", "b"], [2, 1]))).toEqual(["a", "b", "a"]);
  });
});
