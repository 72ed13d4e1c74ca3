import { describe, expect, it } from "vitest";
import { builtinPolicyFactories, createPolicyRegistry } from "../../../../src/upstream/policies/registry.js";
import type { PolicyFactory, PickRequest } from "../../../../src/upstream/types.js";
import { deps, endpoint, frozen, keyed, outcome, plain, weighted } from "./fixtures.js";

const registry = createPolicyRegistry();

describe("createPolicyRegistry", () => {
  it("has the built-in policies by name", () => {
    expect(registry.names()).toEqual(["round_robin", "least_request", "ring_hash", "random"]);
    for (const name of registry.names()) expect(registry.get(name)?.name).toBe(name);
    expect(registry.get("maglev")).toBeUndefined();
  });

  it("adds extra factories and keeps registries independent", () => {
    const ollama: PolicyFactory = { name: "ollama", parseConfig: () => ({}), create: () => ({ name: "ollama", choose: () => ({ kind: "queue" }) }) };
    const extended = createPolicyRegistry([ollama]);
    expect(extended.names()).toEqual(["round_robin", "least_request", "ring_hash", "random", "ollama"]);
    expect(extended.get("ollama")).toBe(ollama);
    expect(createPolicyRegistry().get("ollama")).toBeUndefined();
  });

  it("rejects two factories with one name", () => {
    const clash: PolicyFactory = { ...builtinPolicyFactories[0]!, parseConfig: () => ({}) };
    expect(() => createPolicyRegistry([clash])).toThrow('policy registry: duplicate policy name "round_robin"');
  });
});

describe("every built-in policy", () => {
  const names = registry.names();
  const requests: Array<[string, PickRequest]> = [
    ["no key", plain],
    ["affinity key", keyed("session-1")],
  ];

  describe.each(names)("%s", (name) => {
    const create = () => {
      const factory = registry.get(name)!;
      return factory.create(factory.parseConfig({}), deps(1));
    };

    it.each(requests)("queues when nothing is ready (%s)", (_, request) => {
      expect(create().choose([], weighted(["a", "b"], [1, 1]), request)).toEqual({ kind: "queue" });
      expect(create().choose([], [], request)).toEqual({ kind: "queue" });
    });

    it.each(requests)("picks the only ready endpoint (%s)", (_, request) => {
      const only = endpoint("a", { inFlight: 3 });
      const decision = create().choose([only], [only], request);
      expect(decision).toEqual({ kind: "pick", endpoint: only });
      if (decision.kind === "pick") expect(decision.endpoint).toBe(only);
    });

    it("never mutates the views and returns one of them (frozen, 200 picks)", () => {
      const candidates = frozen([endpoint("a", { weight: 2, inFlight: 1 }), endpoint("b", { inFlight: 2 }), endpoint("c", { weight: 3 })]);
      const ready = candidates.slice(0, 2);
      const policy = create();
      for (let i = 0; i < 200; i++) {
        const decision = policy.choose(ready, candidates, i % 2 === 0 ? plain : keyed(`k${i}`));
        if (decision.kind === "pick") expect(ready).toContain(decision.endpoint);
      }
    });

    it("tolerates unusable weights without throwing", () => {
      const odd = [endpoint("a", { weight: 0 }), endpoint("b", { weight: Number.NaN }), endpoint("c", { weight: -1 })];
      const policy = create();
      for (const request of [plain, keyed("k")]) expect(["a", "b", "c"]).toContain(outcome(policy.choose(odd, odd, request)));
    });
  });
});

describe("parseConfig", () => {
  const valid: Array<[string, Record<string, unknown>, unknown]> = [
    ["round_robin", {}, {}],
    ["random", {}, {}],
    ["least_request", { choice_count: 10, active_request_bias: 0 }, { choiceCount: 10, activeRequestBias: 0 }],
    ["least_request", { choice_count: "3", active_request_bias: "1.5" }, { choiceCount: 3, activeRequestBias: 1.5 }],
    ["ring_hash", { minimum_ring_size: 8_388_608, overflow: "queue" }, { minimumRingSize: 8_388_608, overflow: "queue" }],
    ["ring_hash", { minimum_ring_size: 1 }, { minimumRingSize: 1, overflow: "next" }],
  ];

  it.each(valid)("%s accepts %j", (name, raw, expected) => {
    expect(registry.get(name)!.parseConfig(raw)).toEqual(expected);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ["round_robin", { weights: [1] }, "round_robin.weights: unknown field, expected no fields"],
    ["random", { seed: 1 }, "random.seed: unknown field, expected no fields"],
    ["least_request", { choice_count: 1 }, "least_request.choice_count: expected an integer between 2 and 10, got 1"],
    ["least_request", { choice_count: 11 }, "least_request.choice_count: expected an integer between 2 and 10, got 11"],
    ["least_request", { choice_count: 2.5 }, "least_request.choice_count: expected an integer between 2 and 10, got 2.5"],
    ["least_request", { choice_count: "two" }, 'least_request.choice_count: expected an integer between 2 and 10, got "two"'],
    ["least_request", { choice_count: null }, "least_request.choice_count: expected an integer between 2 and 10, got null"],
    ["least_request", { active_request_bias: -0.5 }, "least_request.active_request_bias: expected a finite number >= 0, got -0.5"],
    ["least_request", { active_request_bias: "high" }, 'least_request.active_request_bias: expected a finite number >= 0, got "high"'],
    ["least_request", { active_request_bias: Number.POSITIVE_INFINITY }, "least_request.active_request_bias: expected a finite number >= 0, got Infinity"],
    ["least_request", { choiceCount: 3 }, "least_request.choiceCount: unknown field, expected one of choice_count, active_request_bias"],
    ["ring_hash", { minimum_ring_size: 0 }, "ring_hash.minimum_ring_size: expected an integer between 1 and 8388608, got 0"],
    ["ring_hash", { minimum_ring_size: 8_388_609 }, "ring_hash.minimum_ring_size: expected an integer between 1 and 8388608, got 8388609"],
    ["ring_hash", { minimum_ring_size: [1024] }, "ring_hash.minimum_ring_size: expected an integer between 1 and 8388608, got [1024]"],
    ["ring_hash", { overflow: "spill" }, 'ring_hash.overflow: expected one of next, queue, got "spill"'],
    ["ring_hash", { overflow: true }, "ring_hash.overflow: expected one of next, queue, got true"],
    ["ring_hash", { hash_key: "x" }, "ring_hash.hash_key: unknown field, expected one of minimum_ring_size, overflow"],
  ];

  it.each(invalid)("%s rejects %j", (name, raw, message) => {
    expect(() => registry.get(name)!.parseConfig(raw)).toThrow(new Error(message));
  });
});
