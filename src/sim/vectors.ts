/**
 * Deterministic embedding vectors, with Ollama's normalization and Go's
 * float32 number formatting.
 */
import { seededRng } from "./prng.js";

export { float32Shortest } from "../ollama/go-json.js";

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
