/**
 * Builds the quota enforcer from the configuration: the planner, the store
 * (memory, or Redis shared by the replicas) and the failure policy around it.
 */
import { randomUUID } from "node:crypto";
import { quotasConfigured, type LimitSpec, type QuotaSettings } from "../config/quota-schema.js";
import { QuotaEnforcer } from "./enforcer.js";
import { GuardedQuotaStore, type StoreOperation } from "./guarded-store.js";
import { MemoryQuotaStore } from "./memory-store.js";
import { QuotaPlanner } from "./planner.js";
import { RedisQuotaStore } from "./redis-store.js";

/** What the quota machinery reports (logs, metrics). */
export interface QuotaHooks {
  onStoreError(operation: StoreOperation, error: unknown): void;
  /** The shared store's connection broke (once per outage). */
  onConnectionLost(error: Error): void;
  /** It is back. */
  onConnectionRestored(): void;
}

/** A running enforcer and how to stop it. */
export interface QuotaRuntime {
  enforcer: QuotaEnforcer;
  store: "memory" | "redis";
  /** False when the Redis store could not connect at start-up (it keeps trying; the fail policy applies meanwhile). */
  connected: boolean;
  close(): Promise<void>;
}

/** How long start-up waits for Redis before going on without it. */
const CONNECT_WAIT_MS = 2_000;

/**
 * Undefined when no limit is configured anywhere (no middleware then).
 * Throws when the Redis URL's environment variable is unset.
 */
export async function createQuotaRuntime(
  settings: QuotaSettings,
  /** Limits carried by principals (API keys, SPIFFE identities). */
  principalLimits: readonly (LimitSpec | undefined)[],
  env: NodeJS.ProcessEnv,
  hooks: QuotaHooks,
): Promise<QuotaRuntime | undefined> {
  if (!quotasConfigured(settings, principalLimits)) return undefined;
  const planner = new QuotaPlanner(settings);
  if (settings.store === "memory") {
    const store = new GuardedQuotaStore(new MemoryQuotaStore(), settings.onStoreError, hooks.onStoreError);
    return { enforcer: new QuotaEnforcer(store, planner, settings.tokenReserve, randomUUID), store: "memory", connected: true, close: () => store.close() };
  }
  const url = settings.redis.url ?? env[settings.redis.urlEnv ?? ""];
  if (url === undefined || url === "") {
    throw new Error(`quotas.redis.url_env: environment variable ${settings.redis.urlEnv} is not set (it must hold the Redis URL)`);
  }
  const redis = new RedisQuotaStore({
    url,
    keyPrefix: settings.redis.keyPrefix,
    timeoutMs: settings.redis.timeoutMs,
    leaseTtlMs: settings.redis.leaseTtlMs,
    onConnectionError: hooks.onConnectionLost,
    onReady: hooks.onConnectionRestored,
  });
  const connected = await redis.connect(Math.max(CONNECT_WAIT_MS, settings.redis.timeoutMs));
  const store = new GuardedQuotaStore(redis, settings.onStoreError, hooks.onStoreError);
  return { enforcer: new QuotaEnforcer(store, planner, settings.tokenReserve, randomUUID), store: "redis", connected, close: () => store.close() };
}
