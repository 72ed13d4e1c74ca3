/**
 * Rendezvous (highest-random-weight) hashing: the owner of a key is the
 * endpoint with the highest hash(key, endpoint) scaled by its weight. Stable
 * under membership changes: removing an endpoint moves only its own keys, and
 * adding one takes only ~1/N of the keys. Used for affinity inside the
 * model-aware policy, where the candidate set is small and changes per call.
 */
import type { EndpointView } from "../types.js";
import { xxhash32String } from "./xxhash32.js";

/** The owner of `key` among `endpoints`, or undefined when there are none. */
export function rendezvousOwner(key: string, endpoints: readonly EndpointView[]): EndpointView | undefined {
  let owner: EndpointView | undefined;
  let best = Number.NEGATIVE_INFINITY;
  for (const endpoint of endpoints) {
    // Weighted HRW (Schindelhauer & Schomaker): score = -weight / ln(u), u in (0, 1).
    const u = (xxhash32String(`${key}\u0000${endpoint.name}`) + 0.5) / 4_294_967_296;
    const score = -endpoint.weight / Math.log(u);
    if (score > best) {
      best = score;
      owner = endpoint;
    }
  }
  return owner;
}
