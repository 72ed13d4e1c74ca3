/**
 * QuotaStore in process memory: exact for one replica (with several, each
 * replica has its own budgets; use the Redis store). Time comes from an
 * injected `now`, so tests drive refill with a fake clock.
 */
import { levelAt, msUntil, tokensRequired, type BucketState } from "./token-bucket.js";
import { SLOT_RETRY_MS, type CallPlan, type Grant, type PlannedLimit, type QuotaStore, type Verdict } from "./types.js";

/** Buckets above this count are swept of full ones (a full bucket is the same as an absent one). */
const SWEEP_THRESHOLD = 10_000;

export class MemoryQuotaStore implements QuotaStore {
  readonly #now: () => number;
  /** Buckets below capacity, with the shape last used (for sweeping); a full bucket is absent. */
  readonly #buckets = new Map<string, BucketState & { capacity: number; refillPerMs: number }>();
  readonly #slots = new Map<string, Set<string>>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async admit(plan: CallPlan, tokens: number, leaseId: string): Promise<Verdict> {
    const now = this.#now();
    for (const limit of plan.requests) {
      const level = this.#level(limit, now);
      if (level < 1) return { ok: false, limit, retryAfterMs: msUntil(level, 1, limit.refillPerMs) };
    }
    for (const limit of plan.slots) {
      if ((this.#slots.get(limit.key)?.size ?? 0) >= limit.capacity) return { ok: false, limit, retryAfterMs: SLOT_RETRY_MS };
    }
    for (const limit of plan.tokens) {
      const level = this.#level(limit, now);
      const required = tokensRequired(tokens, limit.capacity);
      if (level < required) return { ok: false, limit, retryAfterMs: msUntil(level, required, limit.refillPerMs) };
    }
    for (const limit of plan.requests) this.#add(limit, -1, now);
    for (const limit of plan.slots) {
      const held = this.#slots.get(limit.key) ?? new Set<string>();
      held.add(leaseId);
      this.#slots.set(limit.key, held);
    }
    for (const limit of plan.tokens) this.#add(limit, -tokens, now);
    this.#sweep(now);
    return { ok: true };
  }

  async reserve(buckets: readonly PlannedLimit[], want: number): Promise<Grant> {
    const now = this.#now();
    let granted = want;
    let retryAfterMs = 0;
    let bottleneck = 0;
    let lowest = Infinity;
    buckets.forEach((limit, i) => {
      const level = this.#level(limit, now);
      if (level < lowest) [lowest, bottleneck] = [level, i];
      granted = Math.min(granted, Math.max(0, Math.floor(level)));
      retryAfterMs = Math.max(retryAfterMs, msUntil(level, 1, limit.refillPerMs));
    });
    if (granted <= 0) return { granted: 0, retryAfterMs, bottleneck };
    for (const limit of buckets) this.#add(limit, -granted, now);
    return { granted, retryAfterMs: 0, bottleneck };
  }

  async adjust(buckets: readonly PlannedLimit[], delta: number): Promise<void> {
    const now = this.#now();
    for (const limit of buckets) this.#add(limit, delta, now);
  }

  async release(slots: readonly PlannedLimit[], leaseId: string): Promise<void> {
    for (const limit of slots) {
      const held = this.#slots.get(limit.key);
      if (held === undefined) continue;
      held.delete(leaseId);
      if (held.size === 0) this.#slots.delete(limit.key);
    }
  }

  async close(): Promise<void> {
    this.#buckets.clear();
    this.#slots.clear();
  }

  #level(limit: PlannedLimit, now: number): number {
    return levelAt(this.#buckets.get(limit.key), limit.capacity, limit.refillPerMs, now);
  }

  #add(limit: PlannedLimit, delta: number, now: number): void {
    const level = Math.min(limit.capacity, this.#level(limit, now) + delta);
    if (level >= limit.capacity) this.#buckets.delete(limit.key);
    else this.#buckets.set(limit.key, { level, at: now, capacity: limit.capacity, refillPerMs: limit.refillPerMs });
  }

  #sweep(now: number): void {
    if (this.#buckets.size < SWEEP_THRESHOLD) return;
    for (const [key, state] of this.#buckets) {
      if (levelAt(state, state.capacity, state.refillPerMs, now) >= state.capacity) this.#buckets.delete(key);
    }
  }
}
