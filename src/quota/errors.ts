/**
 * Typed quota outcomes, converted to gRPC statuses by the quota middleware
 * (src/middleware/quotas.ts) and nowhere else.
 */
import type { PlannedLimit } from "./types.js";

/** A limit refused the call at admission, or a stream's token budget ran out. */
export class QuotaExceededError extends Error {
  readonly limit: PlannedLimit;
  readonly retryAfterMs: number;
  /** True when the budget ran out while the call was streaming (it was admitted). */
  readonly midStream: boolean;

  constructor(limit: PlannedLimit, retryAfterMs: number, midStream: boolean) {
    super(`${limit.subject}: ${limit.description} exceeded`);
    this.name = "QuotaExceededError";
    this.limit = limit;
    this.retryAfterMs = retryAfterMs;
    this.midStream = midStream;
  }
}

/** The shared quota store failed and the policy is fail-closed. */
export class QuotaStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super("quota store unavailable", { cause });
    this.name = "QuotaStoreUnavailableError";
  }
}
