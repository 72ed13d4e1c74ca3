/**
 * `least_request`: power of two choices (Mitzenmacher; Envoy least_request,
 * gRPC A48). Sample `choice_count` distinct ready endpoints, weighted by
 * weight, and send the call to the least loaded of them. Sampling a few
 * instead of scanning all avoids the herd effect of "global least loaded"
 * (every balancer sending to the same idle endpoint at once) while still
 * pulling the maximum load down sharply.
 *
 * Load is compared per unit of weight, with Envoy's `active_request_bias`:
 *
 *     cost = ((inFlight + 1) ^ bias - 1) / weight        (lowest wins)
 *
 * With bias 1 that is exactly `inFlight / weight`. Envoy instead ranks by
 * `weight / (inFlight + 1) ^ bias`; we subtract the idle term because our
 * sample is already drawn in proportion to weight, and counting weight twice
 * would send idle traffic to the heavier endpoint of every pair (1:2:3 would
 * become 0:15:85 % of idle picks instead of 17:33:50). Consequences:
 * equal costs (an idle fleet, or bias 0) keep the sample's weighted order, so
 * bias 0 is exactly weighted random; larger biases make in-flight count
 * weigh more against weight, as in Envoy.
 */
import type { EndpointView, Policy, PolicyDecision, PolicyFactory, PickRequest } from "../types.js";
import { readInt, readNumber, rejectUnknownFields } from "./policy-config.js";
import { sampleWeighted, usableWeight } from "./weighted-sampling.js";

/** Validated `least_request` config. */
export interface LeastRequestConfig {
  /** Endpoints sampled per pick, 2..10 (default 2, gRPC's clamp range). */
  readonly choiceCount: number;
  /** Exponent on (inFlight + 1), >= 0 (default 1.0; 0 ignores load). */
  readonly activeRequestBias: number;
}

/** Power of two (or `choiceCount`) choices over `ready`. */
export class LeastRequestPolicy implements Policy {
  readonly name = "least_request";
  readonly #config: LeastRequestConfig;
  readonly #random: () => number;

  /** @param random uniform in [0, 1); injected so tests are seeded. */
  constructor(config: LeastRequestConfig, random: () => number) {
    this.#config = config;
    this.#random = random;
  }

  /**
   * Queues when `ready` is empty; a single ready endpoint is picked without
   * sampling. Ties keep the earlier sampled endpoint, so they stay weighted
   * random. `candidates` and the request are not used.
   */
  choose(ready: readonly EndpointView[], _candidates: readonly EndpointView[], _request: PickRequest): PolicyDecision {
    if (ready.length === 1) return { kind: "pick", endpoint: ready[0]! };
    const sample = sampleWeighted(ready, this.#config.choiceCount, this.#random);
    let best: EndpointView | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const endpoint of sample) {
      const cost = this.#cost(endpoint);
      if (best === undefined || cost < bestCost) {
        best = endpoint;
        bestCost = cost;
      }
    }
    return best === undefined ? { kind: "queue" } : { kind: "pick", endpoint: best };
  }

  /** Load per unit of weight; +Infinity on overflow or a zero weight (then sample order decides). */
  #cost(endpoint: EndpointView): number {
    const active = endpoint.inFlight > 0 ? endpoint.inFlight : 0;
    const weight = usableWeight(endpoint);
    const load = Math.pow(active + 1, this.#config.activeRequestBias) - 1;
    if (load === 0) return 0;
    return weight > 0 ? load / weight : Number.POSITIVE_INFINITY;
  }
}

/** Registry entry for `least_request`: fields `choice_count`, `active_request_bias`. */
export const leastRequestPolicyFactory: PolicyFactory = {
  name: "least_request",
  parseConfig(raw): LeastRequestConfig {
    rejectUnknownFields("least_request", raw, ["choice_count", "active_request_bias"]);
    return {
      choiceCount: readInt("least_request", raw, "choice_count", 2, 2, 10),
      activeRequestBias: readNumber("least_request", raw, "active_request_bias", 1, 0),
    };
  },
  create(config, deps) {
    return new LeastRequestPolicy(config as LeastRequestConfig, deps.random);
  },
};
