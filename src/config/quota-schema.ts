/**
 * The `quotas` section: per-principal and per-model limits (request rate,
 * concurrent streams, tokens per minute), where their state lives (memory or
 * Redis) and what happens when that store fails. Also the limit set an API
 * key may carry (`auth.api_keys[].limits`), which overrides the per-principal
 * defaults field by field. Like the other sections, problems name their
 * field path and unknown keys are rejected; the Redis URL (it may hold a
 * password) is never echoed.
 */
import { Fields, show, type Raw } from "./fields.js";

/** A request rate, as configured ("10/s", "600/m", "1000/h"). */
export interface Rate {
  perSecond: number;
  /** The configured text, for messages and QuotaFailure descriptions. */
  text: string;
}

/**
 * One set of limits. `undefined` means "not set here" (inherit); `null`
 * (the value `none` in the file) means "explicitly unlimited", which lets an
 * API key lift a default.
 */
export interface LimitSpec {
  requestRate?: Rate | null;
  /** Bucket size of the request rate; defaults to one second's worth (at least 1). */
  burst?: number;
  concurrentStreams?: number | null;
  tokensPerMinute?: number | null;
}

/** Whose budget a per-model rule counts against. */
export type RuleScope = "principal" | "all";

/** Limits on calls naming a model that matches `model` (a glob, like auth's model globs). */
export interface ModelRule {
  model: string;
  /** "principal": each caller has its own budget for these models; "all": one budget shared by every caller. */
  per: RuleScope;
  limits: LimitSpec;
}

/** The validated `quotas` section. Durations in ms. */
export interface QuotaSettings {
  store: "memory" | "redis";
  redis: RedisSettings;
  /** On a store failure: "open" admits the call (and counts it), "closed" rejects it with UNAVAILABLE. */
  onStoreError: "open" | "closed";
  /** Tokens a stream takes from the shared budget at a time (fewer store round trips; unused ones are returned). */
  tokenReserve: number;
  /** Each principal's limits (API keys may override them). */
  perPrincipal: LimitSpec;
  perModel: ModelRule[];
}

/** Where the shared state lives when `store` is "redis". */
export interface RedisSettings {
  /** redis:// or rediss:// URL, or undefined when `urlEnv` names it. */
  url: string | undefined;
  /** Environment variable holding the URL (keeps a password out of the file). */
  urlEnv: string | undefined;
  /** Prefix of every key the gateway writes. */
  keyPrefix: string;
  /** Longest a quota decision waits for Redis before the fail policy applies. */
  timeoutMs: number;
  /** A stream slot not renewed for this long is freed (a replica that died cannot hold slots forever). */
  leaseTtlMs: number;
}

/** The defaults, in the file format. */
export const QUOTA_DEFAULTS = {
  store: "memory",
  redis: { key_prefix: "ollama-grpc", timeout: "250ms", lease_ttl: "30s" },
  on_store_error: "open",
  token_reserve: 16,
  per_principal: {},
  per_model: [],
} as const;

const SECTION_KEYS = ["store", "redis", "on_store_error", "token_reserve", "per_principal", "per_model"];
const REDIS_KEYS = ["url", "url_env", "key_prefix", "timeout", "lease_ttl"];
const LIMIT_KEYS = ["request_rate", "burst", "concurrent_streams", "tokens_per_minute"];
const RULE_KEYS = ["model", "per", ...LIMIT_KEYS];
const RATE = /^(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };
/** Largest count a limit may hold (keeps Lua doubles exact). */
const MAX_COUNT = 1_000_000_000;

/**
 * Validates the `quotas` section (undefined: all defaults). Calls `problem`
 * once per invalid field and returns usable settings regardless.
 */
export function parseQuotaConfig(raw: unknown, problem: (text: string) => void): QuotaSettings {
  const p = new Fields(problem);
  const section = raw === undefined || raw === null ? {} : p.mapping(raw, "quotas");
  p.keys(section, "quotas.", SECTION_KEYS);
  const redis = section.redis === undefined ? {} : p.mapping(section.redis, "quotas.redis");
  p.keys(redis, "quotas.redis.", REDIS_KEYS);
  const settings: QuotaSettings = {
    store: p.choice(section.store ?? QUOTA_DEFAULTS.store, "quotas.store", ["memory", "redis"] as const),
    redis: parseRedis(p, redis),
    onStoreError: p.choice(section.on_store_error ?? QUOTA_DEFAULTS.on_store_error, "quotas.on_store_error", ["open", "closed"] as const),
    tokenReserve: p.int(section.token_reserve ?? QUOTA_DEFAULTS.token_reserve, "quotas.token_reserve", 1, 10_000),
    perPrincipal: parseLimitSpec(p, section.per_principal ?? {}, "quotas.per_principal"),
    perModel: p.list(section.per_model ?? [], "quotas.per_model", (entry, path) => parseRule(p, entry, path)),
  };
  const seen = new Map<string, number>();
  settings.perModel.forEach((rule, i) => {
    const key = `${rule.model.toLowerCase()} per ${rule.per}`;
    const first = seen.get(key);
    if (rule.model !== "" && first !== undefined) {
      p.problem(`quotas.per_model[${i}]: same model and per as quotas.per_model[${first}] (they would share one budget; merge them)`);
    }
    seen.set(key, first ?? i);
  });
  if (settings.store === "redis" && settings.redis.url === undefined && settings.redis.urlEnv === undefined && p.clean("quotas.redis")) {
    p.problem("quotas.redis: store is redis, so quotas.redis.url or quotas.redis.url_env is required");
  }
  return settings;
}

