/**
 * `ring_hash`: consistent hashing on `PickRequest.affinityKey` (Karger et
 * al.; Envoy ring_hash, gRPC A42). Each candidate owns points on a 32-bit
 * ring, `${name}_${i}` hashed with xxHash32, in proportion to its weight; a
 * key belongs to the first point clockwise of its own hash. For Ollama this
 * keeps a session on the endpoint that holds its model and KV cache warm.
 *
 * Point counts depend only on an endpoint's own weight, not on how many
 * endpoints there are: the lightest gets `minimum_ring_size` points and
 * heavier ones proportionally more (the unit is the lightest weight rounded
 * down to a power of two, so most weight changes leave it alone). Envoy
 * instead spreads `minimum_ring_size` over all hosts, so every host's count
 * changes when one joins and about 1.7/N of keys move instead of 1/N. The
 * price is a ring of minimum_ring_size × (total weight / lightest) points:
 * 8 k points (about 3 ms to build, 64 KB) for 8 equal endpoints, 126 k
 * (about 27 ms) for 50 endpoints of weights 1..4, where a smaller
 * `minimum_ring_size` (e.g. 160, nginx's per-server count) is the better
 * trade. Rings are cached per candidate set, so that cost is paid on changes.
 */
import type { EndpointView, Policy, PolicyDecision, PolicyFactory, PickRequest } from "../types.js";
import { readInt, readOneOf, rejectUnknownFields } from "./policy-config.js";
import { pickWeighted, weightsOf, type Weighted } from "./weighted-sampling.js";
import { xxhash32String } from "./xxhash32.js";

/** Envoy's upper bound on ring points (and on `minimum_ring_size`). */
export const MAXIMUM_RING_SIZE = 8_388_608;

/** What to do when the key's owner has no free slot. */
export type RingHashOverflow = "next" | "queue";

/** Validated `ring_hash` config. */
export interface RingHashConfig {
  /** Points of the lightest endpoint, 1..8_388_608 (default 1024); the whole ring is at least this big. */
  readonly minimumRingSize: number;
  /**
   * "next" (default): walk clockwise to the first endpoint with a free slot,
   * like consistent hashing with bounded loads where the bound is
   * `maxConcurrency`. "queue": wait for the owner, keeping affinity strict.
   */
  readonly overflow: RingHashOverflow;
}

/** Rings kept for other candidate sets (per-model subsets, retries' exclusions). */
const CACHED_RINGS = 8;
/** Point budget of the cache beyond the newest ring (8 bytes a point: 32 MiB). */
const CACHED_POINTS = 1 << 22;
/** Owner indexes are packed below the hash in one float64 sort key; 2^21 × 2^32 = 2^53 stays exact. */
const OWNER_SLOTS = 2 ** 21;

/** Consistent hashing over `candidates`; see the module comment. */
export class RingHashPolicy implements Policy {
  readonly name = "ring_hash";
  readonly #config: RingHashConfig;
  readonly #random: () => number;
  /** Rings by candidate names and weights, least recently used first. */
  readonly #rings = new Map<string, Ring>();
  #cachedPoints = 0;

  /** @param random uniform in [0, 1), for requests without an affinity key. */
  constructor(config: RingHashConfig, random: () => number) {
    this.#config = config;
    this.#random = random;
  }

