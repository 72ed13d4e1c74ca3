import { describe, expect, it } from "vitest";
import {
  createDnsLookup,
  defaultDnsLookup,
  DnsResolver,
  dnsResolverSettings,
  type AddressQueries,
  type DnsLookup,
  type DnsRecord,
  type DnsResolverOptions,
} from "../../../src/upstream/resolver-dns.js";
import type { EndpointTemplate } from "../../../src/upstream/resolver.js";
import type { EndpointConfig } from "../../../src/upstream/types.js";
import { FakeClock, flushMicrotasks } from "../../support/fake-clock.js";

// No test here sends a DNS query: every lookup is scripted, and the default
// (system) lookup is only checked to be the one wired in, never called.

const HOST = "ollama.llm.svc.cluster.local";

const template: EndpointTemplate = { scheme: "http", port: 11434, weight: 1, priority: 0, maxConcurrency: 1, labels: {} };

const a = (address: string, ttl = 30): DnsRecord => ({ address, ttl, family: 4 });
const aaaa = (address: string, ttl = 30): DnsRecord => ({ address, ttl, family: 6 });
const dnsError = (code: string): Error => Object.assign(new Error(`query ${code} ${HOST}`), { code });

/** One scripted lookup: an answer, or a rejection with that Node DNS error code. Past the script, lookups hang. */
type Step = readonly DnsRecord[] | { readonly error: string };

type Event = readonly [at: number, kind: "endpoints", names: readonly string[]] | readonly [at: number, kind: "error", code: unknown];

function setup(options: { script: readonly Step[]; minRefreshMs?: number; maxRefreshMs?: number; lookup?: DnsLookup }) {
  const clock = new FakeClock();
  const lookups: number[] = [];
  const events: Event[] = [];
  const lists: EndpointConfig[][] = [];
  const scripted: DnsLookup = (hostname) => {
    expect(hostname).toBe(HOST);
    const step = options.script[lookups.length];
    lookups.push(clock.now());
    if (step === undefined) return new Promise<never>(() => {});
    return "error" in step ? Promise.reject(dnsError(step.error)) : Promise.resolve(step);
  };
  const resolver = new DnsResolver({
    hostname: HOST,
    template,
    clock,
    minRefreshMs: options.minRefreshMs,
    maxRefreshMs: options.maxRefreshMs,
    lookup: options.lookup ?? scripted,
  });
  const start = () =>
    resolver.start({
      onEndpoints: (endpoints) => {
        lists.push(endpoints);
        events.push([clock.now(), "endpoints", endpoints.map((endpoint) => endpoint.name)]);
      },
      onError: (error) => events.push([clock.now(), "error", (error as Error & { code?: unknown }).code]),
    });
  return { clock, resolver, lookups, events, lists, start };
}

const names = (...addresses: string[]) => addresses.map((address) => `${address}:11434`);

