/** Parsing SPIFFE IDs out of certificates' SANs and Envoy's XFCC header. */
import { describe, expect, it } from "vitest";
import { SpiffeIdentities, spiffeIdOfXfcc, spiffeIdsOfSan, trustDomainOf } from "../../../src/auth/spiffe.js";

describe("spiffeIdsOfSan", () => {
  it.each([
    { san: "URI:spiffe://cluster.local/ns/a/sa/b", ids: ["spiffe://cluster.local/ns/a/sa/b"] },
    { san: "DNS:svc.local, URI:spiffe://td/x, IP Address:127.0.0.1", ids: ["spiffe://td/x"] },
    { san: "URI:https://example.com/x", ids: [] },
    { san: "URI:spiffe://a/x, URI:spiffe://b/y", ids: ["spiffe://a/x", "spiffe://b/y"] },
    { san: undefined, ids: [] },
  ])("$san", ({ san, ids }) => {
    expect(spiffeIdsOfSan(san)).toEqual(ids);
  });
});

describe("spiffeIdOfXfcc", () => {
  it.each([
    { header: "By=spiffe://td/gw;Hash=abc;URI=spiffe://td/ns/a/sa/b", id: "spiffe://td/ns/a/sa/b" },
    { header: 'By=spiffe://td/gw;Hash=abc;Subject="CN=x, O=y; z";URI=spiffe://td/ns/a/sa/b', id: "spiffe://td/ns/a/sa/b" },
    { header: "By=spiffe://td/p1;URI=spiffe://td/ns/first/sa/c,By=spiffe://td/gw;URI=spiffe://td/ns/last/sa/d", id: "spiffe://td/ns/last/sa/d" },
    { header: 'By=spiffe://td/gw;URI="spiffe://td/ns/q/sa/r"', id: "spiffe://td/ns/q/sa/r" },
    { header: "By=spiffe://td/gw;Hash=abc", id: undefined },
    { header: "URI=https://example.com/not-spiffe", id: undefined },
    { header: 'URI="spiffe://td/unterminated', id: undefined },
  ])("$header", ({ header, id }) => {
    expect(spiffeIdOfXfcc(header)).toBe(id);
  });
});

describe("SpiffeIdentities", () => {
  const ids = new SpiffeIdentities(
    [
      { id: "spiffe://cluster.local/ns/search/sa/search-svc", name: "search", tenant: "s", scopes: ["admin"], models: [] },
      { id: "spiffe://cluster.local/ns/batch/sa/*", name: undefined, tenant: "b", scopes: [], models: ["phi*"] },
    ],
    ["cluster.local"],
  );
  it.each([
    { id: "spiffe://cluster.local/ns/search/sa/search-svc", name: "search" },
    { id: "spiffe://cluster.local/ns/batch/sa/etl", name: "spiffe://cluster.local/ns/batch/sa/etl" },
    { id: "spiffe://cluster.local/ns/Batch/sa/etl", reason: "matches no auth.spiffe.ids entry" },
    { id: "spiffe://other.td/ns/search/sa/search-svc", reason: "trust domain 'other.td' is not trusted" },
    { id: "spiffe:/broken", reason: "not a SPIFFE ID" },
  ])("$id", ({ id, name, reason }) => {
    const found = ids.lookup(id);
    if (name !== undefined) expect(found).toMatchObject({ principal: { name, credential: "spiffe" } });
    else expect((found as { reason: string }).reason).toContain(reason);
  });

  it("trust domains are parsed from IDs", () => {
    expect(trustDomainOf("spiffe://cluster.local/ns/a")).toBe("cluster.local");
    expect(trustDomainOf("spiffe://UPPER/ns/a")).toBeUndefined();
  });
});
