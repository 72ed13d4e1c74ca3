/**
 * The quota model, free of gRPC and of any storage: a call is admitted
 * against a plan of limits, each a named counter in a store.
 *
 * - Request rate and tokens per minute are token buckets: `capacity` tokens,
 *   refilled continuously at `refillPerMs`. A bucket nobody has touched is
 *   full. Token buckets may go below zero when a stream's real usage
 *   (Ollama's counts, known at its end) exceeds what was reserved; the debt
 *   delays that budget's next calls, so nothing is forgiven.
 * - Concurrent streams are slot sets of size `capacity`, one slot per call,
 *   held under a lease id until released (or, in a shared store, until the
 *   lease expires because its replica died).
 */

/** What a limit counts. */
export type LimitKind = "request_rate" | "concurrent_streams" | "tokens_per_minute";

/** One limit as it applies to one call. */
export interface PlannedLimit {
  kind: LimitKind;
  /** Store key (without the store's prefix); the same budget has the same key on every replica. */
  key: string;
  /** Who the budget belongs to, e.g. "principal:alice" or "model:llama3*" (QuotaFailure subject, metrics). */
  subject: string;
  /** The limit as configured, e.g. "request rate 10/s (burst 20)". */
  description: string;
  /** Bucket size, or number of slots. */
  capacity: number;
  /** Refill per millisecond (buckets); 0 for slots. */
  refillPerMs: number;
}

/** The limits that apply to one call, grouped by kind. Empty groups cost nothing. */
export interface CallPlan {
  /** Each takes one token at admission. */
  requests: PlannedLimit[];
  /** Each takes one slot at admission, held for the call. */
  slots: PlannedLimit[];
  /** Each is charged the call's tokens: an estimate of the prompt at admission, then output as it streams. */
  tokens: PlannedLimit[];
}

/** The outcome of an admission: all limits taken, or the first that said no. */
export type Verdict =
  | { ok: true }
  | {
      ok: false;
      /** The limit that refused (one of the plan's). */
      limit: PlannedLimit;
      /** When a retry could succeed, as far as this store can tell. */
      retryAfterMs: number;
    };

/** Tokens granted from a reservation; zero means the budget is spent. */
export interface Grant {
  granted: number;
  /** When at least one token will be available again (meaningful when granted is 0). */
  retryAfterMs: number;
  /** Index (in the buckets asked) of the bucket holding the fewest tokens: the one that ran out when granted is 0. */
  bottleneck: number;
}

/**
 * Where limit state lives. Every operation is atomic across all the limits
 * it names (a shared store must make it atomic across replicas too).
 */
export interface QuotaStore {
  /**
   * Admits a call iff every request bucket holds a token, every slot set has
   * room, and every token bucket holds `tokens` (or is full, when `tokens`
   * exceeds its capacity); then takes all of them at once. Otherwise takes
   * nothing.
   */
  admit(plan: CallPlan, tokens: number, leaseId: string): Promise<Verdict>;
  /** Takes up to `want` tokens from every bucket in `buckets` (the same amount from each: the least any holds, whole tokens). */
  reserve(buckets: readonly PlannedLimit[], want: number): Promise<Grant>;
  /** Adds `delta` tokens to every bucket (negative charges extra usage; the level never exceeds capacity). */
  adjust(buckets: readonly PlannedLimit[], delta: number): Promise<void>;
  /** Frees the call's slots. Idempotent. */
  release(slots: readonly PlannedLimit[], leaseId: string): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** Suggested retry delay when a slot set is full: a stream's end cannot be predicted. */
export const SLOT_RETRY_MS = 1_000;