describe("DnsResolver delivery", () => {
  it("delivers the first answer asynchronously, sorted by name", async () => {
    const { lookups, events, start } = setup({ script: [[a("10.0.0.9"), a("10.0.0.10")]] });
    start();
    expect(lookups).toEqual([0]);
    expect(events).toEqual([]);
    await flushMicrotasks();
    expect(events).toEqual([[0, "endpoints", names("10.0.0.10", "10.0.0.9")]]);
  });

  it("applies the template to every endpoint", async () => {
    const custom: EndpointTemplate = {
      scheme: "https",
      port: 8443,
      weight: 3,
      priority: 1,
      maxConcurrency: 4,
      labels: { pool: "gpu" },
    };
    const clock = new FakeClock();
    const lists: EndpointConfig[][] = [];
    const resolver = new DnsResolver({
      hostname: HOST,
      template: custom,
      clock,
      lookup: () => Promise.resolve([aaaa("fd00::1"), a("10.0.0.1")]),
    });
    resolver.start({ onEndpoints: (endpoints) => lists.push(endpoints), onError: (error) => expect.fail(error.message) });
    await flushMicrotasks();
    const common = { weight: 3, priority: 1, maxConcurrency: 4, labels: { pool: "gpu" }, locality: "" };
    expect(lists).toEqual([
      [
        { name: "10.0.0.1:8443", url: "https://10.0.0.1:8443", ...common },
        { name: "[fd00::1]:8443", url: "https://[fd00::1]:8443", ...common },
      ],
    ]);
    resolver.stop();
  });

  it("names IPv6 endpoints in brackets", async () => {
    const { lists, start } = setup({ script: [[aaaa("fd00::2"), aaaa("fd00::1")]] });
    start();
    await flushMicrotasks();
    expect(lists[0]?.map(({ name, url }) => [name, url])).toEqual([
      ["[fd00::1]:11434", "http://[fd00::1]:11434"],
      ["[fd00::2]:11434", "http://[fd00::2]:11434"],
    ]);
  });

  it("reports only changes: Kubernetes scales 2 -> 3 pods, then one pod is replaced", async () => {
    const { clock, lookups, events, lists, start } = setup({
      script: [
        [a("10.0.0.1"), a("10.0.0.2")],
        [a("10.0.0.2", 12), a("10.0.0.1", 30)], // same set, other order and TTLs: no change
        [a("10.0.0.1"), a("10.0.0.3"), a("10.0.0.2")], // scaled up
        [a("10.0.0.4"), a("10.0.0.1"), a("10.0.0.3")], // 10.0.0.2 replaced by 10.0.0.4
        [a("10.0.0.3"), a("10.0.0.4"), a("10.0.0.1")], // same again
      ],
    });
    start();
    await clock.advanceAsync(120_000);
    expect(lookups).toEqual([0, 30_000, 42_000, 72_000, 102_000]);
    expect(events).toEqual([
      [0, "endpoints", names("10.0.0.1", "10.0.0.2")],
      [42_000, "endpoints", names("10.0.0.1", "10.0.0.2", "10.0.0.3")],
      [72_000, "endpoints", names("10.0.0.1", "10.0.0.3", "10.0.0.4")],
    ]);
    // Each delivery is the complete list, not a delta.
    expect(lists.map((list) => list.length)).toEqual([2, 3, 3]);
  });

  it("delivers an empty answer (name exists, no addresses) as an empty list, and the first answer even when empty", async () => {
    const { clock, events, start } = setup({ script: [[], [], [a("10.0.0.1")], []] });
    start();
    await clock.advanceAsync(40_000);
    expect(events).toEqual([
      [0, "endpoints", []],
      [10_000, "endpoints", names("10.0.0.1")],
      [40_000, "endpoints", []],
    ]);
  });
});

describe("DnsResolver refresh after an answer (min 5000, max 60000)", () => {
  const cases: Array<{ name: string; answer: DnsRecord[]; next: number }> = [
    { name: "TTL 30 s", answer: [a("10.0.0.1", 30)], next: 30_000 },
    { name: "the smallest TTL of the answer wins", answer: [a("10.0.0.1", 30), aaaa("fd00::1", 10), a("10.0.0.2", 45)], next: 10_000 },
    { name: "TTL between the bounds is kept", answer: [a("10.0.0.1", 7)], next: 7_000 },
    { name: "TTL 0 is clamped to the minimum", answer: [a("10.0.0.1", 0)], next: 5_000 },
    { name: "TTL 2 s is clamped to the minimum", answer: [a("10.0.0.1", 2)], next: 5_000 },
    { name: "TTL exactly at the maximum", answer: [a("10.0.0.1", 60)], next: 60_000 },
    { name: "TTL 1 h is clamped to the maximum", answer: [a("10.0.0.1", 3600)], next: 60_000 },
    { name: "an empty answer has no TTL: the minimum", answer: [], next: 5_000 },
  ];
  it.each(cases)("$name -> next lookup at $next ms", async ({ answer, next }) => {
    const { clock, lookups, start } = setup({ script: [answer] });
    start();
    await clock.advanceAsync(next - 1);
    expect(lookups).toEqual([0]);
    await clock.advanceAsync(1);
    expect(lookups).toEqual([0, next]);
  });

  it("honours custom bounds", async () => {
    const { clock, lookups, start } = setup({
      script: [[a("10.0.0.1", 1)], [a("10.0.0.1", 100)], [a("10.0.0.1", 15)]],
      minRefreshMs: 2_000,
      maxRefreshMs: 20_000,
    });
    start();
    await clock.advanceAsync(100_000);
    expect(lookups).toEqual([0, 2_000, 22_000, 37_000]);
  });
});

