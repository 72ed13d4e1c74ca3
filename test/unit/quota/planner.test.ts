/** Which limits apply to which call: table tests of QuotaPlanner. */
import { describe, expect, it } from "vitest";
import { ANONYMOUS, type Principal } from "../../../src/auth/principal.js";
import { QuotaPlanner, type CallShape } from "../../../src/quota/planner.js";
import { quotasFrom } from "../../support/quotas.js";
import { parseLimits } from "../../../src/config/quota-schema.js";

const principal = (name: string, limits?: Record<string, unknown>): Principal => ({
  name,
  tenant: "t",
  scopes: new Set(),
  models: [],
  credential: "api_key",
  limits: limits === undefined ? undefined : parseLimits(limits, "limits", (p) => { throw new Error(p); }),
});

const settings = quotasFrom({
  per_principal: { request_rate: "10/s", concurrent_streams: 4, tokens_per_minute: 10_000 },
  per_model: [
    { model: "llama3*:70b", per: "principal", concurrent_streams: 1 },
    { model: "llama3*:70b", per: "all", tokens_per_minute: 100_000 },
    { model: "mistral", request_rate: "1/s", burst: 3 },
  ],
});
const planner = new QuotaPlanner(settings);
const chat = (model: string | undefined): CallShape => ({ model, streaming: true, countsTokens: true });
const summary = (p: Principal, call: CallShape) => {
  const plan = planner.plan(p, call);
  return [...plan.requests, ...plan.slots, ...plan.tokens].map((l) => `${l.kind} ${l.subject} ${l.capacity}`);
};

describe("QuotaPlanner", () => {
  it.each([
    {
      name: "a chat with a model matching two rules",
      who: principal("alice"),
      call: chat("llama3.1:70b"),
      expected: [
        "request_rate principal:alice 10",
        "concurrent_streams principal:alice 4",
        "concurrent_streams principal:alice/model:llama3*:70b 1",
        "tokens_per_minute principal:alice 10000",
        "tokens_per_minute model:llama3*:70b 100000",
      ],
    },
    {
      name: "a unary call without a model: only the request rate",
      who: principal("alice"),
      call: { model: undefined, streaming: false, countsTokens: false },
      expected: ["request_rate principal:alice 10"],
    },
    {
      name: "\"mistral\" matches \"mistral:latest\"; burst as configured",
      who: principal("bob"),
      call: chat("mistral:latest"),
      expected: [
        "request_rate principal:bob 10",
        "request_rate principal:bob/model:mistral 3",
        "concurrent_streams principal:bob 4",
        "tokens_per_minute principal:bob 10000",
      ],
    },
    {
      name: "an API key's limits override field by field; none lifts a limit",
      who: principal("batch", { request_rate: "100/s", tokens_per_minute: "none" }),
      call: chat("phi3"),
      expected: ["request_rate principal:batch 100", "concurrent_streams principal:batch 4"],
    },
    {
      name: "the anonymous principal (auth off) has the default limits",
      who: ANONYMOUS,
      call: chat("phi3"),
      expected: ["request_rate principal:anonymous 10", "concurrent_streams principal:anonymous 4", "tokens_per_minute principal:anonymous 10000"],
    },
  ])("$name", ({ who, call, expected }) => {
    expect(summary(who, call)).toEqual(expected);
  });

  it("keys: per-principal budgets differ by principal, per-all budgets are shared, and both are stable", () => {
    const a = planner.plan(principal("alice"), chat("llama3:70b"));
    const b = planner.plan(principal("bob"), chat("llama3:70b"));
    expect(a.requests[0]?.key).not.toBe(b.requests[0]?.key);
    expect(a.tokens[1]?.key).toBe(b.tokens[1]?.key);
    expect(planner.plan(principal("alice"), chat("llama3:70b")).requests[0]?.key).toBe(a.requests[0]?.key);
  });

  it("a JWT subject and an API key of the same name have separate budgets", () => {
    const jwt: Principal = { ...principal("alice"), credential: "jwt" };
    expect(planner.plan(jwt, chat("x")).requests[0]?.key).not.toBe(planner.plan(principal("alice"), chat("x")).requests[0]?.key);
  });

  it("burst defaults to one second's worth, at least 1; refill is the rate", () => {
    const p = new QuotaPlanner(quotasFrom({ per_principal: { request_rate: "600/m" } }));
    expect(p.plan(ANONYMOUS, chat(undefined)).requests[0]).toMatchObject({ capacity: 10, refillPerMs: 0.01, description: "request rate 600/m (burst 10)" });
    const slow = new QuotaPlanner(quotasFrom({ per_principal: { request_rate: "30/h" } }));
    expect(slow.plan(ANONYMOUS, chat(undefined)).requests[0]).toMatchObject({ capacity: 1 });
  });
});
