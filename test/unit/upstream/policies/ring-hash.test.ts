import { describe, expect, it } from "vitest";
import { buildRing, MAXIMUM_RING_SIZE, RingHashPolicy, ringHashPolicyFactory, type RingHashConfig } from "../../../../src/upstream/policies/ring-hash.js";
import type { EndpointView, Policy } from "../../../../src/upstream/types.js";
import { deps, endpoint, keyed, mulberry32, outcome, plain, sequence, shares, weighted } from "./fixtures.js";

function ringHash(config: Partial<RingHashConfig> = {}, seed = 5): RingHashPolicy {
  return new RingHashPolicy({ minimumRingSize: 1024, overflow: "next", ...config }, mulberry32(seed));
}

function fleet(count: number, weight = (_: number) => 1): EndpointView[] {
  return Array.from({ length: count }, (_, i) => endpoint(`ollama-${i}`, { weight: weight(i) }));
}

const KEYS = Array.from({ length: 10_000 }, (_, i) => `session-${i}`);

/** Owner of every key when all `candidates` are ready. */
function owners(policy: Policy, candidates: readonly EndpointView[], keys = KEYS): string[] {
  return keys.map((key) => outcome(policy.choose(candidates, candidates, keyed(key))));
}

describe("ring_hash (consistent hashing on the affinity key)", () => {
  it("sends a key to the same endpoint every time, across new arrays in any order", () => {
    const policy = ringHash();
    const first = outcome(policy.choose(fleet(5), fleet(5), keyed("user-42")));
    const reversed = fleet(5).reverse();
    for (let i = 0; i < 20; i++) expect(outcome(policy.choose(reversed, reversed, keyed("user-42")))).toBe(first);
    // A different policy instance (another gateway replica) agrees: the ring is a pure function of the fleet.
    expect(outcome(ringHash({}, 99).choose(fleet(5), fleet(5), keyed("user-42")))).toBe(first);
  });

  const spreads: Array<{ name: string; endpoints: EndpointView[]; expected: Record<string, number> }> = [
    { name: "4 equal endpoints", endpoints: fleet(4), expected: { "ollama-0": 25, "ollama-1": 25, "ollama-2": 25, "ollama-3": 25 } },
    { name: "weights 1:2:3", endpoints: fleet(3, (i) => i + 1), expected: { "ollama-0": 100 / 6, "ollama-1": 100 / 3, "ollama-2": 50 } },
  ];

  it.each(spreads)("spreads 10k keys within 3 points of the weights: $name", ({ endpoints, expected }) => {
    const result = shares(owners(ringHash(), endpoints));
    for (const [name, share] of Object.entries(expected)) expect(Math.abs(result[name]! - share)).toBeLessThan(3);
  });

  const changes: Array<{ name: string; before: EndpointView[]; after: EndpointView[]; changed: string }> = [
    { name: "5 -> 6 (join)", before: fleet(5), after: fleet(6), changed: "ollama-5" },
    { name: "10 -> 11 (join)", before: fleet(10), after: fleet(11), changed: "ollama-10" },
    { name: "6 -> 5 (leave)", before: fleet(6), after: fleet(5), changed: "ollama-5" },
    { name: "weighted 1..4, join weight 2", before: fleet(6, (i) => 1 + (i % 4)), after: [...fleet(6, (i) => 1 + (i % 4)), endpoint("ollama-6", { weight: 2 })], changed: "ollama-6" },
  ];

  /** Affinity is the point of the policy: one endpoint joining or leaving must not reshuffle the rest. */
  it.each(changes)("moves only the changed endpoint's share of keys: $name", ({ before, after, changed }) => {
    const policy = ringHash();
    const old = owners(policy, before);
    const now = owners(policy, after);
    const moved = KEYS.filter((_, i) => old[i] !== now[i]);
    const joined = after.length > before.length;
    const share = (joined ? after : before).find((e) => e.name === changed)!.weight / (joined ? after : before).reduce((sum, e) => sum + e.weight, 0);
    expect(Math.abs(moved.length / KEYS.length - share)).toBeLessThan(0.03);
    // Every moved key moved to (join) or from (leave) the changed endpoint; none moved between the others.
    for (let i = 0; i < KEYS.length; i++) {
      if (old[i] !== now[i]) expect(joined ? now[i] : old[i]).toBe(changed);
    }
  });

  it("overflow next: a busy owner hands the key to the next endpoint clockwise, the same one as if the owner had left", () => {
    const policy = ringHash({ overflow: "next" });
    const all = fleet(5);
    for (const key of KEYS.slice(0, 500)) {
      const owner = outcome(policy.choose(all, all, keyed(key)));
      const others = all.filter((e) => e.name !== owner);
      const overflow = outcome(policy.choose(others, all, keyed(key)));
      expect(overflow).not.toBe(owner);
      expect(overflow).toBe(outcome(policy.choose(others, others, keyed(key))));
    }
  });

  it("overflow next: walks past several busy endpoints", () => {
    const policy = ringHash();
    const all = fleet(5);
    const onlyLast = [all[4]!];
    for (const key of KEYS.slice(0, 50)) expect(outcome(policy.choose(onlyLast, all, keyed(key)))).toBe("ollama-4");
  });

  it("overflow queue: waits for a busy owner and picks it when it is ready", () => {
    const policy = ringHash({ overflow: "queue" });
    const all = fleet(5);
    const owner = outcome(policy.choose(all, all, keyed("user-7")));
    const others = all.filter((e) => e.name !== owner);
    expect(outcome(policy.choose(others, all, keyed("user-7")))).toBe("queue");
    expect(outcome(policy.choose(all, all, keyed("user-7")))).toBe(owner);
  });

  it("without an affinity key, picks weighted random among ready (1:2:3 within 2 points)", () => {
    const result = shares(sequence(ringHash({}, 11), 10_000, weighted(["a", "b", "c"], [1, 2, 3])));
    expect(Math.abs(result.a! - 100 / 6)).toBeLessThan(2);
    expect(Math.abs(result.b! - 100 / 3)).toBeLessThan(2);
    expect(Math.abs(result.c! - 50)).toBeLessThan(2);
  });

  it("ignores the request's exclusions (the caller already removed them from the candidates)", () => {
    const policy = ringHash();
    const all = fleet(3);
    const owner = outcome(policy.choose(all, all, keyed("k")));
    expect(outcome(policy.choose(all, all, { affinityKey: "k", exclude: new Set([owner]) }))).toBe(owner);
  });

  const sizes: Array<{ name: string; weights: number[]; minimum: number; points: number[] }> = [
    { name: "equal weights: minimum_ring_size each", weights: [1, 1, 1], minimum: 100, points: [100, 100, 100] },
    { name: "proportional to weight", weights: [1, 2, 3], minimum: 100, points: [100, 200, 300] },
    { name: "unit is the lightest weight rounded down to a power of two", weights: [3, 6], minimum: 100, points: [150, 300] },
    { name: "fractional weights", weights: [0.5, 0.75], minimum: 64, points: [64, 96] },
    { name: "at least one point each", weights: [1, 1], minimum: 1, points: [1, 1] },
  ];

  it.each(sizes)("ring size: $name", ({ weights, minimum, points }) => {
    const ring = buildRing(weighted(["a", "b", "c"].slice(0, weights.length), weights), minimum);
    expect(ring.names).toEqual(["a", "b", "c"].slice(0, weights.length));
    const counts = ring.names.map((_, owner) => ring.owners.filter((o) => o === owner).length);
    expect(counts).toEqual(points);
    expect(ring.hashes.length).toBeGreaterThanOrEqual(minimum);
    for (let i = 1; i < ring.hashes.length; i++) expect(ring.hashes[i]!).toBeGreaterThanOrEqual(ring.hashes[i - 1]!);
  });

  it("caps the ring at the maximum size, keeping proportions", () => {
    const ring = buildRing(weighted(["a", "b"], [1, 3]), 1000, 400);
    const counts = ring.names.map((_, owner) => ring.owners.filter((o) => o === owner).length);
    expect(counts).toEqual([100, 300]);
    expect(MAXIMUM_RING_SIZE).toBe(8_388_608);
  });

  it("is built by its factory with parsed defaults", () => {
    const config = ringHashPolicyFactory.parseConfig({});
    expect(config).toEqual({ minimumRingSize: 1024, overflow: "next" });
    const policy = ringHashPolicyFactory.create(ringHashPolicyFactory.parseConfig({ overflow: "queue", minimum_ring_size: 64 }), deps(1));
    expect(policy.name).toBe("ring_hash");
    expect(outcome(policy.choose([], fleet(2), keyed("k")))).toBe("queue");
    expect(outcome(policy.choose(fleet(1), fleet(1), plain))).toBe("ollama-0");
  });
});
