/**
 * `random`: weighted random choice among the ready endpoints. Envoy
 * recommends it over round robin when health checking is weak, because
 * consecutive calls do not march in step onto the same failed endpoint.
 * Stateless, so picker swaps and fleet changes need no care.
 */
import type { EndpointView, Policy, PolicyDecision, PolicyFactory, PickRequest } from "../types.js";
import { rejectUnknownFields } from "./policy-config.js";
import { pickWeighted } from "./weighted-sampling.js";

/** Picks each ready endpoint with probability weight / total ready weight. */
export class RandomPolicy implements Policy {
  readonly name = "random";
  readonly #random: () => number;

  /** @param random uniform in [0, 1); injected so tests are seeded. */
  constructor(random: () => number) {
    this.#random = random;
  }

  /** Queues when `ready` is empty; `candidates` and the request are not used. */
  choose(ready: readonly EndpointView[], _candidates: readonly EndpointView[], _request: PickRequest): PolicyDecision {
    const endpoint = pickWeighted(ready, this.#random);
    return endpoint === undefined ? { kind: "queue" } : { kind: "pick", endpoint };
  }
}

/** Registry entry for `random` (no config fields). */
export const randomPolicyFactory: PolicyFactory = {
  name: "random",
  parseConfig(raw) {
    rejectUnknownFields("random", raw, []);
    return {};
  },
  create(_config, deps) {
    return new RandomPolicy(deps.random);
  },
};
