/**
 * The store failure policy, in one place. Wraps a QuotaStore whose
 * operations may reject (Redis down, timeout):
 * - "open": the decision is made as if the limit had room (admit, grant
 *   what was asked), so an outage never stops traffic;
 * - "closed": admission and reservations throw QuotaStoreUnavailableError,
 *   so no call runs unaccounted.
 * Refunds and releases are best effort under both policies (a lost release
 * expires with its lease). Every failure is reported to `onError`.
 */
import { QuotaStoreUnavailableError } from "./errors.js";
import type { CallPlan, Grant, PlannedLimit, QuotaStore, Verdict } from "./types.js";

export type StoreOperation = "admit" | "reserve" | "adjust" | "release";

export class GuardedQuotaStore implements QuotaStore {
  readonly #inner: QuotaStore;
  readonly #policy: "open" | "closed";
  readonly #onError: (operation: StoreOperation, error: unknown) => void;

  constructor(inner: QuotaStore, policy: "open" | "closed", onError: (operation: StoreOperation, error: unknown) => void) {
    this.#inner = inner;
    this.#policy = policy;
    this.#onError = onError;
  }

  async admit(plan: CallPlan, tokens: number, leaseId: string): Promise<Verdict> {
    try {
      return await this.#inner.admit(plan, tokens, leaseId);
    } catch (error) {
      this.#onError("admit", error);
      if (this.#policy === "closed") throw new QuotaStoreUnavailableError(error);
      return { ok: true };
    }
  }

  async reserve(buckets: readonly PlannedLimit[], want: number): Promise<Grant> {
    try {
      return await this.#inner.reserve(buckets, want);
    } catch (error) {
      this.#onError("reserve", error);
      if (this.#policy === "closed") throw new QuotaStoreUnavailableError(error);
      return { granted: want, retryAfterMs: 0, bottleneck: 0 };
    }
  }

  async adjust(buckets: readonly PlannedLimit[], delta: number): Promise<void> {
    try {
      await this.#inner.adjust(buckets, delta);
    } catch (error) {
      this.#onError("adjust", error);
    }
  }

  async release(slots: readonly PlannedLimit[], leaseId: string): Promise<void> {
    try {
      await this.#inner.release(slots, leaseId);
    } catch (error) {
      this.#onError("release", error);
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
