/**
 * The QuotaStore contract, run against both stores: the memory store and the
 * Redis store on a real redis-server. Refill rates are one token an hour, so
 * the little real time a test takes never changes a count (refill arithmetic
 * itself is tested on a fake clock in test/unit/quota/memory-store.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryQuotaStore } from "../../src/quota/memory-store.js";
import { RedisQuotaStore } from "../../src/quota/redis-store.js";
import type { CallPlan, PlannedLimit, QuotaStore } from "../../src/quota/types.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";

const PER_HOUR = 1 / 3_600_000;
let redis: TestRedis;
let run = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** Each test gets fresh keys. */
function limits() {
  run += 1;
  const bucket = (kind: PlannedLimit["kind"], name: string, capacity: number): PlannedLimit => ({
    kind,
    key: `${kind}/${name}/${run}`,
    subject: name,
    description: `${capacity} ${kind}`,
    capacity,
    refillPerMs: kind === "concurrent_streams" ? 0 : PER_HOUR,
  });
  return {
    rate: (name: string, capacity: number) => bucket("request_rate", name, capacity),
    slots: (name: string, capacity: number) => bucket("concurrent_streams", name, capacity),
    tokens: (name: string, capacity: number) => bucket("tokens_per_minute", name, capacity),
  };
}

const plan = (parts: Partial<CallPlan>): CallPlan => ({ requests: [], slots: [], tokens: [], ...parts });

type Factory = () => Promise<QuotaStore & { close(): Promise<void> }>;
const stores: Array<[string, Factory]> = [
  ["memory", async () => new MemoryQuotaStore()],
  [
    "redis",
    async () => {
      const store = new RedisQuotaStore({ url: redis.url, keyPrefix: "test", timeoutMs: 1_000, leaseTtlMs: 30_000 });
      expect(await store.connect(5_000)).toBe(true);
      return store;
    },
  ],
];

describe.each(stores)("QuotaStore contract: %s", (_name, create) => {
  it("a request bucket admits its burst, then refuses with the time to the next token", async () => {
    const store = await create();
    const l = limits();
    const rate = l.rate("alice", 3);
    for (let i = 0; i < 3; i++) expect(await store.admit(plan({ requests: [rate] }), 0, `lease-${i}`)).toEqual({ ok: true });
    const refused = await store.admit(plan({ requests: [rate] }), 0, "lease-4");
    expect(refused).toMatchObject({ ok: false, limit: { key: rate.key } });
    const retryAfterMs = (refused as { retryAfterMs: number }).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(3_590_000);
    expect(retryAfterMs).toBeLessThanOrEqual(3_600_000);
    await store.close();
  });

  it("admission is all or nothing: a refusal by one limit takes nothing from the others", async () => {
    const store = await create();
    const l = limits();
    const rate = l.rate("r", 5);
    const tokens = l.tokens("t", 10);
    expect(await store.admit(plan({ requests: [rate], tokens: [tokens] }), 8, "a")).toEqual({ ok: true });
    expect(await store.admit(plan({ requests: [rate], tokens: [tokens] }), 8, "b")).toMatchObject({ ok: false, limit: { key: tokens.key } });
    // The rate bucket still holds 4 (only the first call took from it).
    for (let i = 0; i < 4; i++) expect(await store.admit(plan({ requests: [rate] }), 0, `c${i}`)).toEqual({ ok: true });
    expect(await store.admit(plan({ requests: [rate] }), 0, "d")).toMatchObject({ ok: false });
    await store.close();
  });

  it("slots: at most capacity leases; release frees one and is idempotent", async () => {
    const store = await create();
    const slots = limits().slots("s", 2);
    expect(await store.admit(plan({ slots: [slots] }), 0, "one")).toEqual({ ok: true });
    expect(await store.admit(plan({ slots: [slots] }), 0, "two")).toEqual({ ok: true });
    expect(await store.admit(plan({ slots: [slots] }), 0, "three")).toMatchObject({ ok: false, limit: { kind: "concurrent_streams" }, retryAfterMs: 1_000 });
    await store.release([slots], "one");
    await store.release([slots], "one");
    expect(await store.admit(plan({ slots: [slots] }), 0, "four")).toEqual({ ok: true });
    expect(await store.admit(plan({ slots: [slots] }), 0, "five")).toMatchObject({ ok: false });
    await store.close();
  });

  it("reservations grant what the lowest bucket holds, then nothing, naming the bucket that ran out", async () => {
    const store = await create();
    const l = limits();
    const wide = l.tokens("wide", 100);
    const narrow = l.tokens("narrow", 10);
    expect(await store.reserve([wide, narrow], 4)).toMatchObject({ granted: 4 });
    expect(await store.reserve([wide, narrow], 16)).toMatchObject({ granted: 6 });
    const empty = await store.reserve([wide, narrow], 16);
    expect(empty).toMatchObject({ granted: 0, bottleneck: 1 });
    expect(empty.retryAfterMs).toBeGreaterThan(3_590_000);
    // The wide bucket was charged the same 10.
    expect(await store.reserve([wide], 100)).toMatchObject({ granted: 90 });
    await store.close();
  });

  it("adjust: a negative delta is debt that blocks admission; refunds never exceed capacity", async () => {
    const store = await create();
    const tokens = limits().tokens("t", 10);
    await store.adjust([tokens], -15); // level -5
    expect(await store.admit(plan({ tokens: [tokens] }), 1, "a")).toMatchObject({ ok: false });
    await store.adjust([tokens], 6); // level 1
    expect(await store.admit(plan({ tokens: [tokens] }), 1, "b")).toEqual({ ok: true });
    await store.adjust([tokens], 1_000); // capped at 10
    expect(await store.reserve([tokens], 50)).toMatchObject({ granted: 10 });
    await store.close();
  });

  it("a call asking for more tokens than the bucket holds needs a full bucket (and leaves debt)", async () => {
    const store = await create();
    const tokens = limits().tokens("t", 10);
    expect(await store.admit(plan({ tokens: [tokens] }), 25, "big")).toEqual({ ok: true });
    expect(await store.admit(plan({ tokens: [tokens] }), 1, "next")).toMatchObject({ ok: false });
    await store.close();
  });
});

