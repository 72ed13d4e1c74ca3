/**
 * Building a ring hashes every point, so it must happen only when the
 * candidate set (names and weights) is new: counted through the hash calls.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { RingHashPolicy } from "../../../../src/upstream/policies/ring-hash.js";
import { endpoint, keyed, mulberry32 } from "./fixtures.js";

const hashCalls = vi.hoisted(() => ({ count: 0 }));

vi.mock("../../../../src/upstream/policies/xxhash32.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../../../src/upstream/policies/xxhash32.js")>();
  return {
    ...original,
    xxhash32String: (text: string, seed?: number) => {
      hashCalls.count++;
      return original.xxhash32String(text, seed);
    },
  };
});

const fleet = (weights: readonly number[]) => weights.map((weight, i) => endpoint(`e${i}`, { weight }));

describe("ring_hash ring cache", () => {
  beforeEach(() => {
    hashCalls.count = 0;
  });

  // Each step: the candidates, and the hash calls it should cost (points built + 1 for the key).
  const steps: Array<{ name: string; weights: number[]; calls: number }> = [
    { name: "first set builds", weights: [1, 1], calls: 2 * 64 + 1 },
    { name: "same set, new objects: cached", weights: [1, 1], calls: 1 },
    { name: "weight change rebuilds", weights: [1, 2], calls: 3 * 64 + 1 },
    { name: "endpoint joins: rebuilds", weights: [1, 2, 1], calls: 4 * 64 + 1 },
    { name: "earlier set still cached", weights: [1, 1], calls: 1 },
  ];

  it("rebuilds only for new names or weights", () => {
    const policy = new RingHashPolicy({ minimumRingSize: 64, overflow: "next" }, mulberry32(1));
    const observed = steps.map(({ weights }) => {
      hashCalls.count = 0;
      const candidates = fleet(weights);
      policy.choose(candidates, candidates, keyed("k"));
      return hashCalls.count;
    });
    expect(observed).toEqual(steps.map((step) => step.calls));
  });

  it("keeps at most 8 rings, evicting the least recently used", () => {
    const policy = new RingHashPolicy({ minimumRingSize: 16, overflow: "next" }, mulberry32(1));
    const sets = Array.from({ length: 9 }, (_, i) => fleet([1, i + 1]));
    for (const set of sets) policy.choose(set, set, keyed("k"));
    hashCalls.count = 0;
    policy.choose(sets[8]!, sets[8]!, keyed("k"));
    expect(hashCalls.count).toBe(1);
    policy.choose(sets[0]!, sets[0]!, keyed("k"));
    expect(hashCalls.count).toBeGreaterThan(2);
  });
});
