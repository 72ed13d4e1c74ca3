/**
 * Small deterministic random source. Every generated answer is a pure
 * function of its inputs, so tests can assert on exact output.
 */
import { createHash } from "node:crypto";

/** Returns numbers in [0, 1). */
export type Rng = () => number;

/** An RNG seeded from any JSON-serializable parts (order matters). */
export function seededRng(...parts: unknown[]): Rng {
  const digest = createHash("sha256").update(JSON.stringify(parts)).digest();
  return mulberry32(digest.readUInt32LE(0));
}

/** An integer in [min, max]. */
export function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** One element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new RangeError("pick from an empty list");
  return item;
}

/** mulberry32: tiny, fast, seeded, uniform in [0, 1); good enough for synthetic text and reproducible tests. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
