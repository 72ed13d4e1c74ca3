/** Validation of the `quotas` section and of API key limits: every problem names its field. */
import { describe, expect, it } from "vitest";
import { parseQuotaConfig } from "../../../src/config/quota-schema.js";

function problemsOf(raw: unknown): string[] {
  const problems: string[] = [];
  parseQuotaConfig(raw, (text) => problems.push(text));
  return problems;
}

describe("parseQuotaConfig", () => {
  it("defaults: memory store, fail-open, nothing limited", () => {
    const problems: string[] = [];
    expect(parseQuotaConfig(undefined, (t) => problems.push(t))).toEqual({
      store: "memory",
      redis: { url: undefined, urlEnv: undefined, keyPrefix: "ollama-grpc", timeoutMs: 250, leaseTtlMs: 30_000 },
      onStoreError: "open",
      tokenReserve: 16,
      perPrincipal: {},
      perModel: [],
    });
    expect(problems).toEqual([]);
  });

  it("rates in several units", () => {
    const problems: string[] = [];
    const parsed = parseQuotaConfig({ per_principal: { request_rate: "600 / m", burst: 20 } }, (t) => problems.push(t));
    expect(problems).toEqual([]);
    expect(parsed.perPrincipal).toEqual({ requestRate: { perSecond: 10, text: "600/m" }, burst: 20 });
  });

  it.each([
    { raw: { store: "etcd" }, problem: 'quotas.store: expected one of memory, redis, got "etcd"' },
    { raw: { store: "redis" }, problem: "quotas.redis: store is redis, so quotas.redis.url or quotas.redis.url_env is required" },
    { raw: { store: "redis", redis: { url: "http://user:hunter2@h" } }, problem: "quotas.redis.url: expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0" },
    { raw: { store: "redis", redis: { url: "redis://h", url_env: "R" } }, problem: "quotas.redis: expected only one of url or url_env" },
    { raw: { redis: { lease_ttl: "1s" } }, problem: "quotas.redis.lease_ttl: at least 3s (slots are renewed every third of it)" },
    { raw: { on_store_error: "maybe" }, problem: 'quotas.on_store_error: expected one of open, closed, got "maybe"' },
    { raw: { per_principal: { request_rate: "10 per second" } }, problem: 'quotas.per_principal.request_rate: expected a rate such as 10/s, 600/m or 1000/h (or none), got "10 per second"' },
    { raw: { per_principal: { burst: 5 } }, problem: "quotas.per_principal.burst: only meaningful with request_rate" },
    { raw: { per_principal: { concurrent_streams: 0 } }, problem: "quotas.per_principal.concurrent_streams: expected an integer between 1 and 1000000000, got 0" },
    { raw: { per_principal: { tokens: 5 } }, problem: "quotas.per_principal.tokens: unknown setting (expected one of request_rate, burst, concurrent_streams, tokens_per_minute)" },
    { raw: { per_model: [{ model: "x" }] }, problem: "quotas.per_model[0]: sets no limit (expected request_rate, concurrent_streams or tokens_per_minute)" },
    { raw: { per_model: [{ model: "x", per: "tenant", concurrent_streams: 1 }] }, problem: 'quotas.per_model[0].per: expected one of principal, all, got "tenant"' },
    {
      raw: { per_model: [{ model: "Phi*", request_rate: "1/s" }, { model: "phi*", per: "principal", concurrent_streams: 1 }] },
      problem: "quotas.per_model[1]: same model and per as quotas.per_model[0] (they would share one budget; merge them)",
    },
    { raw: { token_reserve: 0 }, problem: "quotas.token_reserve: expected an integer between 1 and 10000, got 0" },
  ])("$problem", ({ raw, problem }) => {
    expect(problemsOf(raw)).toEqual([problem]);
  });

  it("never echoes a Redis URL (it may hold a password)", () => {
    const problems = problemsOf({ store: "redis", redis: { url: "redis//:hunter2@cache:6379" } });
    expect(problems).toHaveLength(1);
    expect(problems.join()).not.toContain("hunter2");
  });
});
