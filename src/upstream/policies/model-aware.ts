/**
 * The "ollama" policy (the default): model-aware scheduling.
 *
 * 1. A ready endpoint where the model is resident wins: no load, warm cache.
 *    With an affinity key, the key's rendezvous-hash owner among them wins
 *    (so a conversation returns to the node holding its KV cache); otherwise
 *    the least loaded (in-flight / slots), ties broken at random.
 * 2. If the model is resident only on busy endpoints, compare waiting for one
 *    of their slots with loading it cold on a ready endpoint: the expected
 *    wait is serviceMs × (queued ahead + 1) / resident slots; the cold cost is
 *    the learned load time less the time already waited. Wait (queue) when
 *    that is cheaper: a resident copy
 *    with capacity soon is never thrashed out of memory elsewhere.
 * 3. Otherwise load it cold: on the affinity key's owner among the ready
 *    endpoints when there is a key (so the session stays there afterwards),
 *    else on the ready endpoint that disturbs least: idle first, then fewest
 *    resident models, then least loaded.
 */
import type { CostModel, EndpointView, PickRequest, Policy, PolicyDecision, PolicyFactory } from "../types.js";
import { rendezvousOwner } from "./rendezvous.js";

/** Creates the policy. */
export function createModelAwarePolicy(costs: CostModel, random: () => number): Policy {
  return {
    name: "ollama",
    choose(ready: readonly EndpointView[], candidates: readonly EndpointView[], request: PickRequest): PolicyDecision {
      if (ready.length === 0) return QUEUE;
      const model = request.model;
      if (model === undefined) return pick(leastLoaded(ready, random));
      const resident = ready.filter((e) => e.loaded.has(model));
      if (resident.length > 0) {
        const owner = request.affinityKey === undefined ? undefined : rendezvousOwner(request.affinityKey, resident);
        return pick(owner ?? leastLoaded(resident, random));
      }
      const residentBusy = candidates.filter((e) => e.loaded.has(model));
      if (residentBusy.length > 0) {
        const slots = residentBusy.reduce((sum, e) => sum + e.maxConcurrency, 0);
        const waitMs = (costs.serviceMs(model) * ((request.queuedAhead ?? 0) + 1)) / Math.max(1, slots);
        // Time already spent waiting counts against waiting longer, so a waiter eventually goes cold.
        if (waitMs <= costs.loadMs(model) - (request.waitedMs ?? 0)) return QUEUE;
      }
      // With an affinity key the cold load goes to the key's owner among the ready endpoints: by the
      // rendezvous subset property it stays the owner once the model is resident there too.
      const owner = request.affinityKey === undefined ? undefined : rendezvousOwner(request.affinityKey, ready);
      return pick(owner ?? leastDisturbed(ready, random));
    },
  };
}

/** Registry entry. Config: none yet (costs come from the pool's learned model). */
export const modelAwarePolicyFactory: PolicyFactory = {
  name: "ollama",
  parseConfig(raw) {
    for (const key of Object.keys(raw)) throw new Error(`ollama.${key}: unknown setting (this policy has none)`);
    return {};
  },
  create: (_config, deps) => createModelAwarePolicy(deps.costs, deps.random),
};

const QUEUE: PolicyDecision = { kind: "queue" };

function pick(endpoint: EndpointView): PolicyDecision {
  return { kind: "pick", endpoint };
}

/** Lowest in-flight / slots; ties at random so equal endpoints share the load. */
function leastLoaded(endpoints: readonly EndpointView[], random: () => number): EndpointView {
  return minBy(endpoints, (e) => e.inFlight / e.maxConcurrency, random);
}

/** For a cold load: idle endpoints first, then the fewest resident models (least eviction), then least loaded. */
function leastDisturbed(endpoints: readonly EndpointView[], random: () => number): EndpointView {
  return minBy(endpoints, (e) => (e.inFlight > 0 ? 1_000 : 0) + e.loaded.size * 10 + e.inFlight / e.maxConcurrency, random);
}

function minBy(endpoints: readonly EndpointView[], score: (e: EndpointView) => number, random: () => number): EndpointView {
  let best: EndpointView[] = [];
  let bestScore = Number.POSITIVE_INFINITY;
  for (const endpoint of endpoints) {
    const value = score(endpoint);
    if (value < bestScore) {
      bestScore = value;
      best = [endpoint];
    } else if (value === bestScore) {
      best.push(endpoint);
    }
  }
  return best[Math.floor(random() * best.length)] ?? (endpoints[0] as EndpointView);
}