/** Validates one limit set (`quotas.per_principal`, a per-model rule, or `auth.api_keys[].limits`). */
export function parseLimits(raw: unknown, path: string, problem: (text: string) => void): LimitSpec {
  return parseLimitSpec(new Fields(problem), raw, path);
}

/** True when the set limits nothing. */
export function isUnlimited(spec: LimitSpec): boolean {
  return spec.requestRate == null && spec.concurrentStreams == null && spec.tokensPerMinute == null;
}

/** True when a call could be limited at all (some limit is configured somewhere). */
export function quotasConfigured(settings: QuotaSettings, keyLimits: readonly (LimitSpec | undefined)[]): boolean {
  return !isUnlimited(settings.perPrincipal) || settings.perModel.length > 0 || keyLimits.some((l) => l !== undefined && !isUnlimited(l));
}

function parseRedis(p: Fields, redis: Raw): RedisSettings {
  if (redis.url !== undefined && redis.url_env !== undefined) p.problem("quotas.redis: expected only one of url or url_env");
  return {
    url: redis.url === undefined ? undefined : redisUrl(p, redis.url, "quotas.redis.url"),
    urlEnv: redis.url_env === undefined ? undefined : p.envName(redis.url_env, "quotas.redis.url_env"),
    keyPrefix: p.word(redis.key_prefix ?? QUOTA_DEFAULTS.redis.key_prefix, "quotas.redis.key_prefix"),
    timeoutMs: p.positive(p.duration(redis.timeout ?? QUOTA_DEFAULTS.redis.timeout, "quotas.redis.timeout"), "quotas.redis.timeout"),
    leaseTtlMs: atLeast(p, p.duration(redis.lease_ttl ?? QUOTA_DEFAULTS.redis.lease_ttl, "quotas.redis.lease_ttl"), 3_000, "quotas.redis.lease_ttl"),
  };
}

/** Checks a Redis URL without ever echoing it (it may carry a password). */
export function redisUrl(p: Fields, value: unknown, path: string): string {
  if (typeof value === "string") {
    try {
      const url = new URL(value);
      if ((url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname !== "") return value;
    } catch {
      // reported below
    }
  }
  p.problem(`${path}: expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0`);
  return "";
}

function parseRule(p: Fields, raw: unknown, path: string): ModelRule {
  const fields = p.mapping(raw, path);
  p.keys(fields, `${path}.`, RULE_KEYS);
  const limits = parseLimitSpec(p, Object.fromEntries(Object.entries(fields).filter(([key]) => LIMIT_KEYS.includes(key))), path, true);
  if (isUnlimited(limits) && p.clean(path)) p.problem(`${path}: sets no limit (expected request_rate, concurrent_streams or tokens_per_minute)`);
  return {
    model: p.word(fields.model, `${path}.model`),
    per: p.choice(fields.per ?? "principal", `${path}.per`, ["principal", "all"] as const),
    limits,
  };
}

function parseLimitSpec(p: Fields, raw: unknown, path: string, keysChecked = false): LimitSpec {
  const fields = p.mapping(raw, path);
  if (!keysChecked) p.keys(fields, `${path}.`, LIMIT_KEYS);
  const spec: LimitSpec = {};
  if (fields.request_rate !== undefined) spec.requestRate = orNone(fields.request_rate, () => rate(p, fields.request_rate, `${path}.request_rate`));
  if (fields.burst !== undefined) {
    spec.burst = p.int(fields.burst, `${path}.burst`, 1, MAX_COUNT);
    if (fields.request_rate === undefined || fields.request_rate === "none") p.problem(`${path}.burst: only meaningful with request_rate`);
  }
  if (fields.concurrent_streams !== undefined) {
    spec.concurrentStreams = orNone(fields.concurrent_streams, () => p.int(fields.concurrent_streams, `${path}.concurrent_streams`, 1, MAX_COUNT));
  }
  if (fields.tokens_per_minute !== undefined) {
    spec.tokensPerMinute = orNone(fields.tokens_per_minute, () => p.int(fields.tokens_per_minute, `${path}.tokens_per_minute`, 1, MAX_COUNT));
  }
  return spec;
}

function orNone<T>(value: unknown, parse: () => T): T | null {
  return value === "none" ? null : parse();
}

function rate(p: Fields, value: unknown, path: string): Rate {
  const match = typeof value === "string" ? RATE.exec(value.trim()) : null;
  const perSecond = match === null ? 0 : Number(match[1]) / (UNIT_SECONDS[match[2] as string] as number);
  if (match !== null && perSecond > 0 && perSecond <= MAX_COUNT) return { perSecond, text: (value as string).replace(/\s+/g, "") };
  p.problem(`${path}: expected a rate such as 10/s, 600/m or 1000/h (or none), got ${show(value)}`);
  return { perSecond: 1, text: "1/s" };
}

function atLeast(p: Fields, ms: number, min: number, path: string): number {
  if (ms >= min) return ms;
  if (p.clean(path)) p.problem(`${path}: at least ${min / 1000}s (slots are renewed every third of it)`);
  return min;
}