describe("DnsResolver failures (min 5000, max 20000; answers carry TTL 10 s)", () => {
  const ok: Step = [a("10.0.0.1", 10)];
  const steps: Record<string, Step> = { ok, fail: { error: "ETIMEOUT" }, servfail: { error: "ESERVFAIL" }, nxdomain: { error: "ENOTFOUND" } };
  const cases: Array<{ name: string; script: string; lookups: number[] }> = [
    { name: "backoff doubles from the minimum up to the maximum", script: "fail fail fail fail fail fail", lookups: [0, 5_000, 15_000, 35_000, 55_000, 75_000, 95_000] },
    { name: "an answer after failures returns to the TTL", script: "fail fail ok ok", lookups: [0, 5_000, 15_000, 25_000, 35_000] },
    { name: "an answer resets the backoff", script: "ok fail fail ok fail", lookups: [0, 10_000, 15_000, 25_000, 35_000, 40_000] },
    { name: "NXDOMAIN is a failure like any other", script: "ok nxdomain nxdomain servfail ok", lookups: [0, 10_000, 15_000, 25_000, 45_000, 55_000] },
  ];
  it.each(cases)("$name: $script", async ({ script, lookups: expected }) => {
    const words = script.split(" ");
    const { clock, lookups, events, start } = setup({
      script: words.map((word) => steps[word] ?? expect.fail(word)),
      minRefreshMs: 5_000,
      maxRefreshMs: 20_000,
    });
    start();
    await clock.advanceAsync(expected.at(-1) ?? 0);
    // One lookup per step, then one more that the exhausted script leaves hanging.
    expect(lookups).toEqual(expected);
    expect(clock.pending()).toBe(0);
    const errors = events.filter(([, kind]) => kind === "error").map(([at, , code]) => [at, code]);
    expect(errors).toEqual(
      words.flatMap((word, i) => (word === "ok" ? [] : [[expected[i], { fail: "ETIMEOUT", servfail: "ESERVFAIL", nxdomain: "ENOTFOUND" }[word]]])),
    );
    // The list is never emptied by a failure: the only delivery is the first answer.
    const deliveries = events.filter(([, kind]) => kind === "endpoints");
    expect(deliveries).toEqual(words.includes("ok") ? [[expected[words.indexOf("ok")], "endpoints", names("10.0.0.1")]] : []);
  });

  it("wraps a non-Error rejection and a synchronous throw into Errors, delivered asynchronously", async () => {
    const clock = new FakeClock();
    const errors: Error[] = [];
    let calls = 0;
    const resolver = new DnsResolver({
      hostname: HOST,
      template,
      clock,
      lookup: () => {
        calls += 1;
        if (calls === 1) throw new Error("boom");
        return Promise.reject("plain string");
      },
    });
    resolver.start({ onEndpoints: () => expect.fail("no answer expected"), onError: (error) => errors.push(error) });
    expect(errors).toEqual([]);
    await clock.advanceAsync(5_000);
    expect(errors.map((error) => error.message)).toEqual(["boom", `dns: resolving ${HOST} failed: plain string`]);
    resolver.stop();
  });
});

