/**
 * QuotaStore in Redis, shared by every replica: each operation is one Lua
 * script (redis-scripts.ts), atomic over all the limits it names, timed by
 * Redis's clock. A call's slots are leases: renewed every third of the lease
 * TTL while the call runs, so a replica that dies frees its slots within one
 * TTL.
 *
 * Failure contract: commands fail fast (no offline queue, no retries, a
 * per-command timeout) and reject; the caller (GuardedQuotaStore) applies
 * the fail-open / fail-closed policy. The client reconnects by itself with
 * capped backoff. Nothing here throws outside a returned promise, and a
 * connection error never crashes the process.
 */
import { Redis } from "ioredis";
import { ADJUST_SCRIPT, ADMIT_SCRIPT, RENEW_SCRIPT, RESERVE_SCRIPT } from "./redis-scripts.js";
import type { CallPlan, Grant, PlannedLimit, QuotaStore, Verdict } from "./types.js";

/** Connection settings. */
export interface RedisStoreOptions {
  url: string;
  /** Prefix of every key (a ":" is appended). */
  keyPrefix: string;
  /** Per-command timeout, also the connect timeout. */
  timeoutMs: number;
  leaseTtlMs: number;
  /** Connection trouble, for logs (called at most once per state change). */
  onConnectionError?: (error: Error) => void;
  onReady?: () => void;
}

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;

type ScriptName = "quotaAdmit" | "quotaReserve" | "quotaAdjust" | "quotaRenew";
type ScriptCall = (numKeys: number, ...keysAndArgs: Array<string | number>) => Promise<unknown>;

export class RedisQuotaStore implements QuotaStore {
  readonly #redis: Redis;
  readonly #leaseTtlMs: number;
  /** Leases held by calls running on this replica, with their slot keys, renewed together. */
  readonly #leases = new Map<string, string[]>();
  #renewTimer: NodeJS.Timeout | undefined;

  constructor(options: RedisStoreOptions) {
    this.#leaseTtlMs = options.leaseTtlMs;
    this.#redis = new Redis(options.url, {
      keyPrefix: `${options.keyPrefix}:`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(options.timeoutMs, 1_000),
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), MAX_RECONNECT_DELAY_MS),
      lazyConnect: true,
    });
    let failing = false;
    this.#redis.on("error", (error: Error) => {
      if (!failing) options.onConnectionError?.(error);
      failing = true;
    });
    this.#redis.on("ready", () => {
      if (failing) options.onReady?.();
      failing = false;
    });
    this.#redis.defineCommand("quotaAdmit", { lua: ADMIT_SCRIPT });
    this.#redis.defineCommand("quotaReserve", { lua: RESERVE_SCRIPT });
    this.#redis.defineCommand("quotaAdjust", { lua: ADJUST_SCRIPT });
    this.#redis.defineCommand("quotaRenew", { lua: RENEW_SCRIPT });
  }

  /**
   * Connects, waiting at most `waitMs`. Resolves false (and keeps trying in
   * the background) when Redis is not reachable yet: the gateway starts
   * anyway and the fail policy covers the gap.
   */
  async connect(waitMs: number): Promise<boolean> {
    const connected = this.#redis.connect().then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      return await Promise.race([connected, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async admit(plan: CallPlan, tokens: number, leaseId: string): Promise<Verdict> {
    const limits = [...plan.requests, ...plan.slots, ...plan.tokens];
    const args: Array<string | number> = [plan.requests.length, plan.slots.length, plan.tokens.length, tokens, leaseId, this.#leaseTtlMs];
    for (const l of plan.requests) args.push(l.capacity, l.refillPerMs);
    for (const l of plan.slots) args.push(l.capacity);
    for (const l of plan.tokens) args.push(l.capacity, l.refillPerMs);
    const reply = (await this.#script("quotaAdmit")(limits.length, ...limits.map((l) => l.key), ...args)) as [number, number?, string?];
    if (reply[0] === 1) {
      if (plan.slots.length > 0) this.#hold(leaseId, plan.slots.map((l) => l.key));
      return { ok: true };
    }
    const limit = limits[(reply[1] ?? 1) - 1] as PlannedLimit;
    return { ok: false, limit, retryAfterMs: Number(reply[2] ?? 0) };
  }

  async reserve(buckets: readonly PlannedLimit[], want: number): Promise<Grant> {
    const reply = (await this.#script("quotaReserve")(buckets.length, ...buckets.map((l) => l.key), want, ...shapes(buckets))) as [number, string, number];
    return { granted: reply[0], retryAfterMs: Number(reply[1]), bottleneck: reply[2] - 1 };
  }

  async adjust(buckets: readonly PlannedLimit[], delta: number): Promise<void> {
    if (buckets.length === 0 || delta === 0) return;
    await this.#script("quotaAdjust")(buckets.length, ...buckets.map((l) => l.key), delta, ...shapes(buckets));
  }

  async release(slots: readonly PlannedLimit[], leaseId: string): Promise<void> {
    this.#leases.delete(leaseId);
    if (this.#leases.size === 0) this.#stopRenewing();
    if (slots.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const slot of slots) pipeline.zrem(slot.key, leaseId);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  }

  async close(): Promise<void> {
    this.#stopRenewing();
    this.#leases.clear();
    // quit() waits for pending replies; disconnect() when the connection is not usable.
    if (this.#redis.status === "ready") await this.#redis.quit().catch(() => this.#redis.disconnect());
    else this.#redis.disconnect();
  }

  #script(name: ScriptName): ScriptCall {
    return (this.#redis as unknown as Record<ScriptName, ScriptCall>)[name].bind(this.#redis);
  }

  #hold(leaseId: string, keys: string[]): void {
    this.#leases.set(leaseId, keys);
    this.#renewTimer ??= setInterval(() => this.#renewAll(), Math.floor(this.#leaseTtlMs / 3)).unref();
  }

  #stopRenewing(): void {
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  /** One round trip renews every lease this replica holds. A failed renewal is retried on the next tick. */
  #renewAll(): void {
    if (this.#redis.status !== "ready") return;
    const pipeline = this.#redis.pipeline() as unknown as Record<"quotaRenew", (...args: Array<string | number>) => unknown> & { exec(): Promise<unknown> };
    for (const [leaseId, keys] of this.#leases) pipeline.quotaRenew(keys.length, ...keys, leaseId, this.#leaseTtlMs);
    pipeline.exec().catch(() => {});
  }
}

function shapes(buckets: readonly PlannedLimit[]): number[] {
  return buckets.flatMap((l) => [l.capacity, l.refillPerMs]);
}
