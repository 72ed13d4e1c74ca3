import { describe, expect, it } from "vitest";
import { LeastRequestPolicy, leastRequestPolicyFactory, type LeastRequestConfig } from "../../../../src/upstream/policies/least-request.js";
import type { EndpointView } from "../../../../src/upstream/types.js";
import { deps, endpoint, mulberry32, outcome, plain, sequence, shares } from "./fixtures.js";

function policy(config: Partial<LeastRequestConfig> = {}, seed = 7): LeastRequestPolicy {
  return new LeastRequestPolicy({ choiceCount: 2, activeRequestBias: 1, ...config }, mulberry32(seed));
}

/** Endpoints a, b, c... with the given in-flight counts and weights (default 1). */
function loaded(inFlight: readonly number[], weights: readonly number[] = []): EndpointView[] {
  return inFlight.map((count, i) => endpoint(String.fromCharCode(97 + i), { inFlight: count, weight: weights[i] ?? 1 }));
}

describe("least_request (power of two choices)", () => {
  it("picks the only ready endpoint without sampling, however loaded", () => {
    const random = () => {
      throw new Error("random() must not be called");
    };
    const only = loaded([3]);
    expect(outcome(new LeastRequestPolicy({ choiceCount: 2, activeRequestBias: 1 }, random).choose(only, loaded([0, 3]), plain))).toBe("a");
  });

  const deterministic: Array<{ name: string; inFlight: number[]; weights?: number[]; config?: Partial<LeastRequestConfig>; winner: string }> = [
    { name: "two endpoints: always the less loaded (distinct sample)", inFlight: [3, 0], winner: "b" },
    { name: "choice_count = fleet size: global least loaded", inFlight: [4, 2, 1, 3], config: { choiceCount: 4 }, winner: "c" },
    { name: "load per weight: 2 on weight 3 beats 1 on weight 1", inFlight: [2, 1], weights: [3, 1], winner: "a" },
    { name: "bias 1: 3 on weight 4 (0.75) beats 1 on weight 1 (1)", inFlight: [3, 1], weights: [4, 1], winner: "a" },
    { name: "bias 2: load counts more, 3 on weight 4 (3.75) loses to 1 on weight 1 (3)", inFlight: [3, 1], weights: [4, 1], config: { activeRequestBias: 2 }, winner: "b" },
    { name: "bias 1: 3 on weight 1 (3) beats 10 on weight 3 (3.33)", inFlight: [3, 10], weights: [1, 3], winner: "a" },
    { name: "bias 0.5: load counts less, 10 on weight 3 (0.77) beats 3 on weight 1 (1)", inFlight: [3, 10], weights: [1, 3], config: { activeRequestBias: 0.5 }, winner: "b" },
  ];

  it.each(deterministic)("$name", ({ inFlight, weights, config, winner }) => {
    const ready = loaded(inFlight, weights);
    const picks = new Set(sequence(policy(config), 200, ready));
    expect([...picks]).toEqual([winner]);
  });

  it("never picks the most loaded of three, and picks the least loaded whenever it is sampled (2/3)", () => {
    const result = shares(sequence(policy(), 10_000, loaded([0, 2, 4])));
    expect(result.c).toBeUndefined();
    expect(Math.abs(result.a! - 200 / 3)).toBeLessThan(2);
    expect(Math.abs(result.b! - 100 / 3)).toBeLessThan(2);
  });

  const weightedRandom: Array<{ name: string; inFlight: number[]; config?: Partial<LeastRequestConfig> }> = [
    { name: "idle fleet, bias 1", inFlight: [0, 0, 0] },
    { name: "loaded fleet, bias 0 (load ignored)", inFlight: [0, 5, 9], config: { activeRequestBias: 0 } },
    { name: "loaded fleet, bias 0, choice_count 3", inFlight: [9, 5, 0], config: { activeRequestBias: 0, choiceCount: 3 } },
  ];

  it.each(weightedRandom)("is weighted random (1:2:3 within 2 points over 10k picks): $name", ({ inFlight, config }) => {
    const result = shares(sequence(policy(config, 42), 10_000, loaded(inFlight, [1, 2, 3])));
    expect(Math.abs(result.a! - 100 / 6)).toBeLessThan(2);
    expect(Math.abs(result.b! - 100 / 3)).toBeLessThan(2);
    expect(Math.abs(result.c! - 50)).toBeLessThan(2);
  });

  it("moves traffic toward spare capacity as load builds (simulated arrivals, no departures)", () => {
    // Each pick adds one in-flight call to the chosen endpoint: load per weight should even out.
    const lr = policy({}, 3);
    const counts = [0, 0, 0];
    const weights = [1, 2, 3];
    for (let i = 0; i < 600; i++) {
      const decision = lr.choose(loaded(counts, weights), [], plain);
      if (decision.kind === "pick") counts[decision.endpoint.name.charCodeAt(0) - 97]! += 1;
    }
    const perWeight = counts.map((count, i) => count / weights[i]!);
    expect(Math.max(...perWeight) - Math.min(...perWeight)).toBeLessThan(10);
  });

  it("is built by its factory with parsed defaults", () => {
    const config = leastRequestPolicyFactory.parseConfig({});
    expect(config).toEqual({ choiceCount: 2, activeRequestBias: 1 });
    const lr = leastRequestPolicyFactory.create(config, deps(1));
    expect(lr.name).toBe("least_request");
    expect(outcome(lr.choose(loaded([5, 0]), loaded([5, 0]), plain))).toBe("b");
  });
});
