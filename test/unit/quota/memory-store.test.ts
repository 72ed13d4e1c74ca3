/** Token-bucket refill arithmetic of the memory store, on a fake clock (no real time passes). */
import { describe, expect, it } from "vitest";
import { MemoryQuotaStore } from "../../../src/quota/memory-store.js";
import { msUntil } from "../../../src/quota/token-bucket.js";
import type { CallPlan, PlannedLimit } from "../../../src/quota/types.js";

const bucket = (kind: PlannedLimit["kind"], capacity: number, perSecond: number): PlannedLimit => ({
  kind,
  key: `${kind}/k`,
  subject: "principal:p",
  description: "d",
  capacity,
  refillPerMs: perSecond / 1000,
});
const plan = (parts: Partial<CallPlan>): CallPlan => ({ requests: [], slots: [], tokens: [], ...parts });

function clocked() {
  let now = 1_000_000;
  return { store: new MemoryQuotaStore(() => now), advance: (ms: number) => (now += ms) };
}

describe("MemoryQuotaStore refill (fake clock)", () => {
  it("10/s with burst 10: ten at once, then one per 100 ms, never more than the burst after idling", async () => {
    const { store, advance } = clocked();
    const rate = bucket("request_rate", 10, 10);
    let admitted = 0;
    for (let i = 0; i < 15; i++) if ((await store.admit(plan({ requests: [rate] }), 0, `l${i}`)).ok) admitted++;
    expect(admitted).toBe(10);
    expect(await store.admit(plan({ requests: [rate] }), 0, "x")).toMatchObject({ ok: false, retryAfterMs: 100 });
    advance(99);
    expect(await store.admit(plan({ requests: [rate] }), 0, "x")).toMatchObject({ ok: false, retryAfterMs: 1 });
    advance(1);
    expect((await store.admit(plan({ requests: [rate] }), 0, "x")).ok).toBe(true);
    advance(60_000); // idle a minute: the bucket is full again, not overfull
    admitted = 0;
    for (let i = 0; i < 20; i++) if ((await store.admit(plan({ requests: [rate] }), 0, `m${i}`)).ok) admitted++;
    expect(admitted).toBe(10);
  });

  it("over any window of T ms a bucket admits at most burst + rate x T", async () => {
    const { store, advance } = clocked();
    const rate = bucket("request_rate", 5, 2); // 2/s, burst 5
    let admitted = 0;
    // 10 s of one attempt every 10 ms (1000 attempts): at most 5 + 2 x 10 = 25 pass.
    for (let i = 0; i < 1_000; i++) {
      if ((await store.admit(plan({ requests: [rate] }), 0, `l${i}`)).ok) admitted++;
      advance(10);
    }
    expect(admitted).toBeLessThanOrEqual(25);
    expect(admitted).toBeGreaterThanOrEqual(24);
  });

  it("tokens per minute refill continuously: 600/min is 10 tokens a second", async () => {
    const { store, advance } = clocked();
    const tokens = bucket("tokens_per_minute", 600, 10);
    expect(await store.reserve([tokens], 1_000)).toMatchObject({ granted: 600 });
    expect(await store.reserve([tokens], 1)).toMatchObject({ granted: 0, retryAfterMs: 100 });
    advance(1_000);
    expect(await store.reserve([tokens], 1_000)).toMatchObject({ granted: 10 });
  });

  it("debt is repaid by refill before anything is granted", async () => {
    const { store, advance } = clocked();
    const tokens = bucket("tokens_per_minute", 60, 1);
    await store.adjust([tokens], -70); // level -10
    expect(await store.admit(plan({ tokens: [tokens] }), 5, "a")).toMatchObject({ ok: false, retryAfterMs: 15_000 });
    advance(15_000);
    expect((await store.admit(plan({ tokens: [tokens] }), 5, "a")).ok).toBe(true);
  });

  it("a bucket refilled to capacity behaves like a new one", async () => {
    const { store, advance } = clocked();
    const rate = bucket("request_rate", 1, 1);
    await store.admit(plan({ requests: [rate] }), 0, "a");
    advance(1_000);
    await store.adjust([rate], 0);
    expect((await store.admit(plan({ requests: [rate] }), 0, "b")).ok).toBe(true);
  });
});

describe("msUntil", () => {
  it.each([
    { level: 0, wanted: 1, perMs: 1 / 3_600_000, expected: 3_600_000 },
    { level: 0.5, wanted: 1, perMs: 0.01, expected: 50 },
    { level: -10, wanted: 5, perMs: 0.001, expected: 15_000 },
    { level: 2, wanted: 1, perMs: 0.001, expected: 0 },
  ])("level $level wanting $wanted -> $expected ms", ({ level, wanted, perMs, expected }) => {
    expect(msUntil(level, wanted, perMs)).toBe(expected);
  });
});
