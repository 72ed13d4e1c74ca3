/**
 * Test helpers for policies: EndpointView fixtures with the defaults below, a
 * seeded PRNG, policy deps, and pick counting.
 */
import type { CostModel, EndpointView, Policy, PolicyDecision, PickRequest } from "../../../../src/upstream/types.js";

/** An endpoint view: weight 1, priority 0, idle, 4 slots, healthy, url http://<name>. */
export function endpoint(name: string, overrides: Partial<Omit<EndpointView, "name">> = {}): EndpointView {
  return {
    name,
    url: `http://${name}`,
    weight: 1,
    priority: 0,
    locality: "",
    labels: {},
    maxConcurrency: 4,
    inFlight: 0,
    health: "healthy",
    ejected: false,
    draining: false,
    models: undefined,
    loaded: new Set<string>(),
    ...overrides,
  };
}

/** Endpoints named by `names` with the given weights (same length). */
export function weighted(names: readonly string[], weights: readonly number[]): EndpointView[] {
  return names.map((name, i) => endpoint(name, { weight: weights[i] ?? 1 }));
}

/** mulberry32, a tiny seeded PRNG uniform in [0, 1) (one implementation: the simulator's). */
import { mulberry32 } from "../../../support/fake-clock.js";
export { mulberry32 };

/** Costs are not used by these policies. */
export const noCosts: CostModel = { loadMs: () => 0, serviceMs: () => 0 };

/** Factory deps with a seeded random. */
export function deps(seed = 1): { random: () => number; costs: CostModel } {
  return { random: mulberry32(seed), costs: noCosts };
}

/** A request without model, key or exclusions. */
export const plain: PickRequest = { exclude: new Set() };

/** A request with an affinity key. */
export function keyed(affinityKey: string): PickRequest {
  return { affinityKey, exclude: new Set() };
}

/** The picked endpoint's name, or "queue". */
export function outcome(decision: PolicyDecision): string {
  return decision.kind === "pick" ? decision.endpoint.name : "queue";
}

/** Names picked by `n` calls with the same views. */
export function sequence(policy: Policy, n: number, ready: readonly EndpointView[], candidates = ready, request = plain): string[] {
  return Array.from({ length: n }, () => outcome(policy.choose(ready, candidates, request)));
}

/** Share of each name among `picks`, in percent. */
export function shares(picks: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of picks) counts[name] = (counts[name] ?? 0) + 1;
  for (const name of Object.keys(counts)) counts[name] = (100 * counts[name]!) / picks.length;
  return counts;
}

/** Deep-frozen copies, so a policy that mutates a view fails loudly. */
export function frozen(views: readonly EndpointView[]): EndpointView[] {
  return views.map((view) => Object.freeze({ ...view, labels: Object.freeze({ ...view.labels }) }));
}