describe("DnsResolver stop", () => {
  function controlled() {
    const pending: Array<{ resolve: (records: DnsRecord[]) => void; reject: (error: Error) => void }> = [];
    const lookup: DnsLookup = () => new Promise((resolve, reject) => pending.push({ resolve, reject }));
    return { pending, lookup };
  }

  it.each(["answer", "failure"] as const)("a lookup in flight when stop is called delivers nothing (%s)", async (outcome) => {
    const { pending, lookup } = controlled();
    const { clock, resolver, events, start } = setup({ script: [], lookup });
    start();
    resolver.stop();
    if (outcome === "answer") pending[0]?.resolve([a("10.0.0.1")]);
    else pending[0]?.reject(dnsError("ETIMEOUT"));
    await clock.advanceAsync(120_000);
    expect(events).toEqual([]);
    expect(pending).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it("clears the refresh timer", async () => {
    const { clock, resolver, lookups, events, start } = setup({ script: [[a("10.0.0.1")], [a("10.0.0.2")]] });
    start();
    await flushMicrotasks();
    expect(clock.pending()).toBe(1);
    resolver.stop();
    expect(clock.pending()).toBe(0);
    await clock.advanceAsync(120_000);
    expect(lookups).toEqual([0]);
    expect(events).toHaveLength(1);
    resolver.stop(); // idempotent
  });

  it("start may be called only once", () => {
    const { resolver, start } = setup({ script: [] });
    start();
    expect(start).toThrow(/only once/);
    resolver.stop();
    expect(start).toThrow(/only once/);
  });
});

describe("createDnsLookup (A and AAAA together)", () => {
  type Query = DnsRecord[] | string;
  function queries(v4: Query, v6: Query, seen: unknown[][] = []): AddressQueries {
    const answer = (query: Query) =>
      typeof query === "string" ? Promise.reject(dnsError(query)) : Promise.resolve(query.map(({ address, ttl }) => ({ address, ttl })));
    return {
      resolve4: (...args) => (seen.push(["A", ...args]), answer(v4)),
      resolve6: (...args) => (seen.push(["AAAA", ...args]), answer(v6)),
    };
  }
  const v4 = [a("10.0.0.1", 5)];
  const v6 = [aaaa("fd00::1", 7)];
  const cases: Array<{ name: string; v4: Query; v6: Query; result: DnsRecord[] | string }> = [
    { name: "dual stack", v4, v6, result: [...v4, ...v6] },
    { name: "A-only name (AAAA NODATA)", v4, v6: "ENODATA", result: v4 },
    { name: "AAAA-only name (A NODATA)", v4: "ENODATA", v6, result: v6 },
    { name: "A records, AAAA NXDOMAIN", v4, v6: "ENOTFOUND", result: v4 },
    { name: "AAAA records, A NXDOMAIN", v4: "ENOTFOUND", v6, result: v6 },
    { name: "NODATA for both: the name exists with no addresses", v4: "ENODATA", v6: "ENODATA", result: [] },
    { name: "empty arrays for both", v4: [], v6: [], result: [] },
    { name: "NXDOMAIN for both", v4: "ENOTFOUND", v6: "ENOTFOUND", result: "ENOTFOUND" },
    { name: "NXDOMAIN and NODATA, no records", v4: "ENODATA", v6: "ENOTFOUND", result: "ENOTFOUND" },
    { name: "a hard failure of one family fails even when the other answered", v4, v6: "ETIMEOUT", result: "ETIMEOUT" },
    { name: "a hard failure beats NXDOMAIN", v4: "ENOTFOUND", v6: "ESERVFAIL", result: "ESERVFAIL" },
    { name: "both fail", v4: "ECONNREFUSED", v6: "ETIMEOUT", result: "ECONNREFUSED" },
  ];
  it.each(cases)("$name", async ({ v4: q4, v6: q6, result }) => {
    const seen: unknown[][] = [];
    const lookup = createDnsLookup(queries(q4, q6, seen));
    if (typeof result === "string") await expect(lookup(HOST)).rejects.toMatchObject({ code: result });
    else await expect(lookup(HOST)).resolves.toEqual(result);
    expect(seen).toEqual([
      ["A", HOST, { ttl: true }],
      ["AAAA", HOST, { ttl: true }],
    ]);
  });

  const named: Array<{ name: string; v4: Query; v6: Query; expected: string[] }> = [
    { name: "A-only", v4: [a("10.0.0.2"), a("10.0.0.1")], v6: "ENODATA", expected: names("10.0.0.1", "10.0.0.2") },
    { name: "AAAA-only", v4: "ENODATA", v6: [aaaa("fd00::1")], expected: ["[fd00::1]:11434"] },
  ];
  it.each(named)("the resolver serves an $name name", async ({ v4: q4, v6: q6, expected }) => {
    const { events, start } = setup({ script: [], lookup: createDnsLookup(queries(q4, q6)) });
    start();
    await flushMicrotasks();
    expect(events).toEqual([[0, "endpoints", expected]]);
  });
});

describe("DnsResolver settings", () => {
  const base: DnsResolverOptions = { hostname: HOST, template, clock: new FakeClock() };

  it("defaults to 5 s / 60 s and the system lookup (never called here)", () => {
    expect(typeof defaultDnsLookup).toBe("function");
    expect(dnsResolverSettings(base)).toMatchObject({ minRefreshMs: 5_000, maxRefreshMs: 60_000, lookup: defaultDnsLookup });
    expect(dnsResolverSettings({ ...base, lookup: undefined, minRefreshMs: undefined }).lookup).toBe(defaultDnsLookup);
    const lookup: DnsLookup = () => Promise.resolve([]);
    expect(dnsResolverSettings({ ...base, lookup, minRefreshMs: 1, maxRefreshMs: 1 })).toMatchObject({ lookup, minRefreshMs: 1, maxRefreshMs: 1 });
  });

  it.each([
    { options: { hostname: "" }, error: 'dns.hostname: expected a non-empty string, got ""' },
    { options: { hostname: "  " }, error: 'dns.hostname: expected a non-empty string, got "  "' },
    { options: { minRefreshMs: 0 }, error: "dns.minRefreshMs: expected a finite number > 0, got 0" },
    { options: { minRefreshMs: Number.NaN }, error: "dns.minRefreshMs: expected a finite number > 0, got NaN" },
    { options: { maxRefreshMs: 1_000 }, error: "dns.maxRefreshMs: expected a finite number >= minRefreshMs (5000), got 1000" },
    { options: { maxRefreshMs: Infinity }, error: "dns.maxRefreshMs: expected a finite number >= minRefreshMs (5000), got Infinity" },
  ])("rejects $options", ({ options, error }) => {
    expect(() => new DnsResolver({ ...base, ...options })).toThrow(new RangeError(error));
  });
});
