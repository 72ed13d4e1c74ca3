/** The model-aware ("ollama") policy: resident first, wait-versus-cold-load, least disturbance, affinity. */
import { describe, expect, it } from "vitest";
import { createModelAwarePolicy, modelAwarePolicyFactory } from "../../../../src/upstream/policies/model-aware.js";
import type { CostModel, EndpointView, PickRequest } from "../../../../src/upstream/types.js";
import { endpoint, mulberry32, outcome } from "./fixtures.js";

const M = "llama3.2:latest";
const costs = (loadMs: number, serviceMs: number): CostModel => ({ loadMs: () => loadMs, serviceMs: () => serviceMs });
const req = (overrides: Partial<PickRequest> = {}): PickRequest => ({ model: M, exclude: new Set(), ...overrides });
const resident = (name: string, inFlight = 0, maxConcurrency = 2): EndpointView => endpoint(name, { loaded: new Set([M]), inFlight, maxConcurrency });
const cold = (name: string, overrides: Partial<EndpointView> = {}): EndpointView => endpoint(name, { maxConcurrency: 2, ...overrides });
const ready = (views: EndpointView[]) => views.filter((v) => v.inFlight < v.maxConcurrency);

describe("model-aware policy", () => {
  it.each([
    { name: "a ready resident endpoint beats a cold idle one", views: [cold("c"), resident("r", 1)], costs: costs(5_000, 1_000), request: req(), expected: "r" },
    { name: "the least loaded resident endpoint wins", views: [resident("r1", 1), resident("r2", 0)], costs: costs(5_000, 1_000), request: req(), expected: "r2" },
    { name: "waits for a busy resident copy when that is cheaper than a cold load", views: [resident("r", 2), cold("c")], costs: costs(5_000, 1_000), request: req(), expected: "queue" },
    { name: "loads cold when the wait would cost more than a load", views: [resident("r", 2), cold("c")], costs: costs(500, 2_000), request: req(), expected: "c" },
    { name: "counts the calls queued ahead in the wait", views: [resident("r", 2), cold("c")], costs: costs(5_000, 1_000), request: req({ queuedAhead: 20 }), expected: "c" },
    { name: "time already waited counts against waiting longer", views: [resident("r", 2), cold("c")], costs: costs(5_000, 1_000), request: req({ waitedMs: 4_800 }), expected: "c" },
    {
      name: "a cold load goes to the idle endpoint with the fewest resident models",
      views: [cold("busy", { inFlight: 1 }), cold("full", { loaded: new Set(["x:latest", "y:latest"]) }), cold("empty")],
      costs: costs(5_000, 1_000),
      request: req(),
      expected: "empty",
    },
    { name: "without a model, the least loaded endpoint", views: [cold("a", { inFlight: 1 }), cold("b")], costs: costs(5_000, 1_000), request: req({ model: undefined }), expected: "b" },
    { name: "queues when nothing is ready", views: [resident("r", 2), cold("c", { inFlight: 2 })], costs: costs(5_000, 1_000), request: req(), expected: "queue" },
  ])("$name", ({ views, costs, request, expected }) => {
    const policy = createModelAwarePolicy(costs, mulberry32(1));
    expect(outcome(policy.choose(ready(views), views, request))).toBe(expected);
  });

  it("keeps a session on the same resident endpoint (rendezvous affinity), whatever the load order", () => {
    const views = [resident("r1"), resident("r2"), resident("r3"), resident("r4")];
    const policy = createModelAwarePolicy(costs(5_000, 1_000), mulberry32(7));
    for (const session of ["alice", "bob", "carol", "dave", "erin"]) {
      const picks = new Set(Array.from({ length: 20 }, () => outcome(policy.choose(views, views, req({ affinityKey: session })))));
      expect(picks.size, session).toBe(1);
    }
    const owners = new Set(["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"].map((s) => outcome(policy.choose(views, views, req({ affinityKey: s })))));
    expect(owners.size).toBeGreaterThan(1); // sessions spread over the fleet
  });

  it("a session's cold first turn goes where its later turns will go", () => {
    const policy = createModelAwarePolicy(costs(5_000, 1_000), mulberry32(3));
    const fleet = [cold("n1"), cold("n2"), cold("n3"), cold("n4")];
    for (const session of ["alice", "bob", "carol", "dave"]) {
      const first = outcome(policy.choose(fleet, fleet, req({ affinityKey: session })));
      // The model is now resident there, and also on one other node.
      const other = fleet.find((e) => e.name !== first)!.name;
      const after = fleet.map((e) => (e.name === first || e.name === other ? resident(e.name) : e));
      expect(outcome(policy.choose(after, after, req({ affinityKey: session }))), session).toBe(first);
    }
  });

  it("rejects configuration it does not have", () => {
    expect(() => modelAwarePolicyFactory.parseConfig({ bogus: 1 })).toThrow("ollama.bogus: unknown setting");
    expect(modelAwarePolicyFactory.parseConfig({})).toEqual({});
  });
});
