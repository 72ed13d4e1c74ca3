/** One call's quota life: admission, metering before delivery, settlement; and the store failure policy. */
import { describe, expect, it } from "vitest";
import { ANONYMOUS } from "../../../src/auth/principal.js";
import { QuotaEnforcer, type CallQuota } from "../../../src/quota/enforcer.js";
import { QuotaExceededError, QuotaStoreUnavailableError } from "../../../src/quota/errors.js";
import { estimateInputTokens } from "../../../src/quota/estimate.js";
import { GuardedQuotaStore, type StoreOperation } from "../../../src/quota/guarded-store.js";
import { MemoryQuotaStore } from "../../../src/quota/memory-store.js";
import { QuotaPlanner } from "../../../src/quota/planner.js";
import type { QuotaStore } from "../../../src/quota/types.js";
import { quotasFrom } from "../../support/quotas.js";

const CHAT = { model: "m", streaming: true, countsTokens: true };

function enforcer(perPrincipal: Record<string, unknown>, store: QuotaStore = new MemoryQuotaStore(() => 0), reserve = 4) {
  let lease = 0;
  return new QuotaEnforcer(store, new QuotaPlanner(quotasFrom({ per_principal: perPrincipal })), reserve, () => `lease-${++lease}`);
}

/** Spends until the budget refuses; returns how many tokens were paid for. */
async function spendAll(quota: CallQuota, max: number): Promise<{ paid: number; error: unknown }> {
  for (let paid = 0; paid < max; paid++) {
    try {
      const pending = quota.spend();
      if (pending !== undefined) await pending;
    } catch (error) {
      return { paid, error };
    }
  }
  return { paid: max, error: undefined };
}

describe("QuotaEnforcer and CallQuota", () => {
  it("no limit configured for the call: nothing to hold", async () => {
    expect(await enforcer({ concurrent_streams: 1 }).admit(ANONYMOUS, { model: undefined, streaming: false, countsTokens: false }, 0)).toBeUndefined();
  });

  it("a stream pays for each token before delivery and is refused exactly at the budget (no overshoot)", async () => {
    const e = enforcer({ tokens_per_minute: 50 });
    const quota = (await e.admit(ANONYMOUS, CHAT, 10)) as CallQuota;
    const { paid, error } = await spendAll(quota, 1_000);
    expect(paid).toBe(40);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ midStream: true, limit: { kind: "tokens_per_minute" } });
  });

  it("most tokens are paid synchronously: one store round trip per reservation", async () => {
    const memory = new MemoryQuotaStore(() => 0);
    let reservations = 0;
    const counting: QuotaStore = {
      admit: (p, t, l) => memory.admit(p, t, l),
      reserve: (b, w) => ((reservations += 1), memory.reserve(b, w)),
      adjust: (b, d) => memory.adjust(b, d),
      release: (s, l) => memory.release(s, l),
      close: () => memory.close(),
    };
    const quota = (await enforcer({ tokens_per_minute: 1_000 }, counting, 16).admit(ANONYMOUS, CHAT, 1)) as CallQuota;
    let synchronous = 0;
    for (let i = 0; i < 64; i++) {
      const pending = quota.spend();
      if (pending === undefined) synchronous += 1;
      else await pending;
    }
    expect(reservations).toBe(4);
    expect(synchronous).toBe(60);
  });

  it.each([
    { name: "complete: the real count replaces estimate and reservations", usage: { delivered: 6, actualTokens: 30 }, left: 1_000 - 30 },
    { name: "cut short after delivering: unused reserved tokens come back, the estimate stays", usage: { delivered: 6 }, left: 1_000 - 10 - 6 },
    { name: "failed before any delivery: everything comes back", usage: { delivered: 0 }, left: 1_000 },
  ])("settlement, $name", async ({ usage, left }) => {
    const store = new MemoryQuotaStore(() => 0);
    const e = enforcer({ tokens_per_minute: 1_000 }, store, 4);
    const quota = (await e.admit(ANONYMOUS, CHAT, 10)) as CallQuota;
    for (let i = 0; i < 6; i++) await quota.spend();
    await quota.settle(usage);
    await quota.settle(usage); // idempotent
    const check = (await e.admit(ANONYMOUS, CHAT, 1)) as CallQuota;
    const { paid } = await spendAll(check, 5_000);
    expect(paid).toBe(left - 1);
  });

  it("a stream cut by its budget keeps its estimate charged (a retry loop cannot burn prompts for free)", async () => {
    const store = new MemoryQuotaStore(() => 0);
    const e = enforcer({ tokens_per_minute: 20 }, store, 4);
    const quota = (await e.admit(ANONYMOUS, CHAT, 20)) as CallQuota;
    await expect(Promise.resolve(quota.spend())).rejects.toBeInstanceOf(QuotaExceededError);
    await quota.settle({ delivered: 0 });
    await expect(e.admit(ANONYMOUS, CHAT, 1)).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it("slots are released at settlement", async () => {
    const e = enforcer({ concurrent_streams: 1 });
    const first = (await e.admit(ANONYMOUS, CHAT, 0)) as CallQuota;
    await expect(e.admit(ANONYMOUS, CHAT, 0)).rejects.toMatchObject({ limit: { kind: "concurrent_streams" }, midStream: false });
    await first.settle({ delivered: 3 });
    expect(await e.admit(ANONYMOUS, CHAT, 0)).toBeDefined();
  });
});

describe("GuardedQuotaStore (store failure policy)", () => {
  const broken: QuotaStore = {
    admit: () => Promise.reject(new Error("ECONNREFUSED")),
    reserve: () => Promise.reject(new Error("ECONNREFUSED")),
    adjust: () => Promise.reject(new Error("ECONNREFUSED")),
    release: () => Promise.reject(new Error("ECONNREFUSED")),
    close: () => Promise.resolve(),
  };
  const plan = { requests: [], slots: [], tokens: [] };

  it("fail-open admits and grants what was asked; every failure is reported", async () => {
    const errors: StoreOperation[] = [];
    const store = new GuardedQuotaStore(broken, "open", (operation) => errors.push(operation));
    expect(await store.admit(plan, 1, "l")).toEqual({ ok: true });
    expect(await store.reserve([], 16)).toMatchObject({ granted: 16 });
    await store.adjust([], 5);
    await store.release([], "l");
    expect(errors).toEqual(["admit", "reserve", "adjust", "release"]);
  });

  it("fail-closed refuses admission and reservations; refunds and releases never throw", async () => {
    const store = new GuardedQuotaStore(broken, "closed", () => {});
    await expect(store.admit(plan, 1, "l")).rejects.toBeInstanceOf(QuotaStoreUnavailableError);
    await expect(store.reserve([], 1)).rejects.toBeInstanceOf(QuotaStoreUnavailableError);
    await expect(store.adjust([], 5)).resolves.toBeUndefined();
    await expect(store.release([], "l")).resolves.toBeUndefined();
  });
});

describe("estimateInputTokens", () => {
  it.each([
    { name: "prompt and system, model ignored", request: { model: "a-very-long-model-name", prompt: "12345678", system: "1234" }, tokens: 3 },
    { name: "chat messages", request: { messages: [{ role: 1, content: "x".repeat(40) }, { role: 2, content: "y".repeat(4) }] }, tokens: 11 },
    { name: "an image counts 256", request: { prompt: "", images: [new Uint8Array(10)] }, tokens: 256 },
    { name: "empty", request: {}, tokens: 0 },
  ])("$name -> $tokens", ({ request, tokens }) => {
    expect(estimateInputTokens(request)).toBe(tokens);
  });
});
