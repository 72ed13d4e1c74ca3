/**
 * Weighted random choice with an injected `random()` (seeded in tests), shared
 * by the random, least_request and ring_hash policies.
 *
 * Weights come from validated config (> 0), but a policy must never throw, so
 * these helpers are total: a weight that is not a positive finite number
 * counts as 0, and when no weight is usable the choice is uniform. A
 * `random()` outside [0, 1) (NaN, 1) is clamped instead of indexing past the end.
 */

/** Anything with a relative weight (an `EndpointView`). */
export interface Weighted {
  readonly weight: number;
}

/** The endpoint's weight when usable, else 0. */
export function usableWeight(item: Weighted): number {
  const weight = item.weight;
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}

/**
 * The weights of `items` as policies should use them: `usableWeight` of each,
 * or all 1 when none is usable (so a bad fleet degrades to uniform, not to
 * "always the first").
 */
export function weightsOf(items: readonly Weighted[]): number[] {
  const weights = items.map(usableWeight);
  return weights.some((weight) => weight > 0) ? weights : weights.map(() => 1);
}

/**
 * One item drawn with probability weight / total, or undefined when `items`
 * is empty. Costs one `random()` call and O(n).
 */
export function pickWeighted<T extends Weighted>(items: readonly T[], random: () => number): T | undefined {
  const index = drawIndex(weightsOf(items), random);
  return index < 0 ? undefined : items[index];
}

/**
 * Up to `count` distinct items drawn without replacement, each draw weighted
 * among those left (successive sampling), in draw order. The first element is
 * therefore itself a weighted random pick, which least_request relies on to
 * break ties. Items with an unusable weight are never drawn (unless none is
 * usable), so the sample can be shorter than `count`. O(count × n), fine for
 * count ≤ 10.
 */
export function sampleWeighted<T extends Weighted>(items: readonly T[], count: number, random: () => number): T[] {
  const weights = weightsOf(items);
  const sample: T[] = [];
  const wanted = Math.min(count, items.length);
  while (sample.length < wanted) {
    const index = drawIndex(weights, random);
    const item = items[index];
    if (item === undefined) break;
    sample.push(item);
    weights[index] = 0;
  }
  return sample;
}

/** A `random()` result forced into [0, 1). */
export function unitInterval(random: () => number): number {
  const value = random();
  if (value >= 0 && value < 1) return value;
  return value >= 1 ? 1 - Number.EPSILON : 0;
}

/** Index drawn in proportion to `weights` (non-negative, some positive), or -1 when empty. */
function drawIndex(weights: readonly number[], random: () => number): number {
  let total = 0;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const weight = weights[i]!;
    if (weight > 0) {
      total += weight;
      last = i;
    }
  }
  if (last < 0) return -1;
  let target = unitInterval(random) * total;
  for (let i = 0; i < last; i++) {
    target -= weights[i]!;
    if (target < 0) return i;
  }
  // Floating-point rounding can leave target ≥ 0 after the last subtraction.
  return last;
}
