/**
 * Quota enforcement for one call, free of gRPC:
 *
 * 1. `admit` plans the call's limits and takes, atomically, one request
 *    token per rate limit, one slot per stream limit and the estimated
 *    input tokens from each token budget; or throws QuotaExceededError
 *    naming the limit that refused.
 * 2. While the call streams, `spend` is called before each output message
 *    is delivered. Tokens are reserved from the shared budget
 *    `tokenReserve` at a time (one store round trip per reservation), and a
 *    reservation grants at most what the budget holds, so a stream is cut
 *    at the first message the budget cannot cover: it never overshoots.
 * 3. `settle` (exactly once, in `finally`) charges or refunds the
 *    difference between what was taken and Ollama's own counts (known at
 *    the end of a complete stream), returns unused reserved tokens, and
 *    frees the slots. When a call failed before its first message (and not
 *    for lack of budget), the input estimate is refunded too: it cost the
 *    caller nothing.
 */
import type { Principal } from "../auth/principal.js";
import { QuotaExceededError } from "./errors.js";
import { isEmptyPlan, type CallShape, type QuotaPlanner } from "./planner.js";
import type { CallPlan, PlannedLimit, QuotaStore } from "./types.js";

/** How a call ended, for settlement. */
export interface CallUsage {
  /** Messages delivered to the caller. */
  delivered: number;
  /** Ollama's input + output token count, when the call completed and reported it. */
  actualTokens?: number | undefined;
}

export class QuotaEnforcer {
  readonly #store: QuotaStore;
  readonly #planner: QuotaPlanner;
  readonly #tokenReserve: number;
  readonly #newLeaseId: () => string;

  constructor(store: QuotaStore, planner: QuotaPlanner, tokenReserve: number, newLeaseId: () => string) {
    this.#store = store;
    this.#planner = planner;
    this.#tokenReserve = tokenReserve;
    this.#newLeaseId = newLeaseId;
  }

  /**
   * Admits the call, or throws QuotaExceededError (or, fail-closed,
   * QuotaStoreUnavailableError). Undefined when no limit applies to it.
   * `estimatedInputTokens` is charged to token budgets up front.
   */
  async admit(principal: Principal, call: CallShape, estimatedInputTokens: number): Promise<CallQuota | undefined> {
    const plan = this.#planner.plan(principal, call);
    if (isEmptyPlan(plan)) return undefined;
    const upfront = plan.tokens.length > 0 ? Math.max(1, Math.ceil(estimatedInputTokens)) : 0;
    const leaseId = this.#newLeaseId();
    const verdict = await this.#store.admit(plan, upfront, leaseId);
    if (!verdict.ok) throw new QuotaExceededError(verdict.limit, verdict.retryAfterMs, false);
    return new CallQuota(this.#store, plan, leaseId, upfront, this.#tokenReserve);
  }
}

/** One admitted call's hold on its quotas. */
export class CallQuota {
  readonly #store: QuotaStore;
  readonly #plan: CallPlan;
  readonly #leaseId: string;
  readonly #reserveSize: number;
  /** Tokens reserved and not yet spent. */
  #allowance = 0;
  /** Tokens taken from the budgets so far: the upfront estimate plus every reservation. */
  #taken: number;
  #settled = false;
  /** The budget ran out mid-stream: the input estimate stays charged. */
  #exhausted = false;

  constructor(store: QuotaStore, plan: CallPlan, leaseId: string, upfront: number, reserveSize: number) {
    this.#store = store;
    this.#plan = plan;
    this.#leaseId = leaseId;
    this.#taken = upfront;
    this.#reserveSize = reserveSize;
  }

  /** True when output messages are metered (a token budget applies). */
  get metered(): boolean {
    return this.#plan.tokens.length > 0;
  }

  /**
   * Accounts one output token before it is delivered. Returns synchronously
   * while reserved tokens remain; otherwise reserves more, and rejects with
   * QuotaExceededError when the budget holds none.
   */
  spend(): void | Promise<void> {
    if (!this.metered) return;
    if (this.#allowance > 0) {
      this.#allowance -= 1;
      return;
    }
    return this.#reserveAndSpend();
  }

  async #reserveAndSpend(): Promise<void> {
    const grant = await this.#store.reserve(this.#plan.tokens, this.#reserveSize);
    if (grant.granted <= 0) {
      this.#exhausted = true;
      const limit = this.#plan.tokens[grant.bottleneck] ?? (this.#plan.tokens[0] as PlannedLimit);
      throw new QuotaExceededError(limit, grant.retryAfterMs, true);
    }
    this.#taken += grant.granted;
    this.#allowance = grant.granted - 1;
  }

  /** Settles token accounting and frees the slots. Later calls do nothing. Never throws (the store is guarded). */
  async settle(usage: CallUsage): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    const work: Array<Promise<void>> = [];
    if (this.#plan.slots.length > 0) work.push(this.#store.release(this.#plan.slots, this.#leaseId));
    if (this.metered) {
      let refund: number;
      if (usage.actualTokens !== undefined) refund = this.#taken - usage.actualTokens;
      else if (usage.delivered === 0 && !this.#exhausted) refund = this.#taken;
      else refund = this.#allowance;
      if (refund !== 0) work.push(this.#store.adjust(this.#plan.tokens, refund));
    }
    await Promise.all(work);
  }
}