  /**
   * Queues when `ready` is empty. Without an affinity key, picks weighted
   * random among `ready` (as gRPC hashes a random value). Otherwise finds the
   * key's owner among `candidates`; if it is not ready, "queue" waits and
   * "next" takes the first ready endpoint clockwise. The ring is rebuilt
   * only for a candidate set (names and weights) not seen recently.
   */
  choose(ready: readonly EndpointView[], candidates: readonly EndpointView[], request: PickRequest): PolicyDecision {
    if (ready.length === 0) return { kind: "queue" };
    const key = request.affinityKey;
    if (key === undefined) return pickRandom(ready, this.#random);
    const ring = this.#ringFor(candidates.length > 0 ? candidates : ready);
    const start = firstPointAtOrAfter(ring.hashes, xxhash32String(key));
    const ownerName = ring.names[ring.owners[start] ?? 0];
    const owner = ready.find((endpoint) => endpoint.name === ownerName);
    if (owner !== undefined) return { kind: "pick", endpoint: owner };
    if (this.#config.overflow === "queue" && ownerName !== undefined) return { kind: "queue" };
    return walkToReady(ring, start, ready) ?? pickRandom(ready, this.#random);
  }

  #ringFor(endpoints: readonly EndpointView[]): Ring {
    const key = ringKey(endpoints);
    const cached = this.#rings.get(key);
    if (cached !== undefined) {
      this.#rings.delete(key);
      this.#rings.set(key, cached);
      return cached;
    }
    const ring = buildRing(endpoints, this.#config.minimumRingSize);
    this.#rings.set(key, ring);
    this.#cachedPoints += ring.hashes.length;
    for (const [oldKey, old] of this.#rings) {
      if (this.#rings.size <= 1 || (this.#rings.size <= CACHED_RINGS && this.#cachedPoints - ring.hashes.length <= CACHED_POINTS)) break;
      this.#rings.delete(oldKey);
      this.#cachedPoints -= old.hashes.length;
    }
    return ring;
  }
}

/**
 * An immutable ring: point hashes in ascending order and, per point, the
 * index in `names` (sorted) of the endpoint owning it.
 * @internal exported for tests.
 */
export interface Ring {
  readonly hashes: Uint32Array;
  readonly owners: Uint32Array;
  readonly names: readonly string[];
}

/**
 * Builds the ring for `endpoints` (order does not matter). Each endpoint
 * gets round(minimumRingSize × weight / unit) points (at least 1), where
 * unit is the lightest usable weight rounded down to a power of two; the
 * total is capped at `maximumRingSize` by scaling every count down.
 * @internal exported for tests.
 */
export function buildRing(
  endpoints: readonly (Weighted & { readonly name: string })[],
  minimumRingSize: number,
  maximumRingSize = MAXIMUM_RING_SIZE,
): Ring {
  const sorted = [...endpoints].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const weights = weightsOf(sorted);
  const lightest = weights.reduce((min, weight) => (weight > 0 && weight < min ? weight : min), Number.POSITIVE_INFINITY);
  const unit = 2 ** Math.floor(Math.log2(lightest));
  const relativeTotal = weights.reduce((sum, weight) => sum + weight / unit, 0);
  const perUnit = Math.min(minimumRingSize, maximumRingSize / relativeTotal);
  const counts = weights.map((weight) => (weight > 0 ? Math.max(1, Math.round((perUnit * weight) / unit)) : 0));
  const count = Math.min(sorted.length, OWNER_SLOTS);
  const keys = new Float64Array(counts.slice(0, count).reduce((sum, points) => sum + points, 0));
  let next = 0;
  for (let owner = 0; owner < count; owner++) {
    const name = sorted[owner]!.name;
    for (let point = 0, points = counts[owner]!; point < points; point++) {
      keys[next++] = xxhash32String(`${name}_${point}`) * OWNER_SLOTS + owner;
    }
  }
  keys.sort();
  const hashes = new Uint32Array(keys.length);
  const owners = new Uint32Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const hash = Math.floor(keys[i]! / OWNER_SLOTS);
    hashes[i] = hash;
    owners[i] = keys[i]! - hash * OWNER_SLOTS;
  }
  return { hashes, owners, names: sorted.slice(0, count).map((endpoint) => endpoint.name) };
}

/** Index of the first point with hash >= `hash`, wrapping to 0 past the end. */
function firstPointAtOrAfter(hashes: Uint32Array, hash: number): number {
  let low = 0;
  let high = hashes.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (hashes[middle]! < hash) low = middle + 1;
    else high = middle;
  }
  return low === hashes.length ? 0 : low;
}

/** The first ready endpoint clockwise from `start`, stopping once every owner has been seen. */
function walkToReady(ring: Ring, start: number, ready: readonly EndpointView[]): PolicyDecision | undefined {
  const byName = new Map(ready.map((endpoint) => [endpoint.name, endpoint]));
  const seen = new Uint8Array(ring.names.length);
  const points = ring.hashes.length;
  for (let step = 0, distinct = 0; step < points && distinct < ring.names.length; step++) {
    const owner = ring.owners[(start + step) % points]!;
    if (seen[owner] === 1) continue;
    seen[owner] = 1;
    distinct++;
    const endpoint = byName.get(ring.names[owner]!);
    if (endpoint !== undefined) return { kind: "pick", endpoint };
  }
  // Only reachable if `ready` holds endpoints missing from `candidates` (a caller bug): stay available.
  return undefined;
}

function pickRandom(ready: readonly EndpointView[], random: () => number): PolicyDecision {
  const endpoint = pickWeighted(ready, random);
  return endpoint === undefined ? { kind: "queue" } : { kind: "pick", endpoint };
}

/** Cache key: names and weights in the caller's order (a reordering only costs a duplicate ring). */
function ringKey(endpoints: readonly EndpointView[]): string {
  let key = "";
  for (const endpoint of endpoints) key += `${endpoint.name}\u0000${endpoint.weight}\u0001`;
  return key;
}

/** Registry entry for `ring_hash`: fields `minimum_ring_size`, `overflow`. */
export const ringHashPolicyFactory: PolicyFactory = {
  name: "ring_hash",
  parseConfig(raw): RingHashConfig {
    rejectUnknownFields("ring_hash", raw, ["minimum_ring_size", "overflow"]);
    return {
      minimumRingSize: readInt("ring_hash", raw, "minimum_ring_size", 1024, 1, MAXIMUM_RING_SIZE),
      overflow: readOneOf("ring_hash", raw, "overflow", ["next", "queue"]),
    };
  },
  create(config, deps) {
    return new RingHashPolicy(config as RingHashConfig, deps.random);
  },
};
