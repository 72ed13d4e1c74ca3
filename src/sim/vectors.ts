/**
 * Deterministic embedding vectors, with Ollama's normalization and Go's
 * float32 number formatting.
 */
import { seededRng } from "./prng.js";

/** A raw (unnormalized) vector for `text`, stable for the same seed and model. */
export function rawEmbedding(seed: number, model: string, text: string, length: number): number[] {
  const rng = seededRng("embed", seed, model, text);
  return Array.from({ length }, () => Math.fround(rng() * 2 - 1));
}

/**
 * Ollama's `normalize`: divide by the L2 norm (floored at 1e-12), in float32.
 * `dimensions` (when positive and shorter) truncates first and normalizes again,
 * as `EmbedHandler` does.
 */
export function normalizeEmbedding(vector: readonly number[], dimensions = 0): number[] {
  const full = l2Normalize(vector);
  return dimensions > 0 && dimensions < full.length ? l2Normalize(full.slice(0, dimensions)) : full;
}

function l2Normalize(vector: readonly number[]): number[] {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const scale = Math.fround(1 / Math.max(Math.sqrt(sum), 1e-12));
  return vector.map((v) => Math.fround(v * scale));
}

/**
 * The number Go's encoder writes for a float32: the shortest decimal that
 * reads back as the same float32 (so 0.1f is written as 0.1, not 0.10000000149).
 */
export function float32Shortest(value: number): number {
  const target = Math.fround(value);
  if (target === 0 || !Number.isFinite(target)) return target;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return Number(target.toPrecision(9));
}
