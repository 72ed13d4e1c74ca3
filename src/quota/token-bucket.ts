/**
 * Token-bucket arithmetic, shared by the memory store and mirrored line by
 * line in the Redis scripts (redis-scripts.ts), so both stores decide alike.
 */

/** A bucket's stored state: its level at time `at` (ms). An absent bucket is full. */
export interface BucketState {
  level: number;
  at: number;
}

/** A bucket's level at `now`: the stored level plus refill since, capped at capacity. */
export function levelAt(state: BucketState | undefined, capacity: number, refillPerMs: number, now: number): number {
  if (state === undefined) return capacity;
  const elapsed = Math.max(0, now - state.at);
  return Math.min(capacity, state.level + elapsed * refillPerMs);
}

/**
 * Milliseconds until a bucket at `level` holds `wanted` tokens (0 when it
 * already does). The epsilon keeps float noise (1 / (1 / 3600000) is
 * 3600000.0000000005) from adding a millisecond.
 */
export function msUntil(level: number, wanted: number, refillPerMs: number): number {
  return level >= wanted ? 0 : Math.ceil((wanted - level) / refillPerMs - 1e-6);
}

/** Tokens a call of `tokens` needs present: all of them, or a full bucket when it asks for more than the bucket holds. */
export function tokensRequired(tokens: number, capacity: number): number {
  return Math.min(tokens, capacity);
}
