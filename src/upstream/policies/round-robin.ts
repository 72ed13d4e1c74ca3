/**
 * `round_robin`: smooth weighted round robin, nginx's algorithm
 * (ngx_http_upstream_get_peer). On every pick each ready endpoint's
 * `current` grows by its weight; the largest `current` wins and gives back
 * the total weight. Weights 5:1:1 give `a a b a c a a`: shares are exact over
 * each cycle of (sum of weights) picks and a heavy endpoint's turns are spread
 * out rather than bunched (unlike classic WRR's `a a a a a b c`). Equal
 * weights give plain rotation.
 *
 * Why smooth WRR rather than Envoy's EDF scheduler: both give exact shares;
 * smooth WRR needs only one number per endpoint, so its state can be keyed by
 * endpoint name and survive what the balancer does between picks.
 */
import type { EndpointView, Policy, PolicyDecision, PolicyFactory, PickRequest } from "../types.js";
import { rejectUnknownFields } from "./policy-config.js";
import { weightsOf } from "./weighted-sampling.js";

/** Picks between sweeps of state left by endpoints that stopped being ready. */
const SWEEP_EVERY = 4096;

/**
 * Smooth weighted round robin over `ready`.
 *
 * State is a `current` value per endpoint *name*, so a new picker (a fresh
 * `candidates` array with the same names) continues the sequence, a joining
 * endpoint starts at 0, and weight changes apply from the next pick. As in
 * nginx, endpoints without a free slot are skipped and keep their `current`
 * frozen until they are ready again. Ties go to the earlier endpoint in
 * `ready`, so the caller's order (configuration order) decides the exact
 * sequence.
 *
 * State is not dropped when an endpoint is missing from one call's
 * `candidates`: candidates vary per request (model, retries' exclusions), and
 * resetting an endpoint to 0 each time would skew its share. Instead, entries
 * not ready for `SWEEP_EVERY` picks are swept, so renamed or removed endpoints
 * cannot grow the map forever.
 */
export class RoundRobinPolicy implements Policy {
  readonly name = "round_robin";
  readonly #state = new Map<string, { current: number; seen: number }>();
  #picks = 0;

  /** Queues when `ready` is empty; `candidates` and the request are not used. */
  choose(ready: readonly EndpointView[], _candidates: readonly EndpointView[], _request: PickRequest): PolicyDecision {
    if (ready.length === 0) return { kind: "queue" };
    const picks = ++this.#picks;
    const weights = weightsOf(ready);
    let best: { current: number } | undefined;
    let bestIndex = 0;
    let total = 0;
    for (let i = 0; i < ready.length; i++) {
      const name = ready[i]!.name;
      const weight = weights[i]!;
      let entry = this.#state.get(name);
      if (entry === undefined) {
        entry = { current: 0, seen: picks };
        this.#state.set(name, entry);
      }
      entry.current += weight;
      entry.seen = picks;
      total += weight;
      if (best === undefined || entry.current > best.current) {
        best = entry;
        bestIndex = i;
      }
    }
    best!.current -= total;
    if (picks % SWEEP_EVERY === 0) this.#sweep(picks - SWEEP_EVERY);
    return { kind: "pick", endpoint: ready[bestIndex]! };
  }

  #sweep(before: number): void {
    for (const [name, entry] of this.#state) if (entry.seen <= before) this.#state.delete(name);
  }
}

/** Registry entry for `round_robin` (no config fields). */
export const roundRobinPolicyFactory: PolicyFactory = {
  name: "round_robin",
  parseConfig(raw) {
    rejectUnknownFields("round_robin", raw, []);
    return {};
  },
  create() {
    return new RoundRobinPolicy();
  },
};