describe("RedisQuotaStore leases", () => {
  it("a replica that dies without releasing frees its slots after the lease TTL; a live one keeps them", async () => {
    const slots = limits().slots("s", 1);
    const live = new RedisQuotaStore({ url: redis.url, keyPrefix: "lease", timeoutMs: 1_000, leaseTtlMs: 300 });
    const dying = new RedisQuotaStore({ url: redis.url, keyPrefix: "lease", timeoutMs: 1_000, leaseTtlMs: 300 });
    const other = new RedisQuotaStore({ url: redis.url, keyPrefix: "lease", timeoutMs: 1_000, leaseTtlMs: 300 });
    await Promise.all([live.connect(5_000), dying.connect(5_000), other.connect(5_000)]);
    const renewed = limits().slots("renewed", 1);
    expect(await live.admit(plan({ slots: [renewed] }), 0, "held")).toEqual({ ok: true });
    expect(await dying.admit(plan({ slots: [slots] }), 0, "orphan")).toEqual({ ok: true });
    await dying.close(); // no release, no renewals: the lease is an orphan
    expect(await other.admit(plan({ slots: [slots] }), 0, "x")).toMatchObject({ ok: false });
    // Bounded wait for the TTL (300 ms) to pass; the live lease is renewed every 100 ms meanwhile.
    const deadline = performance.now() + 3_000;
    let freed = false;
    while (!freed && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      freed = (await other.admit(plan({ slots: [slots] }), 0, "x")).ok;
    }
    expect(freed).toBe(true);
    expect(await other.admit(plan({ slots: [renewed] }), 0, "y")).toMatchObject({ ok: false });
    await live.release([renewed], "held");
    expect(await other.admit(plan({ slots: [renewed] }), 0, "y")).toEqual({ ok: true });
    await Promise.all([live.close(), other.close()]);
  });

  it("with Redis unreachable, operations reject fast instead of queueing", async () => {
    const store = new RedisQuotaStore({ url: "redis://127.0.0.1:1", keyPrefix: "down", timeoutMs: 200, leaseTtlMs: 30_000 });
    expect(await store.connect(300)).toBe(false);
    const startedAt = performance.now();
    await expect(store.admit(plan({ requests: [limits().rate("r", 1)] }), 0, "a")).rejects.toThrow();
    expect(performance.now() - startedAt).toBeLessThan(250);
    await store.close();
  });
});
